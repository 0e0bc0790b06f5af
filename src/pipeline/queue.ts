/**
 * A FIFO bounded by item count and by bytes. Items stay in the queue while a
 * sink works on them (`peek`), and leave only when acknowledged (`remove`).
 */
export class BoundedQueue<T> {
  private items: T[] = [];
  private sizes: number[] = [];
  private head = 0;
  private byteCount = 0;
  readonly maxItems: number;
  readonly maxBytes: number;

  constructor(maxItems: number, maxBytes: number) {
    this.maxItems = maxItems;
    this.maxBytes = maxBytes;
  }

  get length(): number {
    return this.items.length - this.head;
  }

  get bytes(): number {
    return this.byteCount;
  }

  /** Room for one more item of `size` bytes? (An empty queue takes anything, so one huge record cannot wedge it.) */
  hasRoom(size = 0): boolean {
    if (this.length === 0) return true;
    return this.length < this.maxItems && this.byteCount + size <= this.maxBytes;
  }

  /** Appends when there is room; returns false (nothing changed) otherwise. */
  offer(item: T, size: number): boolean {
    if (!this.hasRoom(size)) return false;
    this.items.push(item);
    this.sizes.push(size);
    this.byteCount += size;
    return true;
  }

  /** Removes the item at `offset` from the oldest (drop_oldest behind a batch in flight). */
  removeAt(offset: number): T | undefined {
    if (offset >= this.length) return undefined;
    const i = this.head + offset;
    const [item] = this.items.splice(i, 1);
    const [size] = this.sizes.splice(i, 1);
    this.byteCount -= size as number;
    this.compact();
    return item;
  }

  /** Up to `n` oldest items, left in place. */
  peek(n: number): T[] {
    return this.items.slice(this.head, this.head + Math.min(n, this.length));
  }

  /** Drops the `n` oldest items (after they were delivered). */
  remove(n: number): void {
    const k = Math.min(n, this.length);
    for (let i = 0; i < k; i++) this.byteCount -= this.sizes[this.head + i] as number;
    this.head += k;
    this.compact();
  }

  private compact(): void {
    if (this.head === this.items.length) {
      this.items = [];
      this.sizes = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.sizes = this.sizes.slice(this.head);
      this.head = 0;
    }
  }
}
