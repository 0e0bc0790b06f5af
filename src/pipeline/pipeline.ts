import type { Config } from '../config/schema.js';
import type { Logger } from '../log.js';
import type { DsRecord, EventRecord, HostInfo } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import { DeadLetter } from './dead-letter.js';
import { SinkRunner } from './sink-runner.js';
import type { BatchDefaults, Sink } from './types.js';

export interface PipelineDeps {
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  host(): HostInfo;
  onSettled?(sink: string, records: readonly DsRecord[]): void;
}

/**
 * Routes records from sources to the sinks that take them, each through its
 * own bounded queue and delivery loop (SinkRunner). Written once, here:
 * sources and sinks stay small.
 */
export class Pipeline {
  readonly runners: readonly SinkRunner[];
  private readonly deps: PipelineDeps;
  private readonly listeners = new Set<(e: EventRecord) => void>();
  private readonly routes = new Map<string, SinkRunner[]>();

  constructor(config: Config, sinks: ReadonlyArray<{ sink: Sink; defaults: BatchDefaults }>, deps: PipelineDeps) {
    this.deps = deps;
    const deadLetter = new DeadLetter(config.state_dir, deps.log, deps.metrics);
    this.runners = sinks.map(
      ({ sink, defaults }) =>
        new SinkRunner(sink, config.sinks[sink.name] as Config['sinks'][string], defaults, {
          log: deps.log,
          metrics: deps.metrics,
          deadLetter,
          host: deps.host,
          stateDir: config.state_dir,
          ...(deps.onSettled ? { onSettled: deps.onSettled } : {}),
        }),
    );
    for (const name of Object.keys(config.sources)) {
      this.routes.set(name, this.runners.filter((r) => config.sinks[r.name]?.inputs.includes(name)));
    }
  }

  /** A source's record: counted, fanned out to its sinks, and published to event listeners. Never blocks. */
  emit(source: string, record: DsRecord): void {
    this.deps.metrics.recordsIn.inc({ source, kind: record.kind });
    for (const runner of this.routes.get(source) ?? []) {
      if (runner.accepts(source, record)) runner.enqueue(record);
    }
    if (record.kind === 'event') {
      for (const listener of this.listeners) {
        try {
          listener(record);
        } catch (err) {
          this.deps.log.error({ err }, 'event listener failed');
        }
      }
    }
  }

  /** Every sink fed by `source` has room (polling sources skip a tick otherwise). */
  hasCapacity(source: string): boolean {
    return (this.routes.get(source) ?? []).every((r) => r.hasRoom());
  }

  onEvent(listener: (e: EventRecord) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Opens disk spools (replaying what a previous run left behind). */
  async open(): Promise<void> {
    await Promise.all(this.runners.map((r) => r.open()));
  }

  start(): void {
    for (const r of this.runners) r.start();
  }

  /** Deliver what is queued until `signal` aborts, then close every sink. */
  async drain(signal: AbortSignal): Promise<void> {
    await Promise.all(this.runners.map((r) => r.drain(signal)));
  }
}
