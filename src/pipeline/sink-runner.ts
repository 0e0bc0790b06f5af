import { setTimeout as sleep } from 'node:timers/promises';
import { join } from 'node:path';
import type { SinkSettings } from './sink-settings.js';
import { describeError, isAbortError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DsRecord, HostInfo } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import { Batcher, type BatchSettings } from './batcher.js';
import { MemoryBuffer, type SinkBuffer } from './buffer.js';
import type { DeadLetter } from './dead-letter.js';
import { Delivery } from './delivery.js';
import { DropAccounting } from './drop-accounting.js';
import { DiskSpool } from './spool.js';
import type { BatchDefaults, Sink } from './types.js';

export interface SinkRunnerDeps {
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  readonly deadLetter: DeadLetter;
  host(): HostInfo;
  /** Where disk spools live (`<state_dir>/spool/<sink>`). */
  readonly stateDir: string;
  /**
   * Records this sink is done with, in queue order: delivered (or dead-lettered)
   * with a memory buffer, durably spooled with a disk buffer. Drives the events cursor.
   */
  onSettled?(sink: string, records: readonly DsRecord[]): void;
}

/**
 * One sink's buffer and delivery loop: the batcher says when to take a batch,
 * delivery gets it to the sink (retrying, dead-lettering), drop accounting
 * counts what a full buffer refused. Records leave the buffer only once the
 * sink acknowledged them (or they were dead-lettered).
 */
export class SinkRunner {
  readonly name: string;
  private currentSink: Sink;
  private config: SinkSettings;
  private readonly deps: SinkRunnerDeps;
  private buffer: SinkBuffer;
  private readonly batcher: Batcher;
  private readonly delivery: Delivery;
  private readonly drops: DropAccounting;
  private closing = false;
  private stopped = new AbortController();
  private loop: Promise<void> | null = null;
  private delivering = false;
  private inFlight = 0;
  private started = false;

  constructor(sink: Sink, config: SinkSettings, defaults: BatchDefaults, deps: SinkRunnerDeps) {
    this.name = sink.name;
    this.currentSink = sink;
    this.config = config;
    this.deps = deps;
    // A disk spool replaces this in open(); until then nothing is offered.
    this.buffer = new MemoryBuffer(config.buffer.max_records, config.buffer.max_size);
    this.batcher = new Batcher(() => this.buffer.depth.records, batchSettings(config, defaults));
    this.delivery = new Delivery(this.name, this, deps);
    this.drops = new DropAccounting(this.name, deps, config.buffer, () => this.buffer);
    this.warnIfDeprecated(config);
  }

  /** `when_full: block` never blocked (the events socket must not stall): it is `drop_newest` under its old name. */
  private warnIfDeprecated(config: SinkSettings): void {
    if (config.buffer.when_full !== 'block') return;
    this.deps.log.warn(
      { sink: this.name, option: 'buffer.when_full', value: 'block', use: 'drop_newest' },
      'deprecated option value: when_full block drops the newest record when full; write drop_newest',
    );
  }

  get sink(): Sink {
    return this.currentSink;
  }

  get sinkConfig(): SinkSettings {
    return this.config;
  }

  /**
   * Reload: deliver the queued records (and everything after) through a new
   * sink instance and settings. The buffer stays, so nothing queued is lost; a
   * batch the old sink was sending is sent again by the new one (at least once).
   */
  async replace(sink: Sink, config: SinkSettings, defaults: BatchDefaults): Promise<void> {
    const old = this.currentSink;
    this.stopped.abort(new DOMException('sink replaced', 'AbortError'));
    this.batcher.wakeNow();
    await this.loop;
    await old.close().catch((err: unknown) => this.deps.log.warn({ sink: this.name, err }, 'sink close failed'));
    if (
      config.buffer.type !== this.config.buffer.type ||
      config.buffer.max_size !== this.config.buffer.max_size ||
      config.buffer.max_records !== this.config.buffer.max_records
    ) {
      this.deps.log.warn({ sink: this.name }, 'buffer settings change at the next restart; keeping the current buffer');
      config = { ...config, buffer: this.config.buffer };
    }
    this.currentSink = sink;
    this.config = config;
    this.warnIfDeprecated(config);
    this.batcher.settings = batchSettings(config, defaults);
    this.stopped = new AbortController();
    this.started = false;
    this.loop = this.run();
  }

  /** Which records this sink takes. */
  accepts(sourceName: string, record: DsRecord): boolean {
    return this.config.inputs.includes(sourceName) && (!this.config.kinds || this.config.kinds.includes(record.kind));
  }

  hasRoom(): boolean {
    return this.buffer.hasRoom() && !this.closing;
  }

  get depth(): { records: number; bytes: number } {
    return this.buffer.depth;
  }

  get bufferKind(): 'memory' | 'disk' {
    return this.buffer.kind;
  }

  /** Opens the disk spool (replaying what a previous run left) when configured. */
  async open(): Promise<void> {
    if (this.config.buffer.type !== 'disk' || this.buffer.kind === 'disk') return;
    const spool = await DiskSpool.open(join(this.deps.stateDir, 'spool', this.name), this.config.buffer.max_size, this.deps.log.child({ sink: this.name }));
    spool.onDurable = (records) => this.deps.onSettled?.(this.name, records);
    spool.onLost = (records, err) => {
      this.drops.lost(records, err);
      this.batcher.maybeWake();
    };
    this.buffer = spool;
    this.updateGauges();
  }

  /** Healthy when started and the last delivery attempt did not fail. */
  get status(): { ok: boolean; reason: string | null } {
    const lastError = this.delivery.lastError;
    if (!this.started) return { ok: false, reason: lastError ?? 'not started' };
    return { ok: lastError === null, reason: lastError };
  }

  /** Never blocks: a full buffer drops (drop_newest, alias block: this record; drop_oldest: the oldest not in flight) and counts it. */
  enqueue(record: DsRecord): void {
    if (!this.buffer.offer(record)) {
      if (this.config.buffer.when_full === 'drop_oldest') {
        const dropped = this.buffer.dropOldest(this.delivering ? this.inFlight : 0, this.drops.settle);
        for (const [kind, n] of Object.entries(dropped)) this.drops.count(kind, n);
      }
      if (!this.buffer.offer(record)) {
        this.drops.count(record.kind, 1);
        this.drops.settle(record);
        return;
      }
    }
    this.updateGauges();
    this.batcher.maybeWake();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop taking records, deliver what is queued until `signal` aborts, then close the sink. */
  async drain(signal: AbortSignal): Promise<void> {
    this.closing = true;
    const onAbort = (): void => this.stopped.abort(new DOMException('drain deadline', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    this.batcher.wakeNow();
    try {
      await this.loop;
    } finally {
      signal.removeEventListener('abort', onAbort);
      const left = this.buffer.depth.records;
      if (left > 0 && this.buffer.kind === 'memory') {
        this.deps.log.warn({ sink: this.name, records: left }, 'shutdown deadline reached; undelivered records left in memory queue');
      } else if (left > 0) {
        this.deps.log.info({ sink: this.name, records: left }, 'undelivered records stay in the disk spool for the next start');
      }
      await this.buffer.close().catch((err: unknown) => this.deps.log.warn({ sink: this.name, err }, 'spool close failed'));
      await this.currentSink.close().catch((err: unknown) => this.deps.log.warn({ sink: this.name, err }, 'sink close failed'));
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopped.signal;
    try {
      await this.delivery.start(signal);
    } catch (err) {
      if (!isAbortError(err) && !signal.aborted) this.deps.log.error({ sink: this.name, err }, 'sink cannot start');
      return;
    }
    this.started = true;
    this.delivery.lastError = null;
    this.deps.log.info({ sink: this.name, type: this.sink.type }, 'sink started');
    for (;;) {
      try {
        await this.batcher.waitForBatch(this.closing);
        if (signal.aborted) return;
        this.injectGapIfDropped();
        const batch = this.buffer.depth.records === 0 ? [] : await this.buffer.peek(this.batcher.settings.maxRecords);
        if (batch.length === 0) {
          if (this.closing) return;
          continue;
        }
        await this.deliver(batch, signal);
        this.injectGapIfDropped();
      } catch (err) {
        if (isAbortError(err) || signal.aborted) return;
        // Never let one bad turn stop delivery for good: log, pause, go on.
        this.delivery.lastError = describeError(err);
        this.deps.log.error({ sink: this.name, err }, 'sink loop error; continuing');
        await sleep(1000, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return;
      }
    }
  }

  /** Delivers the batch peeked from the head of the buffer, then acknowledges it there. */
  private async deliver(batch: DsRecord[], signal: AbortSignal): Promise<void> {
    this.delivering = true;
    this.inFlight = batch.length;
    let acked = false;
    try {
      await this.delivery.deliver(batch, signal);
      await this.buffer.ack(batch.length);
      acked = true;
      this.updateGauges();
      if (this.buffer.kind === 'memory') this.deps.onSettled?.(this.name, batch);
    } finally {
      this.delivering = false;
      // Not delivered (shutdown, reload, error): the batch stays at the head for the next turn.
      if (!acked) this.buffer.release();
    }
  }

  /** Queues the `gap` record once drops are to be announced and there is room. */
  private injectGapIfDropped(): void {
    const gap = this.drops.takeGap();
    if (!gap) return;
    this.buffer.offer(gap);
    this.updateGauges();
  }

  private updateGauges(): void {
    const { records, bytes } = this.buffer.depth;
    const [r, b] =
      this.buffer.kind === 'disk'
        ? [this.deps.metrics.spoolRecords, this.deps.metrics.spoolBytes]
        : [this.deps.metrics.queueRecords, this.deps.metrics.queueBytes];
    r.set({ sink: this.name }, records);
    b.set({ sink: this.name }, bytes);
  }
}

function batchSettings(config: SinkSettings, defaults: BatchDefaults): BatchSettings {
  return { maxRecords: config.batch.max_records ?? defaults.maxRecords, lingerMs: config.batch.linger ?? defaults.lingerMs };
}
