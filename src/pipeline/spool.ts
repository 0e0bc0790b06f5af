import type { Logger } from '../log.js';
import type { DsRecord } from '../records.js';
import type { SinkBuffer } from './buffer.js';
import { addKind, SegmentLog } from './segment-log.js';
import { recordJson } from './serialize.js';

/**
 * A per-sink disk spool on a segment log in `dir`. A record counts as
 * accepted once appended and fdatasync'ed (`flush`), is read back in order,
 * and its bytes are released once the sink acknowledged it (`ack`); the read
 * position survives restarts in `position.json` (at-least-once: a batch
 * delivered but not yet marked is delivered again after a crash).
 */
export class DiskSpool implements SinkBuffer {
  readonly kind = 'disk' as const;
  private readonly maxBytes: number;
  private readonly log: Logger;
  private readonly segments: SegmentLog;
  private pending: string[] = [];
  private pendingRecords: DsRecord[] = [];
  /** Told which records became durable after each write. */
  onDurable: ((records: readonly DsRecord[]) => void) | null = null;
  /** Told which records were lost because the write failed (disk full, I/O error). */
  onLost: ((records: readonly DsRecord[], err: unknown) => void) | null = null;
  private pendingBytes = 0;
  private readonly pendingKinds = new Map<string, number>();
  private unackedRecords = 0;
  private unackedBytes = 0;
  /** Byte lengths of the records handed out by `peek` and not yet acked. */
  private inflight: Array<{ bytes: number; kind: string }> = [];
  private flushing: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Lines that could not be parsed and were skipped. */
  corrupt = 0;

  private constructor(segments: SegmentLog, maxBytes: number, log: Logger) {
    this.segments = segments;
    this.maxBytes = maxBytes;
    this.log = log;
    this.unackedRecords = segments.recovered.records;
    this.unackedBytes = segments.recovered.bytes;
  }

  /** Opens (and recovers) the spool in `dir`, creating it if needed. */
  static async open(dir: string, maxBytes: number, log: Logger): Promise<DiskSpool> {
    const segmentBytes = Math.max(64 * 1024, Math.min(8 * 1024 * 1024, Math.floor(maxBytes / 8)));
    const spool = new DiskSpool(await SegmentLog.open(dir, segmentBytes, log), maxBytes, log);
    if (spool.unackedRecords > 0) log.info({ dir, records: spool.unackedRecords, bytes: spool.unackedBytes }, 'spool recovered; replaying');
    return spool;
  }

  get depth(): { records: number; bytes: number } {
    return { records: this.unackedRecords, bytes: this.unackedBytes };
  }

  /** Room for a typical record (16 KiB of headroom), so polling sources skip a tick before anything is refused. */
  hasRoom(): boolean {
    return !this.closed && this.unackedBytes + 16 * 1024 <= this.maxBytes;
  }

  offer(record: DsRecord): boolean {
    const line = recordJson(record) + '\n';
    const size = Buffer.byteLength(line);
    if (this.closed || (this.unackedBytes > 0 && this.unackedBytes + size > this.maxBytes)) return false;
    this.pending.push(line);
    this.pendingRecords.push(record);
    this.pendingBytes += size;
    addKind(this.pendingKinds, record.kind, 1);
    this.unackedRecords++;
    this.unackedBytes += size;
    // Group commit: one write + fdatasync for everything offered within a few ms.
    this.flushTimer ??= setTimeout(() => {
      this.flushTimer = null;
      void this.flush();
    }, 5);
    return true;
  }

  /** Writes and syncs everything offered so far. */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(() => this.writePending());
    return this.flushing;
  }

  async peek(n: number): Promise<DsRecord[]> {
    if (this.inflight.length > 0) throw new Error('spool: peek with a batch in flight');
    if (this.pending.length > 0) await this.flush();
    if (this.segments.firstIsDone()) {
      await this.segments.retireFirst();
      return this.peek(n);
    }
    const text = await this.segments.readChunk();
    const out: DsRecord[] = [];
    let start = 0;
    while (out.length < n) {
      const nl = text.indexOf('\n', start);
      if (nl < 0) break;
      const line = text.slice(start, nl);
      const lineBytes = Buffer.byteLength(line) + 1;
      let record: DsRecord;
      try {
        record = JSON.parse(line) as DsRecord;
      } catch {
        // A corrupt line (never expected: writes are checked) must not wedge the sink.
        if (out.length > 0) break;
        this.log.error({ dir: this.segments.dir, offset: this.segments.readOffset }, 'corrupt spool line skipped');
        this.segments.skip(lineBytes);
        this.unackedRecords--;
        this.unackedBytes -= lineBytes;
        this.corrupt++;
        start = nl + 1;
        continue;
      }
      this.inflight.push({ bytes: lineBytes, kind: record.kind });
      out.push(record);
      start = nl + 1;
    }
    return out;
  }

  async ack(n: number): Promise<void> {
    const done = this.inflight.splice(0, n);
    for (const { bytes } of done) {
      this.unackedRecords--;
      this.unackedBytes -= bytes;
    }
    this.inflight = [];
    await this.segments.consume(done);
  }

  release(): void {
    this.inflight = [];
  }

  dropOldest(inFlight: number): Record<string, number> {
    const victim = this.segments.dropSegment(inFlight > 0);
    if (!victim) return {};
    const records = [...victim.kinds.values()].reduce((a, b) => a + b, 0);
    this.unackedRecords -= records;
    this.unackedBytes -= victim.bytes;
    return Object.fromEntries(victim.kinds);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flush().catch(() => undefined);
    await this.segments.positionSaved();
    this.closed = true;
    await this.segments.closeWriter();
  }

  private async writePending(): Promise<void> {
    if (this.pending.length === 0) return;
    const text = this.pending.join('');
    const bytes = this.pendingBytes;
    const kinds = new Map(this.pendingKinds);
    const records = this.pendingRecords;
    this.pendingRecords = [];
    this.pending = [];
    this.pendingBytes = 0;
    this.pendingKinds.clear();
    try {
      await this.segments.append(text, bytes, kinds);
    } catch (err) {
      // Disk full or I/O error: the records were never accepted.
      this.unackedRecords -= records.length;
      this.unackedBytes -= bytes;
      this.onLost?.(records, err);
      return;
    }
    this.onDurable?.(records);
  }
}
