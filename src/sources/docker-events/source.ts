import pRetry from 'p-retry';
import { DsError, isAbortError } from '../../errors.js';
import { join } from 'node:path';
import { inventoryOf } from '../../docker/containers.js';
import type { Source, SourceContext } from '../../pipeline/types.js';
import type { SourceOnceOptions } from '../../plugin.js';
import type { EventRecord, GapReason, InventoryRecord } from '../../records.js';
import { componentName, gapRecord, RECORD_SCHEMA_VERSION } from '../../records.js';
import { msToRfc3339, nanosToRfc3339, nanosToSinceParam } from '../../util/units.js';
import { EventBoundary } from './boundary.js';
import { EventsCursor, loadCursor, type CursorState } from './cursor.js';
import { boundedEventsQuery, eventActionFilter, eventFiltersParam } from './engine-query.js';
import { MalformedEventError, normalizeEvent, parseEventLine } from './normalize.js';
import type { DockerEventsOptions } from './options.js';

/** dockerd's in-memory event ring (`eventsLimit` in daemon/events/events.go). */
const RING_SIZE = 256;

interface OpenStream {
  readonly lines: AsyncGenerator<string>;
  /** Only the records this keeps are emitted (null: all). */
  readonly keep: ((record: EventRecord) => boolean) | null;
}

/** Where the reconnect loop stands between two connects. */
interface LoopState {
  connects: number;
  lostAtMs: number | null;
  /** A connect failed since the last stream opened (the daemon was unreachable). */
  connectFailed: boolean;
}

/** A stream that ended (or broke) without one new event, soon after opening: reconnect with backoff, not at once. */
class StreamEndedEarly extends Error {
  constructor(readonly openMs: number) {
    super('docker events stream ended without a new event');
    this.name = 'StreamEndedEarly';
  }
}

/** Errors retrying cannot fix (a filter the engine cannot serve): the source stops. */
const isRefusal = (err: unknown): boolean => err instanceof DsError && err.code === 'CONFIG_INVALID';

/**
 * Tails `/events`: reconnects forever with backoff, resumes from the last
 * emitted event (inclusive `since`, boundary de-duplicated), and says so with
 * `gap` + `inventory` records when the daemon restarted or its ring overflowed
 * (dockerd; Podman replays its whole history, so it only gets the inventory).
 * The reader never waits for a sink: `ctx.emit` does not block.
 */
export class DockerEventsSource implements Source {
  readonly type = 'docker_events';
  readonly name: string;
  private readonly options: DockerEventsOptions;
  private readonly once: SourceOnceOptions | undefined;
  readonly boundary = new EventBoundary();
  /** `since` for the next connect when no event was emitted yet (daemon time, ns). */
  private connectedAtNano: string | null = null;
  /** Daemon id stored with the cursor we resumed from (a different daemon means a gap). */
  private resumedDaemonId: string | null = null;
  /** The daemon this instance last connected to (handed over with the boundary on reload). */
  private lastDaemonId = '';

  constructor(name: string, options: DockerEventsOptions, once?: SourceOnceOptions) {
    this.name = name;
    this.options = options;
    this.once = once;
  }

  /** The persisted resume point (`<state_dir>/cursor/<name>.json`), fed by the pipeline's settlement. */
  private cursor: EventsCursor | null = null;
  private stopListening: (() => void) | null = null;

  /** On reload: what this instance emitted, so the replacement neither repeats nor skips an event. */
  handover(): CursorState | null {
    const snap = this.boundary.snapshot();
    return snap ? { time_nano: snap.timeNano, keys: snap.keys, daemon_id: this.lastDaemonId, saved_at: '' } : null;
  }

  /** Every event it emitted was settled or abandoned: persist the cursor. */
  async close(): Promise<void> {
    this.stopListening?.();
    this.stopListening = null;
    await this.cursor?.flush();
  }

  async run(ctx: SourceContext): Promise<void> {
    if (this.once) return this.runOnce(ctx, this.once);
    const persisted = this.openCursor(ctx);
    const handedOver = (ctx.handover as CursorState | null | undefined) ?? null;
    const cursor = this.options.start_from.mode === 'now' ? null : (handedOver ?? persisted);
    if (cursor) {
      this.boundary.restore(cursor.time_nano, cursor.keys);
      this.resumedDaemonId = cursor.daemon_id;
      ctx.log.info({ source: this.name, since: nanosToRfc3339(cursor.time_nano) }, 'resuming from events cursor');
    }
    const state: LoopState = { connects: 0, lostAtMs: null, connectFailed: false };
    while (!ctx.signal.aborted) {
      try {
        // One exponential backoff for a failing connect and for a stream that ends at once
        // without an event (a filter the daemon chokes on): either would otherwise loop as
        // fast as the daemon answers, each time with /info, /version and an inventory.
        // A stream that delivered resolves, and the next one starts a fresh backoff.
        await pRetry(() => this.session(ctx, state), {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: this.options.reconnect.initial,
          maxTimeout: this.options.reconnect.max,
          factor: 2,
          randomize: true,
          signal: ctx.signal,
          shouldRetry: ({ error }) => !isAbortError(error) && !isRefusal(error),
          onFailedAttempt: ({ error, attemptNumber }) => {
            if (ctx.signal.aborted || isRefusal(error)) return;
            if (error instanceof StreamEndedEarly) {
              ctx.log.warn({ source: this.name, attempt: attemptNumber, openMs: error.openMs }, 'docker events stream ended without events; backing off');
            } else {
              ctx.log.warn({ source: this.name, attempt: attemptNumber, err: error }, 'cannot connect to docker events; retrying');
            }
          },
        });
      } catch (err) {
        if (ctx.signal.aborted || isAbortError(err)) return;
        throw err;
      }
    }
  }

  /**
   * The cursor every sink's settlement advances (at-least-once: docs/design.md
   * §4); returns what it held from the previous run. Not for `once`.
   */
  private openCursor(ctx: SourceContext): CursorState | null {
    if (ctx.stateDir === undefined || this.cursor) return this.cursor?.current ?? null;
    const path = join(ctx.stateDir, 'cursor', `${this.name}.json`);
    let initial: CursorState | null = null;
    try {
      initial = loadCursor(path);
    } catch (err) {
      ctx.log.error({ source: this.name, path, err }, 'events cursor unreadable; starting without it');
    }
    const cursor = new EventsCursor(path, this.options.cursor_interval, ctx.log, initial);
    this.cursor = cursor;
    this.stopListening = ctx.onSettled((records) => cursor.advance(records));
    return initial;
  }

  /**
   * Connect, then read the stream until it ends. Throws (so the caller backs
   * off) when connecting failed or when the stream ended without a new event
   * sooner than `reconnect.max` after it opened.
   */
  private async session(ctx: SourceContext, state: LoopState): Promise<void> {
    let stream: OpenStream;
    try {
      stream = await this.connect(ctx, state.connects, state.lostAtMs, state.connectFailed);
    } catch (err) {
      if (!isAbortError(err)) state.connectFailed = true;
      throw err;
    }
    state.connectFailed = false;
    state.connects++;
    const openedAt = Date.now();
    const tally = { fresh: 0 };
    try {
      await this.consume(ctx, stream.lines, stream.keep, null, tally);
      if (ctx.signal.aborted) return;
      ctx.log.info({ source: this.name }, 'docker events stream ended; reconnecting');
    } catch (err) {
      if (ctx.signal.aborted || isAbortError(err)) return;
      ctx.log.warn({ source: this.name, err }, 'docker events stream lost; reconnecting');
    }
    state.lostAtMs = Date.now();
    ctx.metrics.reconnects.inc({ source: this.name });
    const openMs = Date.now() - openedAt;
    if (tally.fresh === 0 && openMs < this.options.reconnect.max) throw new StreamEndedEarly(openMs);
  }

  /** Negotiate, identify, check what the ring still holds, open the stream, take inventory. */
  private async connect(ctx: SourceContext, connects: number, lostAtMs: number | null, daemonWasDown: boolean): Promise<OpenStream> {
    const { docker, signal } = ctx;
    await docker.negotiate(signal);
    const podman = docker.engine === 'podman';
    // Before /info and /version (slow on Podman): a filter the engine cannot serve stops the source here.
    const filters = eventFiltersParam(this.options.filters, docker.engine, this.name);
    const previousDaemonId = connects > 0 ? ctx.host().daemon_id : this.resumedDaemonId;
    const { host, systemTimeNano } = await docker.describe(signal);
    ctx.setHost(host);
    this.lastDaemonId = host.daemon_id;
    const nowNano = systemTimeNano ?? (BigInt(Date.now()) * 1_000_000n).toString();
    if (connects === 0 && this.boundary.timeNano === null && this.options.start_from.mode === 'back') {
      this.connectedAtNano = (BigInt(nowNano) - BigInt(this.options.start_from.ms) * 1_000_000n).toString();
    }

    let gap: { reason: GapReason; from: string | null; detail: string } | null = null;
    // After a reconnect, or at start when resuming from a persisted cursor: can the daemon still replay?
    // Not asked of Podman: it replays its whole events log (nothing is lost across a reconnect or a
    // service restart), and its /info ID is a new random one on every call, not an identity.
    if (!podman && (connects > 0 || this.boundary.timeNano !== null)) {
      const sinceNano = this.boundary.timeNano ?? this.connectedAtNano;
      const ring = this.boundary.timeNano === null ? null : await this.ringCheck(ctx, nowNano);
      const daemonChanged = previousDaemonId !== null && previousDaemonId !== '' && previousDaemonId !== host.daemon_id;
      if (daemonChanged || (ring !== null && !ring.held) || (ring === null && daemonWasDown)) {
        // The ring holds the last 256 events: losing our boundary without it being full means a restart.
        const restarted = daemonChanged || ring === null || ring.count < RING_SIZE;
        gap = {
          reason: restarted ? 'daemon_restarted' : 'ring_overflow',
          from: sinceNano ? nanosToRfc3339(sinceNano) : lostAtMs !== null ? msToRfc3339(lostAtMs) : null,
          detail: restarted
            ? 'the daemon restarted while disconnected: events it had not sent before stopping are not recoverable'
            : 'the daemon no longer holds the last event received (256-event ring): events in between may be missing',
        };
      }
    }

    const since = this.boundary.timeNano ?? this.connectedAtNano ?? nowNano;
    const reason = connects === 0 ? 'start' : 'reconnect';
    // Podman sends the response headers only with the first event: take the inventory before
    // waiting for them (`since` replays what happens meanwhile) and wait without a timeout.
    // Listed before the stream opens, so a failing list leaves no stream connection behind.
    const inventory = await this.inventory(ctx, nowNano, reason);
    if (podman) ctx.emit(inventory);
    const { lines } = await docker.streamLines('/events', {
      query: { since: nanosToSinceParam(since), filters },
      signal,
      ...(podman ? { timeoutMs: 0 } : {}),
      onTruncated: () => ctx.metrics.countMalformed(this.name, 'truncated'),
    });
    if (this.connectedAtNano === null || this.boundary.timeNano === null) this.connectedAtNano = since;

    if (gap) {
      ctx.emit(
        gapRecord({ host, from: gap.from, to: nanosToRfc3339(nowNano), reason: gap.reason, component: componentName('source', this.name), detail: gap.detail }),
      );
    }
    if (!podman) ctx.emit(inventory);
    ctx.log.info(
      { source: this.name, host: docker.connection.display, apiVersion: docker.apiVersion, engine: host.engine, reconnect: connects > 0 },
      'docker events stream open',
    );
    return { lines, keep: eventActionFilter(this.options.filters, docker.engine) };
  }

  /**
   * Does the daemon still hold our last emitted event, and how full is its ring?
   * A bounded, unfiltered `since…until` query answers both. dockerd only: Podman
   * has no ring, and takes `until` as a wall-clock deadline (engine-query.ts).
   */
  private async ringCheck(ctx: SourceContext, untilNano: string): Promise<{ held: boolean; count: number }> {
    const since = this.boundary.timeNano as string;
    if (BigInt(untilNano) < BigInt(since)) return { held: true, count: 0 }; // daemon clock behind ours: cannot tell
    const { lines } = await ctx.docker.streamLines('/events', {
      query: { since: nanosToSinceParam(since), until: nanosToSinceParam(untilNano) },
      signal: ctx.signal,
    });
    let held = false;
    let count = 0;
    for await (const line of lines) {
      count++;
      try {
        const { raw, timeNano } = parseEventLine(line);
        if (timeNano === since && this.boundary.has(normalizeEvent(raw, timeNano, ctx.host()))) held = true;
      } catch {
        // malformed lines are counted by the live stream
      }
    }
    return { held, count };
  }

  /**
   * Emit the stream's events: malformed lines counted and skipped, replays of
   * the boundary dropped, then those `keep` refuses and those after `untilNano`.
   * `tally.fresh` counts the events that were not replays.
   */
  private async consume(
    ctx: SourceContext,
    lines: AsyncIterable<string>,
    keep: ((record: EventRecord) => boolean) | null,
    untilNano: bigint | null,
    tally: { fresh: number } = { fresh: 0 },
  ): Promise<void> {
    for await (const line of lines) {
      let record;
      try {
        const { raw, timeNano } = parseEventLine(line);
        record = normalizeEvent(raw, timeNano, ctx.host());
      } catch (err) {
        const reason = err instanceof MalformedEventError ? err.reason : 'unexpected';
        ctx.metrics.countMalformed(this.name, reason);
        ctx.log.debug({ source: this.name, reason, line: line.slice(0, 200) }, 'skipping malformed event');
        continue;
      }
      if (untilNano !== null && BigInt(record.time_nano) > untilNano) continue; // after a `once` window
      if (keep && !keep(record)) {
        tally.fresh++;
        continue;
      }
      if (!this.boundary.admit(record)) continue; // replayed boundary event, already emitted
      tally.fresh++;
      ctx.metrics.lastEventTime.set({ source: this.name }, Number(BigInt(record.time_nano) / 1_000_000n) / 1000);
      ctx.emitFollowed(record);
    }
  }

  /** Every container with its identity and status (list + inspects, bounded: docker/containers.ts). */
  private async inventory(ctx: SourceContext, nowNano: string, reason: InventoryRecord['reason']): Promise<InventoryRecord> {
    const containers = await inventoryOf(ctx.docker, ctx.signal);
    return { kind: 'inventory', schema: RECORD_SCHEMA_VERSION, time: nanosToRfc3339(nowNano), host: ctx.host(), reason, containers };
  }

  /** `once`: everything the daemon holds since `--since` (default: all it holds), then stop. */
  private async runOnce(ctx: SourceContext, once: SourceOnceOptions): Promise<void> {
    await ctx.docker.negotiate(ctx.signal);
    const { host, systemTimeNano } = await ctx.docker.describe(ctx.signal);
    ctx.setHost(host);
    const until = systemTimeNano ?? (BigInt(Date.now()) * 1_000_000n).toString();
    const since = once.sinceMs !== undefined ? (BigInt(until) - BigInt(once.sinceMs) * 1_000_000n).toString() : '1000000000';
    const engine = ctx.docker.engine;
    const filters = eventFiltersParam(this.options.filters, engine, this.name);
    // Podman: no `until` (a wall-clock deadline there), events after the window dropped here.
    const { query, keepUntilNano } = boundedEventsQuery(engine, since, until);
    const { lines } = await ctx.docker.streamLines('/events', { query: { ...query, filters }, signal: ctx.signal });
    await this.consume(ctx, lines, eventActionFilter(this.options.filters, engine), keepUntilNano);
  }
}
