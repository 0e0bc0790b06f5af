import type { DsRecord } from '../records.js';
import { BoundedQueue } from './queue.js';
import { recordSize } from './serialize.js';

/**
 * Where a sink's records wait: in memory, or in a disk spool that survives a
 * crash. Records leave only when the sink acknowledged them (`ack`).
 */
export interface SinkBuffer {
  readonly kind: 'memory' | 'disk';
  /** Appends when there is room; false when full (nothing changed). */
  offer(record: DsRecord): boolean;
  /** Room for one more record? */
  hasRoom(): boolean;
  /** Records waiting (including the batch in flight) and their bytes. */
  readonly depth: { readonly records: number; readonly bytes: number };
  /** Up to `n` oldest records not yet acknowledged, left in place. */
  peek(n: number): Promise<DsRecord[]>;
  /** The `n` oldest records were delivered (or dead-lettered): drop them. */
  ack(n: number): Promise<void>;
  /** The batch from `peek` was not delivered: it stays, and the next `peek` returns it again. */
  release(): void;
  /**
   * Drop the oldest records not in flight (for `when_full: drop_oldest`);
   * returns how many went, by kind (a disk spool drops a whole segment).
   * `onDropped` sees each record dropped from memory (spooled records were
   * settled when they became durable).
   */
  dropOldest(inFlight: number, onDropped?: (record: DsRecord) => void): Record<string, number>;
  /** Resolves when what was offered so far is durable (disk) — immediately for memory. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

export class MemoryBuffer implements SinkBuffer {
  readonly kind = 'memory' as const;
  private readonly queue: BoundedQueue<DsRecord>;

  constructor(maxRecords: number, maxBytes: number) {
    this.queue = new BoundedQueue(maxRecords, maxBytes);
  }

  offer(record: DsRecord): boolean {
    return this.queue.offer(record, recordSize(record));
  }

  hasRoom(): boolean {
    return this.queue.hasRoom();
  }

  get depth(): { records: number; bytes: number } {
    return { records: this.queue.length, bytes: this.queue.bytes };
  }

  peek(n: number): Promise<DsRecord[]> {
    return Promise.resolve(this.queue.peek(n));
  }

  ack(n: number): Promise<void> {
    this.queue.remove(n);
    return Promise.resolve();
  }

  release(): void {
    // peek leaves records in place: nothing to undo
  }

  dropOldest(inFlight: number, onDropped?: (record: DsRecord) => void): Record<string, number> {
    const r = this.queue.removeAt(inFlight);
    if (r) onDropped?.(r);
    return r ? { [r.kind]: 1 } : {};
  }

  flush(): Promise<void> {
    return Promise.resolve();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
