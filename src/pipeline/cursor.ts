import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DsRecord, EventRecord } from '../records.js';
import { eventKey } from '../sources/docker-events/normalize.js';
import { compareNanos } from '../util/units.js';
import { STATE_DIR_MODE, writeFileAtomic } from '../util/atomic-write.js';

/** What is persisted: the last event every events-consuming sink settled, and its same-instant siblings. */
export interface CursorState {
  readonly time_nano: string;
  /** Keys (time_nano|type|id|action|detail) of settled events at exactly `time_nano`. */
  readonly keys: readonly string[];
  readonly daemon_id: string;
  readonly saved_at: string;
}

export function loadCursor(path: string): CursorState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const c = JSON.parse(text) as Partial<CursorState>;
  if (typeof c.time_nano !== 'string' || !/^\d+$/.test(c.time_nano) || !Array.isArray(c.keys)) {
    throw new Error(`cursor file ${path} is not a cursor`);
  }
  return { time_nano: c.time_nano, keys: c.keys.map(String), daemon_id: String(c.daemon_id ?? ''), saved_at: String(c.saved_at ?? '') };
}

/**
 * At-least-once bookkeeping for one events source. Emitted events get a
 * sequence number; each sink settles them in order (delivered, or durably
 * spooled), so the cursor is the newest event with a sequence number at or
 * below every sink's settled frontier. It is written at most every
 * `flushMs` and at shutdown.
 */
export class EventsCursor {
  readonly path: string;
  private sinks: readonly string[];
  private readonly flushMs: number;
  private readonly log: Logger;
  private readonly seqOf = new WeakMap<EventRecord, number>();
  private readonly pending: Array<{ seq: number; record: EventRecord }> = [];
  private pendingHead = 0;
  private readonly frontier = new Map<string, number>();
  private nextSeq = 1;
  private state: { timeText: string; keys: Set<string>; daemonId: string } | null = null;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(path: string, sinks: readonly string[], flushMs: number, log: Logger, initial: CursorState | null) {
    this.path = path;
    this.sinks = sinks;
    this.flushMs = flushMs;
    this.log = log;
    mkdirSync(dirname(path), { recursive: true, mode: STATE_DIR_MODE });
    for (const s of sinks) this.frontier.set(s, 0);
    if (initial) {
      // Canonical digits, so that compareNanos orders it against the daemon's.
      this.state = { timeText: BigInt(initial.time_nano).toString(), keys: new Set(initial.keys), daemonId: initial.daemon_id };
    }
  }

  /**
   * Reload: the sinks taking this source's events changed. A new sink only
   * gets events from now on, so it starts settled up to what was emitted.
   */
  setSinks(sinks: readonly string[]): void {
    for (const s of [...this.frontier.keys()]) if (!sinks.includes(s)) this.frontier.delete(s);
    for (const s of sinks) if (!this.frontier.has(s)) this.frontier.set(s, this.nextSeq - 1);
    this.sinks = sinks;
    let min = this.nextSeq - 1;
    for (const v of this.frontier.values()) min = Math.min(min, v);
    this.advanceTo(min);
  }

  /** An event the source emitted (before it is handed to the sinks). */
  track(record: EventRecord): void {
    const seq = this.nextSeq++;
    this.seqOf.set(record, seq);
    this.pending.push({ seq, record });
    if (this.sinks.length === 0) this.advanceTo(seq);
  }

  /** A sink is done with these records (in its queue order). */
  settled(sink: string, records: readonly DsRecord[]): void {
    const current = this.frontier.get(sink);
    if (current === undefined) return;
    let max = current;
    for (const r of records) {
      if (r.kind !== 'event') continue;
      const seq = this.seqOf.get(r);
      if (seq !== undefined && seq > max) max = seq;
    }
    if (max === current) return;
    this.frontier.set(sink, max);
    let min = Number.POSITIVE_INFINITY;
    for (const v of this.frontier.values()) min = Math.min(min, v);
    this.advanceTo(min);
  }

  /** Persist now if anything changed (shutdown). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.save();
  }

  /** Events emitted and not yet settled by every sink (held in memory until then). */
  get unsettled(): number {
    return this.pending.length - this.pendingHead;
  }

  get current(): CursorState | null {
    return this.state ? { time_nano: this.state.timeText, keys: [...this.state.keys], daemon_id: this.state.daemonId, saved_at: '' } : null;
  }

  private advanceTo(seq: number): void {
    let moved = false;
    while (this.pendingHead < this.pending.length && (this.pending[this.pendingHead] as { seq: number }).seq <= seq) {
      const { record } = this.pending[this.pendingHead] as { record: EventRecord };
      this.pendingHead++;
      const order = this.state === null ? 1 : compareNanos(record.time_nano, this.state.timeText);
      if (this.state === null || order > 0) {
        this.state = { timeText: record.time_nano, keys: new Set([eventKey(record)]), daemonId: record.host.daemon_id };
        moved = true;
      } else if (order === 0) {
        this.state.keys.add(eventKey(record));
        moved = true;
      }
      // An older event settling after a newer one changes nothing: a resume never replays before the cursor.
    }
    if (this.pendingHead > 1024 && this.pendingHead * 2 > this.pending.length) {
      this.pending.splice(0, this.pendingHead);
      this.pendingHead = 0;
    }
    if (moved) {
      this.dirty = true;
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.save();
      }, this.flushMs);
    }
  }

  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.dirty || !this.state) return;
      this.dirty = false;
      const body: CursorState = { time_nano: this.state.timeText, keys: [...this.state.keys], daemon_id: this.state.daemonId, saved_at: new Date().toISOString() };
      try {
        await writeFileAtomic(this.path, JSON.stringify(body) + '\n');
      } catch (err) {
        this.dirty = true;
        this.log.error({ path: this.path, err: describeError(err) }, 'cannot persist events cursor');
      }
    });
    return this.saving;
  }
}
