import { mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DsError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { DsRecord } from '../../records.js';
import { compareNanos } from '../../util/units.js';
import { STATE_DIR_MODE, writeFileAtomic } from '../../util/atomic-write.js';
import { eventKey } from './normalize.js';

/** What is persisted: the last event every events-consuming sink settled, and its same-instant siblings. */
export interface CursorState {
  readonly time_nano: string;
  /** Keys (time_nano|type|id|action|detail) of settled events at exactly `time_nano`. */
  readonly keys: readonly string[];
  readonly daemon_id: string;
  readonly saved_at: string;
}

/** The cursor at `path`, null when there is none; a STATE_CORRUPT DsError when the file is not a cursor. */
export function loadCursor(path: string): CursorState | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return null;
  }
  const notACursor = (cause?: unknown): DsError => new DsError('STATE_CORRUPT', `cursor file ${path} is not a cursor`, { cause, details: { path } });
  let c: Partial<CursorState>;
  try {
    c = JSON.parse(text) as Partial<CursorState>;
  } catch (err) {
    throw notACursor(err);
  }
  if (c === null || typeof c !== 'object' || typeof c.time_nano !== 'string' || !/^\d+$/.test(c.time_nano) || !Array.isArray(c.keys)) {
    throw notACursor();
  }
  return { time_nano: c.time_nano, keys: c.keys.map(String), daemon_id: String(c.daemon_id ?? ''), saved_at: String(c.saved_at ?? '') };
}

/**
 * The persisted resume point of one events source: the newest event every
 * sink settled, with its same-instant siblings. Fed with settled events in
 * emission order (the pipeline's Settlement); written at most every
 * `flushMs`, and at close.
 */
export class EventsCursor {
  readonly path: string;
  private readonly flushMs: number;
  private readonly log: Logger;
  private state: { timeText: string; keys: Set<string>; daemonId: string } | null = null;
  private dirty = false;
  private timer: NodeJS.Timeout | null = null;
  private saving: Promise<void> = Promise.resolve();

  constructor(path: string, flushMs: number, log: Logger, initial: CursorState | null) {
    this.path = path;
    this.flushMs = flushMs;
    this.log = log;
    mkdirSync(dirname(path), { recursive: true, mode: STATE_DIR_MODE });
    if (initial) {
      // Canonical digits, so that compareNanos orders it against the daemon's.
      this.state = { timeText: BigInt(initial.time_nano).toString(), keys: new Set(initial.keys), daemonId: initial.daemon_id };
    }
  }

  /** Events every sink is done with, in emission order (other kinds are ignored). */
  advance(records: readonly DsRecord[]): void {
    let moved = false;
    for (const record of records) {
      if (record.kind !== 'event') continue;
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
    if (moved) {
      this.dirty = true;
      this.timer ??= setTimeout(() => {
        this.timer = null;
        void this.save();
      }, this.flushMs);
    }
  }

  /** Persist now if anything changed (shutdown, replacement). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    await this.save();
  }

  get current(): CursorState | null {
    return this.state ? { time_nano: this.state.timeText, keys: [...this.state.keys], daemon_id: this.state.daemonId, saved_at: '' } : null;
  }

  private save(): Promise<void> {
    this.saving = this.saving.then(async () => {
      if (!this.dirty || !this.state) return;
      this.dirty = false;
      const body: CursorState = {
        time_nano: this.state.timeText,
        keys: [...this.state.keys],
        daemon_id: this.state.daemonId,
        saved_at: new Date().toISOString(),
      };
      try {
        await writeFileAtomic(this.path, JSON.stringify(body) + '\n');
      } catch (err) {
        this.dirty = true;
        this.log.error({ path: this.path, err }, 'cannot persist events cursor');
      }
    });
    return this.saving;
  }
}
