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
  private runnerList: SinkRunner[];
  private readonly deps: PipelineDeps;
  private readonly deadLetter: DeadLetter;
  private stateDir: string;
  private readonly listeners = new Set<(e: EventRecord) => void>();
  private readonly routes = new Map<string, SinkRunner[]>();

  constructor(config: Config, sinks: ReadonlyArray<{ sink: Sink; defaults: BatchDefaults }>, deps: PipelineDeps) {
    this.deps = deps;
    this.stateDir = config.state_dir;
    this.deadLetter = new DeadLetter(config.state_dir, deps.log, deps.metrics, config.dead_letter.max_size);
    this.runnerList = sinks.map(({ sink, defaults }) => this.newRunner(sink, config.sinks[sink.name] as Config['sinks'][string], defaults));
    this.setRoutes(config);
  }

  get runners(): readonly SinkRunner[] {
    return this.runnerList;
  }

  private newRunner(sink: Sink, sc: Config['sinks'][string], defaults: BatchDefaults): SinkRunner {
    return new SinkRunner(sink, sc, defaults, {
      log: this.deps.log,
      metrics: this.deps.metrics,
      deadLetter: this.deadLetter,
      host: this.deps.host,
      stateDir: this.stateDir,
      ...(this.deps.onSettled ? { onSettled: this.deps.onSettled } : {}),
    });
  }

  /** Which sinks each source feeds (rebuilt on reload). */
  setRoutes(config: Config): void {
    this.routes.clear();
    for (const name of Object.keys(config.sources)) {
      this.routes.set(name, this.runnerList.filter((r) => config.sinks[r.name]?.inputs.includes(name)));
    }
  }

  /** Reload: a new sink, opened and started. */
  async addSink(sink: Sink, sc: Config['sinks'][string], defaults: BatchDefaults): Promise<void> {
    const runner = this.newRunner(sink, sc, defaults);
    await runner.open();
    this.runnerList = [...this.runnerList, runner];
    runner.start();
  }

  /** Reload: a sink no longer configured delivers what it holds (until `signal`), then goes. */
  async removeSink(name: string, signal: AbortSignal): Promise<void> {
    const runner = this.runnerList.find((r) => r.name === name);
    if (!runner) return;
    this.runnerList = this.runnerList.filter((r) => r !== runner);
    for (const [source, list] of this.routes) this.routes.set(source, list.filter((r) => r !== runner));
    await runner.drain(signal);
  }

  /** A source's record: counted, fanned out to its sinks, and published to event listeners. Never blocks. */
  emit(source: string, record: DsRecord): void {
    this.deps.metrics.countSourceRecord(source, record.kind);
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
