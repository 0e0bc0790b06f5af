import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ComponentName } from '../records.js';

/**
 * The `reason` words of the agent's counters, each with one meaning
 * (docs/metrics.md, "Reasons"). A sink buffer's drops say the same word as
 * the `gap` that announces them.
 */
export const DROP_REASONS = ['queue_full', 'spool_full', 'max_series'] as const;
export type DropReason = (typeof DROP_REASONS)[number];
export const SKIP_REASONS = ['busy', 'sinks_full'] as const;
export type SkipReason = (typeof SKIP_REASONS)[number];
export const MALFORMED_REASONS = [
  'invalid_json',
  'not_an_object',
  'no_time',
  'time_out_of_range',
  'no_type_or_action',
  'unexpected',
  'truncated',
  'stats_body',
] as const;
export type MalformedReason = (typeof MALFORMED_REASONS)[number];

/**
 * The agent's own metrics, one registry per agent instance (tests run several).
 * Components get this object and update the series that concern them.
 */
/** What the health gauges report, read at scrape time (the agent registers it). */
export interface ComponentHealth {
  readonly sinks: readonly { readonly name: string; readonly ok: boolean }[];
  /** The configured sources: each one's name, type and the daemon it reads. */
  readonly sources: readonly { readonly name: string; readonly type: string; readonly daemon: string }[];
  /** Sources that stopped on an error, by name. */
  readonly failedSources: ReadonlyMap<string, string>;
}

export class SelfMetrics {
  readonly registry = new Registry();
  private health: (() => ComponentHealth) | null = null;

  /** The agent's components, for dockstream_sink_up and dockstream_source_up. */
  observeHealth(read: () => ComponentHealth): void {
    this.health = read;
  }

  /**
   * Source records not yet added to `recordsIn`: source → kind → count. A
   * prom-client inc() per record hashes its labels each time (~3% of the
   * agent's CPU at 50k records/s); the counter adds these when it is read.
   */
  private readonly pendingIn = new Map<string, Map<string, number>>();

  readonly recordsIn: Counter<'source' | 'kind'> = new Counter({
    name: 'dockstream_source_records_total',
    help: 'Records emitted by a source',
    labelNames: ['source', 'kind'] as const,
    registers: [this.registry],
    collect: () => this.flushSourceRecords(),
  });

  /** One record emitted by `source`: counted in `recordsIn` when it is next read. */
  countSourceRecord(source: string, kind: string): void {
    let byKind = this.pendingIn.get(source);
    if (byKind === undefined) {
      byKind = new Map();
      this.pendingIn.set(source, byKind);
    }
    byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
  }

  private flushSourceRecords(): void {
    for (const [source, byKind] of this.pendingIn) {
      for (const [kind, n] of byKind) this.recordsIn.inc({ source, kind }, n);
      byKind.clear();
    }
  }

  readonly recordsOut = new Counter({
    name: 'dockstream_sink_records_total',
    help: 'Records acknowledged by a sink',
    labelNames: ['sink', 'kind'] as const,
    registers: [this.registry],
  });
  readonly dropped = new Counter({
    name: 'dockstream_dropped_records_total',
    help: 'Records dropped, by component and reason',
    labelNames: ['component', 'kind', 'reason'] as const,
    registers: [this.registry],
  });

  /** `n` records of `kind` dropped by `component` (componentName) for `reason`. */
  countDropped(component: ComponentName, kind: string, reason: DropReason, n: number): void {
    this.dropped.inc({ component, kind, reason }, n);
  }
  readonly deadLettered = new Counter({
    name: 'dockstream_dead_lettered_records_total',
    help: 'Records a sink rejected permanently, written to the dead-letter file',
    labelNames: ['sink', 'kind', 'reason'] as const,
    registers: [this.registry],
  });
  readonly retries = new Counter({
    name: 'dockstream_sink_retries_total',
    help: 'Batch delivery retries',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly uncertainResends = new Counter({
    name: 'dockstream_sink_uncertain_resent_records_total',
    help: 'Records sent again after an attempt that got no answer (timeout, connection cut): the far side may hold them twice',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly deadLetterDropped = new Counter({
    name: 'dockstream_dead_letter_dropped_records_total',
    help: 'Dead-lettered records not written because the dead-letter file reached its size bound',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly sendErrors = new Counter({
    name: 'dockstream_sink_errors_total',
    help: 'Failed batch deliveries, by whether they will be retried',
    labelNames: ['sink', 'retryable'] as const,
    registers: [this.registry],
  });
  readonly queueRecords = new Gauge({
    name: 'dockstream_queue_records',
    help: 'Records waiting in a sink queue (memory)',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly queueBytes = new Gauge({
    name: 'dockstream_queue_bytes',
    help: 'Bytes waiting in a sink queue (memory)',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly spoolRecords = new Gauge({
    name: 'dockstream_spool_records',
    help: 'Records in a sink disk spool',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly spoolBytes = new Gauge({
    name: 'dockstream_spool_bytes',
    help: 'Bytes in a sink disk spool',
    labelNames: ['sink'] as const,
    registers: [this.registry],
  });
  readonly reconnects = new Counter({
    name: 'dockstream_source_reconnects_total',
    help: 'Stream reconnects to the daemon',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  readonly malformed = new Counter({
    name: 'dockstream_malformed_input_total',
    help: 'Malformed daemon input skipped',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });
  readonly skippedTicks = new Counter({
    name: 'dockstream_skipped_ticks_total',
    help: 'Polling ticks skipped (previous round still running, or sinks full)',
    labelNames: ['source', 'reason'] as const,
    registers: [this.registry],
  });

  /** One piece of daemon input `source` skipped as malformed. */
  countMalformed(source: string, reason: MalformedReason): void {
    this.malformed.inc({ source, reason });
  }

  /** One tick `source` skipped. */
  countSkippedTick(source: string, reason: SkipReason): void {
    this.skippedTicks.inc({ source, reason });
  }
  readonly pollErrors = new Counter({
    name: 'dockstream_poll_errors_total',
    help: 'Failed polls of a polling source',
    labelNames: ['source', 'code'] as const,
    registers: [this.registry],
  });
  readonly pollDuration = new Histogram({
    name: 'dockstream_poll_duration_seconds',
    help: 'Duration of a polling round (stats round, df call)',
    labelNames: ['source'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5, 10, 30, 60, 120],
    registers: [this.registry],
  });
  readonly lastEventTime = new Gauge({
    name: 'dockstream_last_event_timestamp_seconds',
    help: 'Daemon time of the last event received',
    labelNames: ['source'] as const,
    registers: [this.registry],
  });
  /** now − lastEventTime per source, computed when scraped (a stalled stream shows as growing lag). */
  readonly eventsLag = new Gauge({
    name: 'dockstream_events_lag_seconds',
    help: 'Seconds between now and the daemon time of the last event received (computed at scrape time)',
    labelNames: ['source'] as const,
    registers: [this.registry],
    collect: async () => {
      const now = Date.now() / 1000;
      for (const { labels, value } of (await this.lastEventTime.get()).values) {
        // Clamped: a daemon clock slightly ahead of ours is not negative lag.
        this.eventsLag.set({ source: String(labels.source) }, Math.max(0, now - value));
      }
    },
  });
  readonly daemonUp = new Gauge({
    name: 'dockstream_daemon_up',
    help: '1 when the last /_ping of the docker daemon answered, else 0',
    labelNames: ['daemon'] as const,
    registers: [this.registry],
  });
  readonly sinkUp = this.upGauge('dockstream_sink_up', '1 when a sink is started and its last delivery attempt succeeded, else 0', 'sink', (h) =>
    h.sinks.map((s) => [s.name, s.ok]),
  );
  readonly sourceUp = this.upGauge('dockstream_source_up', '1 while a source runs, 0 once it stopped on an error (until a reload restarts it)', 'source', (h) =>
    h.sources.map(({ name }) => [name, !h.failedSources.has(name)]),
  );
  /** Which daemon each source reads: join the per-source series to a daemon (`* on (source) group_left(daemon)`). */
  readonly sourceInfo: Gauge<'source' | 'type' | 'daemon'> = new Gauge({
    name: 'dockstream_source_info',
    help: 'Always 1: a source, its type and the daemon it reads',
    labelNames: ['source', 'type', 'daemon'] as const,
    registers: [this.registry],
    collect: () => {
      if (!this.health) return;
      this.sourceInfo.reset();
      for (const s of this.health().sources) this.sourceInfo.set({ source: s.name, type: s.type, daemon: s.daemon }, 1);
    },
  });
  readonly lastSuccess = new Gauge({
    name: 'dockstream_last_success_timestamp_seconds',
    help: 'Wall time of the last successful operation per component',
    labelNames: ['component'] as const,
    registers: [this.registry],
  });

  /** `component` (componentName) just succeeded: a delivery, a poll, a daemon ping. */
  markSuccess(component: ComponentName): void {
    this.lastSuccess.set({ component }, Date.now() / 1000);
  }

  /** Set at Kafka sink start (src/sinks/kafka/kafkajs-internals.ts): which private KafkaJS paths run our code. */
  readonly kafkajsReplacement = new Gauge({
    name: 'dockstream_kafkajs_replacement_installed',
    help: "1 when the Kafka sink's replacement of that KafkaJS internal module is installed, 0 when KafkaJS runs it as published (turned off, loaded too early, or another layout)",
    labelNames: ['replacement'] as const,
    registers: [this.registry],
  });

  /** Set at OTLP sink start (src/sinks/otlp/exporter-internals.ts), per HTTP exporter; gRPC has nothing to replace. */
  readonly otlpExporterReplacement = new Gauge({
    name: 'dockstream_otlp_exporter_replacement_installed',
    help: "1 when the OTLP sink's replacement inside that HTTP exporter is installed, 0 when the exporter runs as published (its layout differs)",
    labelNames: ['sink', 'signal', 'replacement'] as const,
    registers: [this.registry],
  });

  /** A 1/0 gauge per component, filled from observeHealth() when scraped. */
  private upGauge<L extends string>(name: string, help: string, label: L, read: (h: ComponentHealth) => [string, boolean][]): Gauge<L> {
    const gauge: Gauge<L> = new Gauge({
      name,
      help,
      labelNames: [label],
      registers: [this.registry],
      collect: () => {
        if (!this.health) return;
        gauge.reset();
        for (const [value, up] of read(this.health())) gauge.set({ [label]: value } as Partial<Record<L, string>>, up ? 1 : 0);
      },
    });
    return gauge;
  }
}
