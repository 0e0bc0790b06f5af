import type { Logger } from '../log.js';
import type { DsRecord, EventRecord, HostInfo } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import { DeadLetter } from './dead-letter.js';
import { Settlement } from './settlement.js';
import type { SinkSettings } from './sink-settings.js';
import { SinkRunner } from './sink-runner.js';
import type { BatchDefaults, Sink } from './types.js';

/** What the pipeline reads of the agent's config (the config satisfies it). */
export interface PipelineConfig {
  readonly state_dir: string;
  readonly dead_letter: { readonly max_size: number };
  readonly sources: Readonly<Record<string, unknown>>;
  readonly sinks: Readonly<Record<string, { readonly inputs: readonly string[] }>>;
}

export interface PipelineDeps {
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  host(): HostInfo;
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
  /** Per source that follows its records (the events source's cursor). */
  private readonly settlements = new Map<string, Settlement>();

  /** `sinks`: each with its config (the agent narrows `kinds` to what the sink takes). */
  constructor(config: PipelineConfig, sinks: ReadonlyArray<{ sink: Sink; defaults: BatchDefaults; config: SinkSettings }>, deps: PipelineDeps) {
    this.deps = deps;
    this.stateDir = config.state_dir;
    this.deadLetter = new DeadLetter(config.state_dir, deps.log, deps.metrics, config.dead_letter.max_size);
    this.runnerList = sinks.map((parts) => this.newRunner(parts.sink, parts.config, parts.defaults));
    this.setRoutes(config);
  }

  get runners(): readonly SinkRunner[] {
    return this.runnerList;
  }

  private newRunner(sink: Sink, sc: SinkSettings, defaults: BatchDefaults): SinkRunner {
    return new SinkRunner(sink, sc, defaults, {
      log: this.deps.log,
      metrics: this.deps.metrics,
      deadLetter: this.deadLetter,
      host: () => this.deps.host(),
      stateDir: this.stateDir,
      onSettled: (sink, records) => {
        for (const settlement of this.settlements.values()) settlement.settled(sink, records);
      },
    });
  }

  /** Which sinks each source feeds (rebuilt on reload). */
  setRoutes(config: PipelineConfig): void {
    this.routes.clear();
    for (const name of Object.keys(config.sources)) {
      this.routes.set(
        name,
        this.runnerList.filter((r) => config.sinks[r.name]?.inputs.includes(name)),
      );
    }
  }

  /** Reload: a new sink, opened and started. */
  async addSink(sink: Sink, sc: SinkSettings, defaults: BatchDefaults): Promise<void> {
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
    for (const [source, list] of this.routes)
      this.routes.set(
        source,
        list.filter((r) => r !== runner),
      );
    await runner.drain(signal);
    // What it could not deliver in time is abandoned: nothing waits for it any more.
    for (const settlement of this.settlements.values()) settlement.forgetSink(name);
  }

  /** The settlement tracker of `source` (created on first use). */
  settlement(source: string): Settlement {
    let settlement = this.settlements.get(source);
    if (!settlement) {
      settlement = new Settlement();
      this.settlements.set(source, settlement);
    }
    return settlement;
  }

  /** Reload: a source no longer configured; its settlements are no one's business any more. */
  forgetSource(source: string): void {
    this.settlements.delete(source);
  }

  /**
   * A source's record: counted, fanned out to its sinks, and published to event
   * listeners. Never blocks. A followed record is registered with the source's
   * settlement before any sink can settle it (a full buffer does at once).
   */
  emit(source: string, record: DsRecord, follow = false): void {
    this.deps.metrics.countSourceRecord(source, record.kind);
    const runners = this.routes.get(source) ?? [];
    if (follow) {
      const takers = runners.filter((r) => r.accepts(source, record));
      this.settlement(source).follow(
        record,
        takers.map((r) => r.name),
      );
      for (const runner of takers) runner.enqueue(record);
    } else {
      for (const runner of runners) if (runner.accepts(source, record)) runner.enqueue(record);
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
