/**
 * Every private path of the OpenTelemetry OTLP exporters the sink touches,
 * and the one function that installs its replacement there:
 * `installSingleAttemptTransport(exporter)`, called by `exporters.ts` for each
 * HTTP exporter it creates (at sink start). Importing this module changes
 * nothing.
 *
 * Why: in @opentelemetry/otlp-exporter-base 0.223 the HTTP exporters wrap
 * their transport in a RetryingTransport (up to 5 more attempts, 1–5 s
 * backoff, within the export timeout) and then report a bare "retryable"
 * without status or Retry-After, with no option to turn it off. The pipeline
 * owns retries (design gotcha 9), so the sink puts a pass-through in its place:
 * one attempt, and a retryable answer becomes a RetryableExportError carrying
 * its Retry-After (errors.ts). The gRPC exporters have no such layer.
 *
 * Private paths (exporter-base 0.223):
 *
 * | path                                  | what it is                                             |
 * |---------------------------------------|--------------------------------------------------------|
 * | `exporter._delegate`                  | OTLPExporterBase's export delegate                     |
 * | `exporter._delegate._transport`       | the delegate's transport: the RetryingTransport; replaced |
 * | `…_transport._transport`              | the RetryingTransport's inner HTTP transport; kept     |
 * | `…_transport.retry`                   | only checked, to recognise a RetryingTransport         |
 *
 * When the layout differs the exporter is left as published (its own
 * retries): state `published`.
 */
import type { Logger } from '../../log.js';
import type { SelfMetrics } from '../../telemetry/metrics.js';
import { RetryableExportError } from './errors.js';

/** The `replacement` label (dockstream_otlp_exporter_replacement_installed, docs/metrics.md). */
export const SINGLE_ATTEMPT_TRANSPORT = 'single_attempt_transport';

export type ExporterInternalsState = 'installed' | 'published';

/** What OTLPExportDelegate calls on its transport. */
interface RawTransport {
  send(data: Uint8Array, timeoutMillis: number): Promise<{ status: string; retryInMillis?: number; error?: Error }>;
  shutdown(): void;
}

/** Replaces `exporter`'s RetryingTransport with one attempt per export; `published` when its layout differs. */
export function installSingleAttemptTransport(exporter: object): ExporterInternalsState {
  const delegate = (exporter as { _delegate?: { _transport?: unknown } })._delegate;
  const retrying = delegate?._transport as { _transport?: RawTransport; retry?: unknown } | undefined;
  const inner = retrying?._transport;
  if (!delegate || typeof retrying?.retry !== 'function' || typeof inner?.send !== 'function') return 'published';
  const single: RawTransport = {
    async send(data, timeoutMillis) {
      const result = await inner.send(data, timeoutMillis);
      if (result.status !== 'retryable') return result;
      const after = result.retryInMillis === undefined ? undefined : Math.max(0, result.retryInMillis);
      return { status: 'failure', error: new RetryableExportError(after, result.error) };
    },
    shutdown: () => inner.shutdown(),
  };
  delegate._transport = single;
  return 'installed';
}

/** Per signal: the state in its exporter, or null for gRPC (nothing to replace). */
export interface SignalInternals {
  readonly logs: ExporterInternalsState | null;
  readonly metrics: ExporterInternalsState | null;
}

/** One info line and the gauge per HTTP exporter, at sink start; a warning when an exporter keeps its own retries. */
export function reportExporterInternals(sink: string, states: SignalInternals, log: Logger, metrics: SelfMetrics): void {
  const entries = (['logs', 'metrics'] as const).map((signal) => [signal, states[signal]] as const);
  for (const [signal, state] of entries) {
    if (state !== null) metrics.otlpExporterReplacement.set({ sink, signal, replacement: SINGLE_ATTEMPT_TRANSPORT }, state === 'installed' ? 1 : 0);
  }
  const replaced = entries.filter(([, state]) => state === 'installed').map(([signal]) => signal);
  const published = entries.filter(([, state]) => state === 'published').map(([signal]) => signal);
  log.info(
    { sink, [SINGLE_ATTEMPT_TRANSPORT]: Object.fromEntries(entries.map(([signal, state]) => [signal, state ?? 'not needed (grpc)'])) },
    replaced.length > 0
      ? `otlp exporter internals: replaced ${SINGLE_ATTEMPT_TRANSPORT} for ${replaced.join(', ')}`
      : 'otlp exporter internals: published exporters',
  );
  if (published.length > 0) log.warn({ sink, signals: published }, 'otlp exporter internals changed: cannot disable its internal retries');
}
