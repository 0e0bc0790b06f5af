import type { z } from 'zod';
import type { DockerClient } from '../docker/client.js';
import type { Logger } from '../log.js';
import type { DsRecord, EventRecord, HostInfo } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import type { CursorState } from './cursor.js';

/** What a source gets from the agent. Sources only talk to the daemon and emit. */
export interface SourceContext {
  readonly docker: DockerClient;
  /** Current daemon identity for the record envelope (refreshed on reconnect). */
  host(): HostInfo;
  /** Replace the daemon identity (the events source refreshes it after every connect). */
  setHost(host: HostInfo): void;
  /** Hand a record to the pipeline. Never blocks; overflow is the pipeline's business. */
  emit(record: DsRecord): void;
  /** False when a sink this source feeds is full: a polling source skips its tick. */
  hasCapacity(): boolean;
  /** Container lifecycle from the events source (for sources keeping a container set). */
  onEvent(listener: (event: EventRecord) => void): () => void;
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  /** Aborted at shutdown: `run` must then return promptly. */
  readonly signal: AbortSignal;
  /** `<state_dir>`, for what a source keeps across restarts (alert state); absent for `once`. */
  readonly stateDir?: string;
  /** The persisted events cursor of this source from the previous run, if any. */
  initialCursor?(): CursorState | null;
}

export interface Source {
  readonly name: string;
  readonly type: string;
  /** Runs until the signal aborts (or, with `once`, until one round is done). */
  run(ctx: SourceContext): Promise<void>;
  /** Where the source stands, for a replacement to resume from (events: the last emitted instant). */
  checkpoint?(): { time_nano: string; keys: string[] } | null;
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

export interface SourceOnceOptions {
  /** `once --since`: for events, the window start in ms since epoch. */
  readonly sinceMs?: number;
}

export interface SourcePlugin<O = unknown> {
  readonly type: string;
  /** Zod schema of the plugin's own options (besides `type`). */
  readonly options: z.ZodObject & z.ZodType<O>;
  create(name: string, options: O, once?: SourceOnceOptions): Source;
}

export interface BatchDefaults {
  readonly maxRecords: number;
  readonly lingerMs: number;
}

export interface SinkPlugin<O = unknown> {
  readonly type: string;
  readonly options: z.ZodObject & z.ZodType<O>;
  readonly batchDefaults: BatchDefaults;
  create(name: string, options: O, ctx: SinkContext): Sink;
}
