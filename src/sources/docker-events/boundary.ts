import type { EventRecord } from '../../records.js';
import { compareNanos } from '../../util/units.js';
import { eventKey } from './normalize.js';

/**
 * The newest emitted timeNano and the events emitted at exactly that instant.
 * `since` is inclusive, so a resume replays them: `admit` drops those repeats
 * and records what it lets through.
 *
 * Keys are built only when a second event shares the newest instant (or on
 * `snapshot`/`has`): nearly every live event has a new timeNano, and building
 * a key string for each was a measurable part of the per-event cost.
 */
export class EventBoundary {
  private newestText: string | null = null;
  /** Events admitted at `newestText` whose keys were not built yet. */
  private unkeyed: EventRecord[] = [];
  private readonly keys = new Set<string>();

  get timeNano(): string | null {
    return this.newestText;
  }

  /** Restore from a persisted cursor. */
  restore(timeNano: string, keys: readonly string[]): void {
    this.newestText = BigInt(timeNano).toString();
    this.unkeyed = [];
    this.keys.clear();
    for (const k of keys) this.keys.add(k);
  }

  snapshot(): { timeNano: string; keys: string[] } | null {
    if (this.newestText === null) return null;
    this.buildKeys();
    return { timeNano: this.newestText, keys: [...this.keys] };
  }

  has(record: EventRecord): boolean {
    if (record.time_nano !== this.newestText) return false;
    this.buildKeys();
    return this.keys.has(eventKey(record));
  }

  /**
   * True when the record is new (and remembers it); false for a replayed one.
   * An older live event is let through: dockerd stamps events before taking its
   * publish lock, so two concurrent events can arrive slightly out of order, and
   * a resume never replays anything older than the boundary anyway.
   */
  admit(record: EventRecord): boolean {
    if (this.newestText !== null) {
      const order = compareNanos(record.time_nano, this.newestText);
      if (order < 0) return true;
      if (order === 0) {
        this.buildKeys();
        const key = eventKey(record);
        if (this.keys.has(key)) return false;
        this.keys.add(key);
        return true;
      }
    }
    this.newestText = record.time_nano;
    this.keys.clear();
    this.unkeyed.length = 0;
    this.unkeyed.push(record);
    return true;
  }

  private buildKeys(): void {
    for (const r of this.unkeyed) this.keys.add(eventKey(r));
    this.unkeyed.length = 0;
  }
}
