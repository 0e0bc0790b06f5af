import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DsRecord } from '../records.js';
import type { SinkBuffer } from './buffer.js';
import { recordJson } from './serialize.js';
import { STATE_DIR_MODE, STATE_FILE_MODE, writeFileAtomic } from '../util/atomic-write.js';

interface Segment {
  readonly id: number;
  readonly path: string;
  /** Bytes written and synced. */
  bytes: number;
  /** Unacknowledged records in it, by kind. */
  readonly kinds: Map<string, number>;
}

interface Position {
  readonly segment: number;
  readonly offset: number;
}

const KIND_PREFIX = /^\{"kind":"([a-z_]+)"/;
const READ_CHUNK = 4 * 1024 * 1024;

function segmentName(id: number): string {
  return `${String(id).padStart(12, '0')}.ndjson`;
}

function addKind(map: Map<string, number>, kind: string, n: number): void {
  const v = (map.get(kind) ?? 0) + n;
  if (v <= 0) map.delete(kind);
  else map.set(kind, v);
}

/**
 * A per-sink disk spool: NDJSON segment files in `dir`. A record counts as
 * accepted once appended and fdatasync'ed (`flush`), is read back in order,
 * and its bytes are released once the sink acknowledged it (`ack`); the read
 * position survives restarts in `position.json` (at-least-once: a batch
 * delivered but not yet marked is delivered again after a crash).
 */
export class DiskSpool implements SinkBuffer {
  readonly kind = 'disk' as const;
  private readonly dir: string;
  private readonly maxBytes: number;
  private readonly segmentBytes: number;
  private readonly log: Logger;
  private segments: Segment[] = [];
  private writer: FileHandle | null = null;
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
  /** Next unread byte in the first segment (everything before it is acknowledged). */
  private readOffset = 0;
  /** Byte lengths of the records handed out by `peek` and not yet acked. */
  private inflight: Array<{ bytes: number; kind: string }> = [];
  private flushing: Promise<void> = Promise.resolve();
  private savingPosition: Promise<void> = Promise.resolve();
  private flushTimer: NodeJS.Timeout | null = null;
  private closed = false;
  /** Lines that could not be parsed and were skipped. */
  corrupt = 0;

  private constructor(dir: string, maxBytes: number, log: Logger) {
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.segmentBytes = Math.max(64 * 1024, Math.min(8 * 1024 * 1024, Math.floor(maxBytes / 8)));
    this.log = log;
  }

  /** Opens (and recovers) the spool in `dir`, creating it if needed. */
  static async open(dir: string, maxBytes: number, log: Logger): Promise<DiskSpool> {
    mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
    const spool = new DiskSpool(dir, maxBytes, log);
    await spool.recover();
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
    const first = this.segments[0];
    if (!first || this.readOffset >= first.bytes) {
      if (first && this.segments.length > 1) {
        await this.retireFirst();
        return this.peek(n);
      }
      return [];
    }
    const fh = await open(first.path, 'r');
    let text: string;
    try {
      const len = Math.min(READ_CHUNK, first.bytes - this.readOffset);
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, this.readOffset);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
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
        this.log.error({ dir: this.dir, offset: this.readOffset }, 'corrupt spool line skipped');
        this.readOffset += lineBytes;
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
    const first = this.segments[0];
    for (const { bytes, kind } of done) {
      this.readOffset += bytes;
      this.unackedRecords--;
      this.unackedBytes -= bytes;
      if (first) addKind(first.kinds, kind, -1);
    }
    this.inflight = [];
    if (first && this.readOffset >= first.bytes && this.segments.length > 1) await this.retireFirst();
    else await this.savePosition();
  }

  release(): void {
    this.inflight = [];
  }

  dropOldest(inFlight: number): Record<string, number> {
    // The first segment is being read; drop the next complete one (not the one being written).
    const from = inFlight > 0 || this.readOffset > 0 ? 1 : 0;
    const victim = this.segments.length - 1 > from ? this.segments[from] : undefined;
    if (!victim) return {};
    this.segments.splice(from, 1);
    const dropped = Object.fromEntries(victim.kinds);
    const records = [...victim.kinds.values()].reduce((a, b) => a + b, 0);
    this.unackedRecords -= records;
    this.unackedBytes -= from === 0 ? victim.bytes - this.readOffset : victim.bytes;
    if (from === 0) this.readOffset = 0;
    void unlink(victim.path).catch(() => undefined);
    this.savePosition().catch((err: unknown) => this.log.warn({ dir: this.dir, err: describeError(err) }, 'spool position not saved'));
    return dropped;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = null;
    await this.flush().catch(() => undefined);
    await this.savingPosition.catch(() => undefined);
    this.closed = true;
    await this.writer?.close().catch(() => undefined);
    this.writer = null;
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
    let seg: Segment | undefined;
    try {
      seg = this.segments[this.segments.length - 1];
      if (!seg || !this.writer || seg.bytes >= this.segmentBytes) seg = await this.startSegment();
      const buf = Buffer.from(text);
      const { bytesWritten } = await (this.writer as FileHandle).write(buf, 0, buf.length);
      // A short write (disk full) is not an error to node: treat it as one.
      if (bytesWritten < buf.length) throw Object.assign(new Error('ENOSPC: short write to spool segment'), { code: 'ENOSPC' });
      await (this.writer as FileHandle).datasync();
    } catch (err) {
      // Disk full or I/O error: cut the torn tail, and the records were never accepted.
      if (seg) await truncate(seg.path, seg.bytes).catch(() => undefined);
      this.unackedRecords -= records.length;
      this.unackedBytes -= bytes;
      this.onLost?.(records, err);
      return;
    }
    seg.bytes += bytes;
    for (const [k, v] of kinds) addKind(seg.kinds, k, v);
    this.onDurable?.(records);
  }

  private async startSegment(): Promise<Segment> {
    await this.writer?.close();
    const last = this.segments[this.segments.length - 1];
    const seg: Segment = { id: (last?.id ?? 0) + 1, path: '', bytes: 0, kinds: new Map() };
    (seg as { path: string }).path = join(this.dir, segmentName(seg.id));
    this.writer = await open(seg.path, 'a', STATE_FILE_MODE);
    this.segments.push(seg);
    return seg;
  }

  private async retireFirst(): Promise<void> {
    const first = this.segments.shift();
    this.readOffset = 0;
    if (first) await unlink(first.path).catch(() => undefined);
    await this.savePosition();
  }

  /** Atomic (temp + fsync + rename + fsync of the directory), one write at a time, each with the position at its turn. */
  private savePosition(): Promise<void> {
    const write = async (): Promise<void> => {
      const first = this.segments[0];
      const pos: Position = { segment: first?.id ?? 0, offset: this.readOffset };
      await writeFileAtomic(join(this.dir, 'position.json'), JSON.stringify(pos));
    };
    this.savingPosition = this.savingPosition.then(write, write);
    return this.savingPosition;
  }

  /** Rebuild state from the files: drop acknowledged segments, cut a torn last line, count what is left. */
  private async recover(): Promise<void> {
    let pos: Position = { segment: 0, offset: 0 };
    try {
      pos = JSON.parse(await readFile(join(this.dir, 'position.json'), 'utf8')) as Position;
    } catch {
      // no position yet: everything is unread
    }
    const ids = (await readdir(this.dir))
      .filter((f) => /^\d{12}\.ndjson$/.test(f))
      .map((f) => Number(f.slice(0, 12)))
      .sort((a, b) => a - b);
    for (const id of ids) {
      const path = join(this.dir, segmentName(id));
      if (id < pos.segment) {
        await unlink(path);
        continue;
      }
      let text = await readFile(path, 'utf8');
      const end = text.lastIndexOf('\n') + 1;
      if (end < text.length) {
        // A write torn by a crash: the record was never acknowledged as accepted.
        await truncate(path, Buffer.byteLength(text.slice(0, end)));
        text = text.slice(0, end);
      }
      const skip = id === pos.segment ? pos.offset : 0;
      const seg: Segment = { id, path, bytes: (await stat(path)).size, kinds: new Map() };
      const unread = Buffer.from(text).subarray(skip).toString('utf8');
      for (const line of unread.split('\n')) {
        if (!line) continue;
        addKind(seg.kinds, KIND_PREFIX.exec(line)?.[1] ?? 'unknown', 1);
        this.unackedRecords++;
      }
      this.unackedBytes += seg.bytes - skip;
      this.segments.push(seg);
    }
    this.readOffset = this.segments[0]?.id === pos.segment ? pos.offset : 0;
    if (this.unackedRecords > 0) this.log.info({ dir: this.dir, records: this.unackedRecords, bytes: this.unackedBytes }, 'spool recovered; replaying');
  }
}
