import type { DockerClient } from '../docker/client.js';
import type { Logger } from '../log.js';
import type { DsRecord, EventRecord, HostInfo } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import type { SettledListener } from './settlement.js';

/** What a source gets from the agent. Sources only talk to the daemon and emit. */
export interface SourceContext {
  readonly docker: DockerClient;
  /** Current daemon identity for the record envelope (refreshed on reconnect). */
  host(): HostInfo;
  /** Replace the daemon identity (the events source refreshes it after every connect). */
  setHost(host: HostInfo): void;
  /** Hand a record to the pipeline. Never blocks; overflow is the pipeline's business. */
  emit(record: DsRecord): void;
  /**
   * `emit`, and follow the record: `onSettled` listeners hear of it once every
   * sink that took it is done with it (for an at-least-once resume point).
   */
  emitFollowed(record: DsRecord): void;
  /** Followed records settled by every sink, in emission order; returns the unsubscribe (docs/design.md §4). */
  onSettled(listener: SettledListener): () => void;
  /** False when a sink this source feeds is full: a polling source skips its tick. */
  hasCapacity(): boolean;
  /** Event records any source emits (container lifecycle, for sources keeping a container set). */
  onEvent(listener: (event: EventRecord) => void): () => void;
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  /** Aborted at shutdown: `run` must then return promptly. */
  readonly signal: AbortSignal;
  /** `<state_dir>`, for what a source keeps across restarts (cursor, alert state); absent for `once`. */
  readonly stateDir?: string;
  /** What the instance this one replaces handed over on reload (its `handover()`), if any. */
  readonly handover?: unknown;
}

export interface Source {
  readonly name: string;
  readonly type: string;
  /** Runs until the signal aborts (or, with `once`, until one round is done). */
  run(ctx: SourceContext): Promise<void>;
  /** On reload, where a replacement continues from (opaque to the agent; events: the last emitted instant). */
  handover?(): unknown;
  /** After the last record it emitted was settled or abandoned (shutdown, replacement): persist what must survive. */
  close?(): Promise<void>;
}

export interface SinkContext {
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  /** Identity of the daemon, for sinks that describe the producer (OTLP resource). */
  host(): HostInfo;
}

/**
 * A sink delivers a batch and resolves when the far side accepted it.
 * It throws SinkError (retryable or permanent); it never retries on its own.
 */
export interface Sink {
  readonly name: string;
  readonly type: string;
  /** Connect. May throw SinkError; the pipeline retries start like a send. */
  start(signal: AbortSignal): Promise<void>;
  /** Reachability probe for `dockstream check`; throws when unreachable. */
  check(signal: AbortSignal): Promise<string>;
  send(batch: readonly DsRecord[], signal: AbortSignal): Promise<void>;
  /** Idempotent. */
  close(): Promise<void>;
  /** Per-record permanent failures found before sending (e.g. too large): the pipeline dead-letters them. */
  reject?(record: DsRecord): string | null;
}

export interface BatchDefaults {
  readonly maxRecords: number;
  readonly lingerMs: number;
}
