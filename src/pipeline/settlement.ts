import type { DsRecord } from '../records.js';

/** A followed record, its place in emission order, and the sinks that took it. */
interface Entry {
  readonly seq: number;
  readonly record: DsRecord;
  readonly takers: string[];
}

export type SettledListener = (records: readonly DsRecord[]) => void;

/**
 * At-least-once bookkeeping for one source: the records it follows are
 * reported back, in emission order, once every sink that took them is done
 * with them (delivered, durably spooled, dead-lettered, or dropped and
 * announced by a `gap`). A record is reported only after every record
 * followed before it, so a listener can persist "everything up to here".
 *
 * Each sink settles in its queue order, so a sink settling record N has
 * settled everything it took before N. That holds for drops too: a full
 * buffer dropping newer records lets the resume point (and this tracker's
 * memory) move past the ones it still holds, rather than pinning both for as
 * long as the sink stays blocked (test/pipeline/blocked-sink.test.ts).
 *
 * What settles while nobody listens (a source being replaced on reload) is
 * held for the next listener.
 */
export class Settlement {
  private readonly entries = new WeakMap<DsRecord, Entry>();
  private readonly queue: Entry[] = [];
  private head = 0;
  private nextSeq = 1;
  /** Per sink: the newest sequence number it settled. */
  private readonly frontier = new Map<string, number>();
  private held: DsRecord[] = [];
  private listener: SettledListener | null = null;

  /** `record` was handed to `sinks` (none: it is settled at once). */
  follow(record: DsRecord, sinks: readonly string[]): void {
    const entry: Entry = { seq: this.nextSeq++, record, takers: [...sinks] };
    this.entries.set(record, entry);
    this.queue.push(entry);
    if (sinks.length === 0) this.advance();
  }

  /** `sink` is done with `records`; records this tracker does not follow, or that the sink never took, are ignored. */
  settled(sink: string, records: readonly DsRecord[]): void {
    const before = this.frontier.get(sink) ?? 0;
    let newest = before;
    for (const record of records) {
      const entry = this.entries.get(record);
      if (entry !== undefined && entry.seq > newest && entry.takers.includes(sink)) newest = entry.seq;
    }
    if (newest === before) return;
    this.frontier.set(sink, newest);
    this.advance();
  }

  /** Reload: `sink` is gone; nothing waits for it any more. */
  forgetSink(sink: string): void {
    this.frontier.delete(sink);
    for (let i = this.head; i < this.queue.length; i++) {
      const takers = (this.queue[i] as Entry).takers;
      const at = takers.indexOf(sink);
      if (at >= 0) takers.splice(at, 1);
    }
    this.advance();
  }

  /** The one listener (a replacement source takes over); returns the unsubscribe. */
  listen(listener: SettledListener): () => void {
    this.listener = listener;
    if (this.held.length > 0) {
      const held = this.held;
      this.held = [];
      listener(held);
    }
    return () => {
      if (this.listener === listener) this.listener = null;
    };
  }

  /** Followed records not yet settled by every sink that took them (held in memory until then). */
  get unsettled(): number {
    return this.queue.length - this.head;
  }

  private isSettled(entry: Entry): boolean {
    for (const sink of entry.takers) if ((this.frontier.get(sink) ?? 0) < entry.seq) return false;
    return true;
  }

  private advance(): void {
    const start = this.head;
    while (this.head < this.queue.length && this.isSettled(this.queue[this.head] as Entry)) this.head++;
    if (this.head === start) return;
    const done = this.queue.slice(start, this.head).map((e) => e.record);
    if (this.head > 1024 && this.head * 2 > this.queue.length) {
      this.queue.splice(0, this.head);
      this.head = 0;
    }
    if (this.listener) this.listener(done);
    else for (const r of done) this.held.push(r);
  }
}
