import type { InstrumentationScope } from '@opentelemetry/core';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { describeError, SinkError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Sink } from '../../pipeline/types.js';
import { assertNever, type DsRecord } from '../../records.js';
import type { SelfMetrics } from '../../telemetry/metrics.js';
import { abortable, abortError } from '../../util/abortable.js';
import { forEachLimit } from '../../util/limit.js';
import { VERSION } from '../../version.js';
import { combineSinkErrors, toSinkError } from './errors.js';
import { reportExporterInternals } from './exporter-internals.js';
import { createLogExporter, createMetricExporter, exportOnce, type Exporter } from './exporters.js';
import { toLogRecord, type LogRecordSource } from './logs.js';
import { SeriesStarts, toResourceMetrics, type MetricRecordSource } from './metrics.js';
import { resolveTarget, type OtlpSinkOptions, type SignalTarget } from './options.js';
import { labelAttributes } from './attributes.js';
import { ResourceCatalog } from './resource.js';
import { msToHrTime, rfc3339ToHrTime } from './time.js';

interface Exporters {
  readonly logs: Exporter<ReadableLogRecord[]>;
  readonly metrics: Exporter<ResourceMetrics>;
}

/** Runs `tasks` with at most `limit` in flight; collects failures instead of stopping at the first. */
async function runPool(tasks: readonly (() => Promise<void>)[], limit: number): Promise<unknown[]> {
  const failures: unknown[] = [];
  await forEachLimit(tasks, limit, (task) =>
    task().catch((err: unknown) => {
      failures.push(err);
    }),
  );
  return failures;
}

/**
 * Delivers records as OTLP: events, alerts, gaps and inventories as one log
 * export per batch; stats and disk usage as one metric export per resource.
 * Resolves only when every export of the batch was accepted.
 */
export class OtlpSink implements Sink {
  readonly type = 'otlp';
  private readonly resources: ResourceCatalog;
  private readonly starts = new SeriesStarts();
  private readonly scope: InstrumentationScope = { name: 'dockstream', version: VERSION };
  private readonly logsTarget: SignalTarget;
  private readonly metricsTarget: SignalTarget;
  private exporters: Exporters | null = null;
  private closed = false;
  /** Per batch being retried: the exports (0 = logs, i + 1 = resource i's metrics) the endpoint already accepted. */
  private readonly acceptedExports = new WeakMap<readonly DsRecord[], Set<number>>();

  constructor(
    readonly name: string,
    private readonly options: OtlpSinkOptions,
    private readonly log: Logger,
    private readonly metrics: SelfMetrics,
    env: Readonly<Record<string, string | undefined>>,
  ) {
    this.logsTarget = resolveTarget(options, 'logs', env);
    this.metricsTarget = resolveTarget(options, 'metrics', env);
    this.resources = new ResourceCatalog({
      serviceVersion: VERSION,
      containerLabels: labelAttributes(options.container_labels),
      extra: options.resource_attributes ?? {},
    });
  }

  /** One line: where logs and metrics go. */
  describe(): string {
    const l = this.logsTarget;
    const m = this.metricsTarget;
    return `otlp logs ${l.protocol} ${l.describe}, metrics ${m.protocol} ${m.describe}`;
  }

  async start(_signal: AbortSignal): Promise<void> {
    this.ensureExporters();
  }

  /** Sends an empty log export: proves reachability, TLS and authentication without adding data. */
  async check(signal: AbortSignal): Promise<string> {
    const { logs } = this.ensureExporters();
    try {
      await abortable(exportOnce(logs, []), signal, 'otlp check');
    } catch (err) {
      throw toSinkError(err, this.logsTarget.protocol, 'logs');
    }
    return `${this.describe()}: empty export accepted`;
  }

  async send(batch: readonly DsRecord[], signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkError('otlp sink is closed', { retryable: false, details: { sink: this.name } });
    // Exports start below and cannot be called back: an aborted send must not start them.
    if (signal.aborted) throw abortError('otlp send', signal);
    const { logs, metrics } = this.ensureExporters();
    const logSources: LogRecordSource[] = [];
    const metricSources: MetricRecordSource[] = [];
    for (const record of batch) {
      switch (record.kind) {
        case 'event':
        case 'alert':
        case 'gap':
        case 'inventory':
          logSources.push(record);
          break;
        case 'stats':
        case 'disk_usage':
        case 'container_state':
          metricSources.push(record);
          break;
        default:
          assertNever(record);
      }
    }
    let logRecords: ReadableLogRecord[];
    let resourceMetrics: ResourceMetrics[];
    try {
      const observed = msToHrTime(Date.now());
      logRecords = logSources.map((r) => toLogRecord(r, this.resources, this.scope, observed));
      resourceMetrics = toResourceMetrics(metricSources, this.resources, this.scope, this.starts);
    } catch (cause) {
      // reject() screens records first; this is the backstop for anything it missed.
      throw new SinkError('otlp: cannot map a record of the batch', { retryable: false, cause });
    }
    // A retry of this batch sends only the exports that were not accepted yet:
    // re-sending an accepted one would deliver its records twice.
    const done = this.acceptedExports.get(batch) ?? new Set<number>();
    this.acceptedExports.set(batch, done);
    const tasks: (() => Promise<void>)[] = [];
    const add = (index: number, run: () => Promise<void>): void => {
      if (!done.has(index)) tasks.push(() => run().then(() => void done.add(index)));
    };
    if (logRecords.length > 0) {
      add(0, () => exportOnce(logs, logRecords).catch((err: unknown) => Promise.reject(toSinkError(err, this.logsTarget.protocol, 'logs'))));
    }
    resourceMetrics.forEach((rm, i) =>
      add(i + 1, () => exportOnce(metrics, rm).catch((err: unknown) => Promise.reject(toSinkError(err, this.metricsTarget.protocol, 'metrics')))),
    );
    const failures = await abortable(runPool(tasks, this.options.max_concurrent_exports), signal, 'otlp send');
    if (failures.length > 0) {
      const errors = failures.map((f) => (f instanceof SinkError ? f : toSinkError(f, this.logsTarget.protocol, 'logs')));
      const err = combineSinkErrors(errors);
      this.log.debug({ sink: this.name, err, retryable: err.retryable, exports: tasks.length }, 'otlp export failed');
      throw err;
    }
    this.forgetDestroyed(logSources);
  }

  /** Records whose timestamps cannot be represented: dead-lettered by the pipeline instead of failing their batch. */
  reject(record: DsRecord): string | null {
    try {
      if (record.kind === 'event') return /^\d{1,20}$/.test(record.time_nano) ? null : 'time_nano is not a decimal nanosecond count';
      rfc3339ToHrTime(record.time);
      return null;
    } catch (err) {
      return describeError(err);
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const ex = this.exporters;
    this.exporters = null;
    if (ex) await Promise.allSettled([ex.logs.shutdown(), ex.metrics.shutdown()]);
  }

  private ensureExporters(): Exporters {
    if (this.closed) throw new SinkError('otlp sink is closed', { retryable: false });
    if (this.exporters) return this.exporters;
    try {
      const logs = createLogExporter(this.options, this.logsTarget);
      const metrics = createMetricExporter(this.options, this.metricsTarget);
      this.exporters = { logs: logs.exporter, metrics: metrics.exporter };
      reportExporterInternals(this.name, { logs: logs.transport, metrics: metrics.transport }, this.log, this.metrics);
    } catch (cause) {
      if (cause instanceof SinkError) throw cause;
      throw new SinkError('otlp: cannot create exporters', { retryable: false, cause, details: { target: this.describe() } });
    }
    this.log.debug({ sink: this.name, target: this.describe() }, 'otlp exporters ready');
    return this.exporters;
  }

  /** Cumulative series of destroyed containers end; a container with the same id would start afresh. */
  private forgetDestroyed(records: readonly LogRecordSource[]): void {
    for (const r of records) {
      if (r.kind === 'event' && r.type === 'container' && r.action === 'destroy') this.starts.forgetContainer(r.actor.id);
    }
  }
}
