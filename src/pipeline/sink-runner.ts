import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SinkConfig } from '../config/schema.js';
import { describeError, isAbortError, SinkError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DsRecord, HostInfo } from '../records.js';
import { gapRecord } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import { nowRfc3339 } from '../util/units.js';
import type { DeadLetter } from './dead-letter.js';
import { join } from 'node:path';
import { MemoryBuffer, type SinkBuffer } from './buffer.js';
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
 * One sink's queue, batcher and delivery loop. Records leave the queue only
 * once the sink acknowledged them; failures are retried with exponential
 * backoff and jitter (honouring Retry-After) until shutdown; permanent
 * failures are dead-lettered and counted.
 */
export class SinkRunner {
  readonly name: string;
  private currentSink: Sink;
  private config: SinkConfig;
  private readonly deps: SinkRunnerDeps;
  private buffer: SinkBuffer;
  private maxBatch: number;
  private lingerMs: number;
  private wake: (() => void) | null = null;
  private lingerTimer: NodeJS.Timeout | null = null;
  private closing = false;
  private stopped = new AbortController();
  private loop: Promise<void> | null = null;
  /** Records dropped since the last gap record, by kind, and when dropping began. */
  private droppedSinceGap = 0;
  private gapRetryAt = 0;
  private dropStartedAt: string | null = null;
  private delivering = false;
  private inFlight = 0;
  private lastError: string | null = null;
  private started = false;

  constructor(sink: Sink, config: SinkConfig, defaults: BatchDefaults, deps: SinkRunnerDeps) {
    this.name = sink.name;
    this.currentSink = sink;
    this.config = config;
    this.deps = deps;
    // A disk spool replaces this in open(); until then nothing is offered.
    this.buffer = new MemoryBuffer(config.buffer.max_records, config.buffer.max_size);
    this.maxBatch = config.batch.max_records ?? defaults.maxRecords;
    this.lingerMs = config.batch.linger ?? defaults.lingerMs;
    this.warnIfDeprecated(config);
  }

  /** `when_full: block` never blocked (the events socket must not stall): it is `drop_newest` under its old name. */
  private warnIfDeprecated(config: SinkConfig): void {
    if (config.buffer.when_full !== 'block') return;
    this.deps.log.warn({ sink: this.name, option: 'buffer.when_full', value: 'block', use: 'drop_newest' }, 'deprecated option value: when_full block drops the newest record when full; write drop_newest');
  }

  get sink(): Sink {
    return this.currentSink;
  }

  get sinkConfig(): SinkConfig {
    return this.config;
  }

  /**
   * Reload: deliver the queued records (and everything after) through a new
   * sink instance and settings. The buffer stays, so nothing queued is lost; a
   * batch the old sink was sending is sent again by the new one (at least once).
   */
  async replace(sink: Sink, config: SinkConfig, defaults: BatchDefaults): Promise<void> {
    const old = this.currentSink;
    this.stopped.abort(new DOMException('sink replaced', 'AbortError'));
    this.wake?.();
    await this.loop;
    await old.close().catch((err: unknown) => this.deps.log.warn({ sink: this.name, err: describeError(err) }, 'sink close failed'));
    if (config.buffer.type !== this.config.buffer.type || config.buffer.max_size !== this.config.buffer.max_size || config.buffer.max_records !== this.config.buffer.max_records) {
      this.deps.log.warn({ sink: this.name }, 'buffer settings change at the next restart; keeping the current buffer');
      config = { ...config, buffer: this.config.buffer };
    }
    this.currentSink = sink;
    this.config = config;
    this.warnIfDeprecated(config);
    this.maxBatch = config.batch.max_records ?? defaults.maxRecords;
    this.lingerMs = config.batch.linger ?? defaults.lingerMs;
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
      this.deps.log.error({ sink: this.name, records: records.length, err: describeError(err) }, 'spool write failed; records dropped');
      for (const r of records) {
        // Our own gap record lost too: announce those drops again later, not in a tight loop.
        if (r.kind === 'gap' && r.component === `sink:${this.name}`) {
          this.droppedSinceGap += r.dropped ?? 0;
          this.dropStartedAt ??= r.from;
          this.gapRetryAt = Date.now() + 1000;
        } else {
          this.countDrop(r.kind, 1);
          this.settleDropped(r);
        }
      }
      this.maybeWake();
    };
    this.buffer = spool;
    this.updateGauges();
  }

  /** Healthy when started and the last delivery attempt did not fail. */
  get status(): { ok: boolean; reason: string | null } {
    if (!this.started) return { ok: false, reason: this.lastError ?? 'not started' };
    return { ok: this.lastError === null, reason: this.lastError };
  }

  /** Never blocks: a full buffer drops (drop_newest, alias block: this record; drop_oldest: the oldest not in flight) and counts it. */
  enqueue(record: DsRecord): void {
    if (!this.buffer.offer(record)) {
      if (this.config.buffer.when_full === 'drop_oldest') {
        const dropped = this.buffer.dropOldest(this.delivering ? this.inFlight : 0, this.settleDropped);
        for (const [kind, n] of Object.entries(dropped)) this.countDrop(kind, n);
      }
      if (!this.buffer.offer(record)) {
        this.countDrop(record.kind, 1);
        this.settleDropped(record);
        return;
      }
    }
    this.updateGauges();
    this.maybeWake();
  }

  start(): void {
    this.loop ??= this.run();
  }

  /** Stop taking records, deliver what is queued until `signal` aborts, then close the sink. */
  async drain(signal: AbortSignal): Promise<void> {
    this.closing = true;
    const onAbort = (): void => this.stopped.abort(new DOMException('drain deadline', 'AbortError'));
    signal.addEventListener('abort', onAbort, { once: true });
    this.wake?.();
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
      await this.buffer.close().catch((err: unknown) => this.deps.log.warn({ sink: this.name, err: describeError(err) }, 'spool close failed'));
      await this.currentSink.close().catch((err: unknown) => this.deps.log.warn({ sink: this.name, err: describeError(err) }, 'sink close failed'));
    }
  }

  private async run(): Promise<void> {
    const signal = this.stopped.signal;
    try {
      await this.withRetry(() => this.sink.start(signal), 'start');
    } catch (err) {
      if (!isAbortError(err) && !signal.aborted) this.deps.log.error({ sink: this.name, err: describeError(err) }, 'sink cannot start');
      return;
    }
    this.started = true;
    this.lastError = null;
    this.deps.log.info({ sink: this.name, type: this.sink.type }, 'sink started');
    for (;;) {
      try {
        await this.waitForBatch();
        if (signal.aborted) return;
        this.injectGapIfDropped();
        const batch = this.buffer.depth.records === 0 ? [] : await this.buffer.peek(this.maxBatch);
        if (batch.length === 0) {
          if (this.closing) return;
          continue;
        }
        await this.deliver(batch, signal);
        this.injectGapIfDropped();
      } catch (err) {
        if (isAbortError(err) || signal.aborted) return;
        // Never let one bad turn stop delivery for good: log, pause, go on.
        this.lastError = describeError(err);
        this.deps.log.error({ sink: this.name, err: this.lastError }, 'sink loop error; continuing');
        await sleep(1000, undefined, { signal }).catch(() => undefined);
        if (signal.aborted) return;
      }
    }
  }

  private async deliver(batch: DsRecord[], signal: AbortSignal): Promise<void> {
    this.delivering = true;
    this.inFlight = batch.length;
    let acked = false;
    try {
      const rejected: Array<{ record: DsRecord; reason: string }> = [];
      const sendable = this.sink.reject
        ? batch.filter((r) => {
            const reason = this.sink.reject?.(r) ?? null;
            if (reason !== null) rejected.push({ record: r, reason });
            return reason === null;
          })
        : batch;
      for (const { record, reason } of rejected) await this.deps.deadLetter.write(this.name, [record], reason);
      if (sendable.length > 0) {
        try {
          await this.withRetry(() => this.sink.send(sendable, signal), 'send', sendable.length);
          for (const [kind, n] of countByKind(sendable)) this.deps.metrics.recordsOut.inc({ sink: this.name, kind }, n);
          this.deps.metrics.lastSuccess.set({ component: `sink:${this.name}` }, Date.now() / 1000);
        } catch (err) {
          if (!(err instanceof SinkError) || err.retryable) throw err;
          await this.deps.deadLetter.write(this.name, sendable, err.message);
        }
      }
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

  /** `records`: how many a send carries, counted again when an attempt's outcome is unknown. */
  private async withRetry(fn: () => Promise<void>, what: 'start' | 'send', records = 0): Promise<void> {
    const signal = this.stopped.signal;
    await pRetry(
      async () => {
        await fn();
        this.lastError = null;
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: this.config.retry.initial,
        maxTimeout: this.config.retry.max,
        factor: 2,
        randomize: true,
        signal,
        shouldRetry: ({ error }) => !(error instanceof SinkError && !error.retryable) && !isAbortError(error),
        onFailedAttempt: async ({ error, attemptNumber }) => {
          const retryable = !(error instanceof SinkError && !error.retryable);
          this.lastError = describeError(error);
          this.deps.metrics.sendErrors.inc({ sink: this.name, retryable: String(retryable) });
          if (!retryable || signal.aborted) return;
          this.deps.metrics.retries.inc({ sink: this.name });
          // Sent, no answer: the retry may deliver these records a second time.
          if (error instanceof SinkError && error.outcomeUnknown && records > 0) this.deps.metrics.uncertainResends.inc({ sink: this.name }, records);
          const level = attemptNumber === 1 || attemptNumber % 10 === 0 ? 'warn' : 'debug';
          this.deps.log[level]({ sink: this.name, attempt: attemptNumber, op: what, err: this.lastError }, 'sink delivery failed; retrying');
          // Honour Retry-After on top of our own backoff.
          if (error instanceof SinkError && error.retryAfterMs !== undefined) {
            await sleep(Math.min(error.retryAfterMs, this.config.retry.max), undefined, { signal }).catch(() => undefined);
          }
        },
      },
    );
  }

  /** Resolves when a full batch is queued, the linger time passed, or we are closing. */
  private async waitForBatch(): Promise<void> {
    if (this.buffer.depth.records >= this.maxBatch || this.closing) return;
    await new Promise<void>((resolve) => {
      this.wake = resolve;
      if (this.buffer.depth.records > 0) this.armLinger();
    });
    this.wake = null;
    if (this.lingerTimer) {
      clearTimeout(this.lingerTimer);
      this.lingerTimer = null;
    }
  }

  private maybeWake(): void {
    if (!this.wake) return;
    if (this.buffer.depth.records >= this.maxBatch) this.wake();
    else this.armLinger();
  }

  private armLinger(): void {
    if (this.lingerTimer || !this.wake) return;
    const wake = this.wake;
    this.lingerTimer = setTimeout(() => {
      this.lingerTimer = null;
      wake();
    }, this.lingerMs);
  }

  /**
   * A dropped record is done with for this sink (a `gap` announces it): the
   * events cursor must not wait for it, nor keep it in memory while the sink
   * stays blocked.
   */
  private readonly settleDropped = (record: DsRecord): void => {
    this.deps.onSettled?.(this.name, [record]);
  };

  private countDrop(kind: string, n: number): void {
    const reason = this.buffer.kind === 'disk' ? 'spool_full' : 'queue_full';
    this.deps.metrics.dropped.inc({ component: `sink:${this.name}`, kind, reason }, n);
    if (this.droppedSinceGap === 0) {
      this.dropStartedAt = nowRfc3339();
      this.deps.log.warn({ sink: this.name, buffer: this.buffer.kind, max_records: this.config.buffer.max_records, max_size: this.config.buffer.max_size }, 'sink buffer full; dropping records');
    }
    this.droppedSinceGap += n;
  }

  /** After drops, once there is room again, tell consumers exactly what went missing. */
  private injectGapIfDropped(): void {
    if (this.droppedSinceGap === 0 || !this.buffer.hasRoom() || Date.now() < this.gapRetryAt) return;
    const gap = gapRecord({
      host: this.deps.host(),
      from: this.dropStartedAt,
      to: nowRfc3339(),
      reason: this.buffer.kind === 'disk' ? 'spool_full' : 'queue_overflow',
      component: `sink:${this.name}`,
      dropped: this.droppedSinceGap,
      detail: `the sink ${this.buffer.kind === 'disk' ? 'spool' : 'queue'} was full; records were dropped`,
    });
    this.deps.log.warn({ sink: this.name, dropped: this.droppedSinceGap }, 'sink queue has room again; gap recorded');
    this.droppedSinceGap = 0;
    this.dropStartedAt = null;
    this.buffer.offer(gap);
    this.updateGauges();
  }

  private updateGauges(): void {
    const { records, bytes } = this.buffer.depth;
    const [r, b] = this.buffer.kind === 'disk' ? [this.deps.metrics.spoolRecords, this.deps.metrics.spoolBytes] : [this.deps.metrics.queueRecords, this.deps.metrics.queueBytes];
    r.set({ sink: this.name }, records);
    b.set({ sink: this.name }, bytes);
  }
}

/** Records per kind: one counter update per kind and batch, not one per record. */
function countByKind(records: readonly DsRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  return counts;
}
