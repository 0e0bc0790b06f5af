import pRetry from 'p-retry';
import { describeError, isAbortError } from '../../errors.js';
import type { Source, SourceContext, SourceOnceOptions } from '../../pipeline/types.js';
import type { GapReason, InventoryContainer, InventoryRecord } from '../../records.js';
import { RECORD_SCHEMA_VERSION } from '../../records.js';
import { msToRfc3339, nanosToRfc3339, nanosToSinceParam } from '../../util/units.js';
import { EventBoundary } from './boundary.js';
import { MalformedEventError, normalizeEvent, parseEventLine } from './normalize.js';
import type { DockerEventsOptions } from './plugin.js';

/** dockerd's in-memory event ring (`eventsLimit` in daemon/events/events.go). */
const RING_SIZE = 256;

interface OpenStream {
  readonly lines: AsyncGenerator<string>;
}

/**
 * Tails `/events`: reconnects forever with backoff, resumes from the last
 * emitted event (inclusive `since`, boundary de-duplicated), and says so with
 * `gap` + `inventory` records when the daemon restarted or its ring overflowed.
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

  constructor(name: string, options: DockerEventsOptions, once?: SourceOnceOptions) {
    this.name = name;
    this.options = options;
    this.once = once;
  }

  checkpoint(): { time_nano: string; keys: string[] } | null {
    const snap = this.boundary.snapshot();
    return snap ? { time_nano: snap.timeNano, keys: snap.keys } : null;
  }

  async run(ctx: SourceContext): Promise<void> {
    if (this.once) return this.runOnce(ctx, this.once);
    const cursor = this.options.start_from.mode === 'now' ? null : (ctx.initialCursor?.() ?? null);
    if (cursor) {
      this.boundary.restore(cursor.time_nano, cursor.keys);
      this.resumedDaemonId = cursor.daemon_id;
      ctx.log.info({ source: this.name, since: nanosToRfc3339(cursor.time_nano) }, 'resuming from events cursor');
    }
    let connects = 0;
    let lostAtMs: number | null = null;
    while (!ctx.signal.aborted) {
      let failedAttempts = 0;
      let stream: OpenStream;
      try {
        stream = await pRetry(() => this.connect(ctx, connects, lostAtMs, failedAttempts > 0), {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: this.options.reconnect.initial,
          maxTimeout: this.options.reconnect.max,
          factor: 2,
          randomize: true,
          signal: ctx.signal,
          shouldRetry: ({ error }) => !isAbortError(error),
          onFailedAttempt: ({ error, attemptNumber }) => {
            failedAttempts = attemptNumber;
            if (ctx.signal.aborted) return;
            ctx.log.warn({ source: this.name, attempt: attemptNumber, err: describeError(error) }, 'cannot connect to docker events; retrying');
          },
        });
      } catch (err) {
        if (ctx.signal.aborted || isAbortError(err)) return;
        throw err;
      }
      connects++;
      try {
        await this.consume(ctx, stream.lines);
        if (ctx.signal.aborted) return;
        ctx.log.info({ source: this.name }, 'docker events stream ended; reconnecting');
      } catch (err) {
        if (ctx.signal.aborted || isAbortError(err)) return;
        ctx.log.warn({ source: this.name, err: describeError(err) }, 'docker events stream lost; reconnecting');
      }
      lostAtMs = Date.now();
      ctx.metrics.reconnects.inc({ source: this.name });
    }
  }

  /** Negotiate, identify, check what the ring still holds, open the stream, take inventory. */
  private async connect(ctx: SourceContext, connects: number, lostAtMs: number | null, daemonWasDown: boolean): Promise<OpenStream> {
    const { docker, signal } = ctx;
    await docker.negotiate(signal);
    const previousDaemonId = connects > 0 ? ctx.host().daemon_id : this.resumedDaemonId;
    const { host, systemTimeNano } = await docker.describe(signal);
    ctx.setHost(host);
    const nowNano = systemTimeNano ?? (BigInt(Date.now()) * 1_000_000n).toString();
    const filters = this.filtersParam();
    if (connects === 0 && this.boundary.timeNano === null && this.options.start_from.mode === 'back') {
      this.connectedAtNano = (BigInt(nowNano) - BigInt(this.options.start_from.ms) * 1_000_000n).toString();
    }

    let gap: { reason: GapReason; from: string | null; detail: string } | null = null;
    // After a reconnect, or at start when resuming from a persisted cursor: can the daemon still replay?
    if (connects > 0 || this.boundary.timeNano !== null) {
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
    const { lines } = await docker.streamLines('/events', {
      query: { since: nanosToSinceParam(since), filters },
      signal,
      onTruncated: () => ctx.metrics.malformed.inc({ source: this.name, reason: 'truncated' }),
    });
    if (this.connectedAtNano === null || this.boundary.timeNano === null) this.connectedAtNano = since;

    if (gap) {
      ctx.emit({
        kind: 'gap',
        schema: RECORD_SCHEMA_VERSION,
        time: nanosToRfc3339(nowNano),
        host,
        from: gap.from,
        to: nanosToRfc3339(nowNano),
        reason: gap.reason,
        component: this.name,
        detail: gap.detail,
      });
    }
    ctx.emit(await this.inventory(ctx, nowNano, connects === 0 ? 'start' : 'reconnect'));
    ctx.log.info({ source: this.name, host: docker.connection.display, apiVersion: docker.apiVersion, engine: host.engine, reconnect: connects > 0 }, 'docker events stream open');
    return { lines };
  }

  /**
   * Does the daemon still hold our last emitted event, and how full is its ring?
   * A bounded, unfiltered `since…until` query answers both.
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

  private async consume(ctx: SourceContext, lines: AsyncIterable<string>): Promise<void> {
    for await (const line of lines) {
      let record;
      try {
        const { raw, timeNano } = parseEventLine(line);
        record = normalizeEvent(raw, timeNano, ctx.host());
      } catch (err) {
        const reason = err instanceof MalformedEventError ? err.reason : 'unexpected';
        ctx.metrics.malformed.inc({ source: this.name, reason });
        ctx.log.debug({ source: this.name, reason, line: line.slice(0, 200) }, 'skipping malformed event');
        continue;
      }
      if (!this.boundary.admit(record)) continue; // replayed boundary event, already emitted
      ctx.metrics.lastEventTime.set({ source: this.name }, Number(BigInt(record.time_nano) / 1_000_000n) / 1000);
      ctx.emit(record);
    }
  }

  private async inventory(ctx: SourceContext, nowNano: string, reason: InventoryRecord['reason']): Promise<InventoryRecord> {
    const list = await ctx.docker.getJson<Array<{ Id?: string; Names?: string[]; Image?: string; State?: string; Labels?: Record<string, string> | null }>>(
      '/containers/json',
      { query: { all: 1 }, signal: ctx.signal },
    );
    const containers: InventoryContainer[] = list.map((c) => ({
      id: c.Id ?? '',
      name: (c.Names?.[0] ?? '').replace(/^\//, ''),
      image: c.Image ?? '',
      state: c.State ?? '',
      labels: c.Labels ?? {},
    }));
    return { kind: 'inventory', schema: RECORD_SCHEMA_VERSION, time: nanosToRfc3339(nowNano), host: ctx.host(), reason, containers };
  }

  /** `once`: everything the daemon holds since `--since` (default: all it holds), then stop. */
  private async runOnce(ctx: SourceContext, once: SourceOnceOptions): Promise<void> {
    await ctx.docker.negotiate(ctx.signal);
    const { host, systemTimeNano } = await ctx.docker.describe(ctx.signal);
    ctx.setHost(host);
    const until = systemTimeNano ?? (BigInt(Date.now()) * 1_000_000n).toString();
    const since = once.sinceMs !== undefined ? (BigInt(until) - BigInt(once.sinceMs) * 1_000_000n).toString() : '1000000000';
    const { lines } = await ctx.docker.streamLines('/events', {
      query: { since: nanosToSinceParam(since), until: nanosToSinceParam(until), filters: this.filtersParam() },
      signal: ctx.signal,
    });
    await this.consume(ctx, lines);
  }

  private filtersParam(): string | undefined {
    const f = this.options.filters;
    if (!f) return undefined;
    const entries = Object.entries(f).filter(([, v]) => v !== undefined && v.length > 0);
    if (entries.length === 0) return undefined;
    // The daemon's filter JSON maps each key to a set: {"type":{"container":true}}.
    return JSON.stringify(Object.fromEntries(entries.map(([k, v]) => [k, Object.fromEntries((v as string[]).map((x) => [x, true]))])));
  }
}
