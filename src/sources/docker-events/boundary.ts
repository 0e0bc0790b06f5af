import type { EventRecord } from '../../records.js';
import { eventKey } from './normalize.js';

/**
 * The newest emitted timeNano and the events emitted at exactly that instant.
 * `since` is inclusive, so a resume replays them: `admit` drops those repeats
 * and records what it lets through.
 */
export class EventBoundary {
  private newest: bigint | null = null;
  private newestText: string | null = null;
  private readonly keys = new Set<string>();

  get timeNano(): string | null {
    return this.newestText;
  }

  /** Restore from a persisted cursor. */
  restore(timeNano: string, keys: readonly string[]): void {
    this.newest = BigInt(timeNano);
    this.newestText = timeNano;
    this.keys.clear();
    for (const k of keys) this.keys.add(k);
  }

  snapshot(): { timeNano: string; keys: string[] } | null {
    return this.newestText === null ? null : { timeNano: this.newestText, keys: [...this.keys] };
  }

  has(record: EventRecord): boolean {
    return record.time_nano === this.newestText && this.keys.has(eventKey(record));
  }

  /**
   * True when the record is new (and remembers it); false for a replayed one.
   * An older live event is let through: dockerd stamps events before taking its
   * publish lock, so two concurrent events can arrive slightly out of order, and
   * a resume never replays anything older than the boundary anyway.
   */
  admit(record: EventRecord): boolean {
    const t = BigInt(record.time_nano);
    if (this.newest !== null) {
      if (t < this.newest) return true;
      if (t === this.newest) {
        const key = eventKey(record);
        if (this.keys.has(key)) return false;
        this.keys.add(key);
        return true;
      }
    }
    this.newest = t;
    this.newestText = record.time_nano;
    this.keys.clear();
    this.keys.add(eventKey(record));
    return true;
  }
}
