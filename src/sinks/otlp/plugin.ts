import type { SinkContext, SinkPlugin } from '../../pipeline/types.js';
import { otlpOptions, type OtlpSinkOptions } from './options.js';
import { OtlpSink } from './sink.js';

/**
 * Internal constructor: tests pass their own environment; the agent gets the
 * process's, read the way every OpenTelemetry tool reads OTEL_EXPORTER_OTLP_*.
 */
export function createOtlpSink(
  name: string,
  options: OtlpSinkOptions,
  ctx: SinkContext,
  env: Readonly<Record<string, string | undefined>> = process.env,
): OtlpSink {
  return new OtlpSink(name, options, ctx.log, env);
}

export const otlpSinkPlugin: SinkPlugin<OtlpSinkOptions> = {
  type: 'otlp',
  options: otlpOptions,
  // Collectors take large requests well; a short linger keeps events timely.
  batchDefaults: { maxRecords: 512, lingerMs: 200 },
  create: (name, options, ctx) => createOtlpSink(name, options, ctx),
};
