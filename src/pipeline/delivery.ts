import pRetry from 'p-retry';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SinkSettings } from './sink-settings.js';
import { describeError, isAbortError, isPermanentError, SinkError } from '../errors.js';
import type { Logger } from '../log.js';
import { componentName, type DsRecord } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import type { DeadLetter } from './dead-letter.js';
import type { Sink } from './types.js';

export interface DeliveryDeps {
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  readonly deadLetter: DeadLetter;
}

/** The sink delivered to and its settings; both change when a reload replaces the sink. */
export interface DeliveryTarget {
  readonly sink: Sink;
  readonly sinkConfig: SinkSettings;
}

/**
 * Gets batches to one sink: retried with exponential backoff and jitter
 * (honouring Retry-After) until the signal aborts; records the sink rejects,
 * and batches it fails permanently, are dead-lettered instead.
 */
export class Delivery {
  private readonly name: string;
  private readonly target: DeliveryTarget;
  private readonly deps: DeliveryDeps;
  /** Why the last attempt failed; null once one succeeded. */
  lastError: string | null = null;

  constructor(name: string, target: DeliveryTarget, deps: DeliveryDeps) {
    this.name = name;
    this.target = target;
    this.deps = deps;
  }

  /** Starts the sink, retrying until it starts or `signal` aborts. */
  start(signal: AbortSignal): Promise<void> {
    return this.withRetry(() => this.target.sink.start(signal), 'start', signal);
  }

  /**
   * Resolves once every record of `batch` was delivered or dead-lettered;
   * throws when `signal` aborted first (or on an error that is not the sink's).
   */
  async deliver(batch: DsRecord[], signal: AbortSignal): Promise<void> {
    const sink = this.target.sink;
    const rejected: Array<{ record: DsRecord; reason: string }> = [];
    const sendable = sink.reject
      ? batch.filter((r) => {
          const reason = sink.reject?.(r) ?? null;
          if (reason !== null) rejected.push({ record: r, reason });
          return reason === null;
        })
      : batch;
    for (const { record, reason } of rejected) await this.deps.deadLetter.write(this.name, [record], reason);
    if (sendable.length === 0) return;
    try {
      await this.withRetry(() => this.target.sink.send(sendable, signal), 'send', signal, sendable.length);
      for (const [kind, n] of countByKind(sendable)) this.deps.metrics.recordsOut.inc({ sink: this.name, kind }, n);
      this.deps.metrics.markSuccess(componentName('sink', this.name));
    } catch (err) {
      if (!isPermanentError(err)) throw err;
      await this.deps.deadLetter.write(this.name, sendable, (err as Error).message);
    }
  }

  /** `records`: how many a send carries, counted again when an attempt's outcome is unknown. */
  private async withRetry(fn: () => Promise<void>, what: 'start' | 'send', signal: AbortSignal, records = 0): Promise<void> {
    const retry = this.target.sinkConfig.retry;
    await pRetry(
      async () => {
        await fn();
        this.lastError = null;
      },
      {
        retries: Number.POSITIVE_INFINITY,
        minTimeout: retry.initial,
        maxTimeout: retry.max,
        factor: 2,
        randomize: true,
        signal,
        shouldRetry: ({ error }) => !isPermanentError(error) && !isAbortError(error),
        onFailedAttempt: async ({ error, attemptNumber }) => {
          const retryable = !isPermanentError(error);
          this.lastError = describeError(error); // the one line /readyz shows
          this.deps.metrics.sendErrors.inc({ sink: this.name, retryable: String(retryable) });
          if (!retryable || signal.aborted) return;
          this.deps.metrics.retries.inc({ sink: this.name });
          // Sent, no answer: the retry may deliver these records a second time.
          if (error instanceof SinkError && error.outcomeUnknown && records > 0) this.deps.metrics.uncertainResends.inc({ sink: this.name }, records);
          const level = attemptNumber === 1 || attemptNumber % 10 === 0 ? 'warn' : 'debug';
          this.deps.log[level]({ sink: this.name, attempt: attemptNumber, op: what, err: error }, 'sink delivery failed; retrying');
          // Honour Retry-After on top of our own backoff.
          if (error instanceof SinkError && error.retryAfterMs !== undefined) {
            await sleep(Math.min(error.retryAfterMs, retry.max), undefined, { signal }).catch(() => undefined);
          }
        },
      },
    );
  }
}

/** Records per kind: one counter update per kind and batch, not one per record. */
function countByKind(records: readonly DsRecord[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of records) counts.set(r.kind, (counts.get(r.kind) ?? 0) + 1);
  return counts;
}
