import { mkdirSync } from 'node:fs';
import { open, readdir, readFile, stat, truncate, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { DsError } from '../errors.js';
import type { Logger } from '../log.js';
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

/** What a segment dropped whole held unread. */
export interface DroppedSegment {
  readonly kinds: ReadonlyMap<string, number>;
  readonly bytes: number;
}

const KIND_PREFIX = /^\{"kind":"([a-z_]+)"/;
const READ_CHUNK = 4 * 1024 * 1024;

function segmentName(id: number): string {
  return `${String(id).padStart(12, '0')}.ndjson`;
}

export function addKind(map: Map<string, number>, kind: string, n: number): void {
  const v = (map.get(kind) ?? 0) + n;
  if (v <= 0) map.delete(kind);
  else map.set(kind, v);
}

/**
 * NDJSON records in numbered segment files in `dir`: appended and
 * fdatasync'ed at the newest, read in order from the oldest, whose read
 * position survives restarts in `position.json`. A segment read to its end
 * is deleted once a newer one exists.
 */
export class SegmentLog {
  readonly dir: string;
  private readonly segmentBytes: number;
  private readonly log: Logger;
  private segments: Segment[] = [];
  private writer: FileHandle | null = null;
  /** Next unread byte in the first segment (everything before it is acknowledged). */
  private offset = 0;
  private savingPosition: Promise<void> = Promise.resolve();
  /** Records and bytes found unread by `open`. */
  readonly recovered = { records: 0, bytes: 0 };

  private constructor(dir: string, segmentBytes: number, log: Logger) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.log = log;
  }

  /** Opens (and recovers) the log in `dir`, creating it if needed. */
  static async open(dir: string, segmentBytes: number, log: Logger): Promise<SegmentLog> {
    mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
    const segments = new SegmentLog(dir, segmentBytes, log);
    await segments.recover();
    return segments;
  }

  /** Next unread byte in the first segment. */
  get readOffset(): number {
    return this.offset;
  }

  /**
   * Appends `text` (`bytes` long, holding `kinds`) and syncs it. On failure
   * the torn tail is cut and the error thrown: nothing was appended.
   */
  async append(text: string, bytes: number, kinds: ReadonlyMap<string, number>): Promise<void> {
    let seg: Segment | undefined;
    try {
      seg = this.segments[this.segments.length - 1];
      if (!seg || !this.writer || seg.bytes >= this.segmentBytes) seg = await this.startSegment();
      const buf = Buffer.from(text);
      const { bytesWritten } = await (this.writer as FileHandle).write(buf, 0, buf.length);
      // A short write (disk full) is not an error to node: treat it as one.
      if (bytesWritten < buf.length) throw Object.assign(new Error('ENOSPC: short write to spool segment'), { code: 'ENOSPC' });
      await (this.writer as FileHandle).datasync();
    } catch (cause) {
      // Disk full or I/O error: cut the torn tail.
      if (seg) await truncate(seg.path, seg.bytes).catch(() => undefined);
      const errno = (cause as NodeJS.ErrnoException).code;
      throw new DsError('STATE_WRITE', `cannot append to the spool in ${this.dir}`, {
        cause,
        details: { dir: this.dir, ...(errno === undefined ? {} : { errno }) },
      });
    }
    seg.bytes += bytes;
    for (const [k, v] of kinds) addKind(seg.kinds, k, v);
  }

  /** The oldest segment is read to its end and a newer one exists. */
  firstIsDone(): boolean {
    const first = this.segments[0];
    return first !== undefined && this.offset >= first.bytes && this.segments.length > 1;
  }

  /** Unread text of the oldest segment from the read position, at most one chunk ('' when read to its end). */
  async readChunk(): Promise<string> {
    const first = this.segments[0];
    if (!first || this.offset >= first.bytes) return '';
    const fh = await open(first.path, 'r');
    try {
      const len = Math.min(READ_CHUNK, first.bytes - this.offset);
      const buf = Buffer.allocUnsafe(len);
      const { bytesRead } = await fh.read(buf, 0, len, this.offset);
      return buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  }

  /** Steps over a line that is not a record; the position is saved with the next `consume`. */
  skip(bytes: number): void {
    this.offset += bytes;
  }

  /** The records read (oldest first) are acknowledged: move past them and save the position. */
  async consume(records: ReadonlyArray<{ readonly bytes: number; readonly kind: string }>): Promise<void> {
    const first = this.segments[0];
    for (const { bytes, kind } of records) {
      this.offset += bytes;
      if (first) addKind(first.kinds, kind, -1);
    }
    if (this.firstIsDone()) await this.retireFirst();
    else await this.savePosition();
  }

  /** Deletes the oldest segment not in use (`firstInUse`: a batch from it is in flight), for `when_full: drop_oldest`. */
  dropSegment(firstInUse: boolean): DroppedSegment | undefined {
    // The first segment is being read; drop the next complete one (not the one being written).
    const from = firstInUse || this.offset > 0 ? 1 : 0;
    const victim = this.segments.length - 1 > from ? this.segments[from] : undefined;
    if (!victim) return undefined;
    this.segments.splice(from, 1);
    const bytes = from === 0 ? victim.bytes - this.offset : victim.bytes;
    if (from === 0) this.offset = 0;
    void unlink(victim.path).catch(() => undefined);
    this.savePosition().catch((err: unknown) => this.log.warn({ dir: this.dir, err }, 'spool position not saved'));
    return { kinds: victim.kinds, bytes };
  }

  /** Deletes the oldest segment (read to its end) and saves the position. */
  async retireFirst(): Promise<void> {
    const first = this.segments.shift();
    this.offset = 0;
    if (first) await unlink(first.path).catch(() => undefined);
    await this.savePosition();
  }

  /** Resolves when the position writes queued so far are done (failed or not). */
  positionSaved(): Promise<void> {
    return this.savingPosition.catch(() => undefined);
  }

  /** Closes the file appended to (an append after this starts a new segment). */
  async closeWriter(): Promise<void> {
    await this.writer?.close().catch(() => undefined);
    this.writer = null;
  }

  private async startSegment(): Promise<Segment> {
    await this.writer?.close();
    const last = this.segments[this.segments.length - 1];
    const id = (last?.id ?? 0) + 1;
    const seg: Segment = { id, path: join(this.dir, segmentName(id)), bytes: 0, kinds: new Map() };
    this.writer = await open(seg.path, 'a', STATE_FILE_MODE);
    this.segments.push(seg);
    return seg;
  }

  /** Atomic (temp + fsync + rename + fsync of the directory), one write at a time, each with the position at its turn. */
  private savePosition(): Promise<void> {
    const write = async (): Promise<void> => {
      const first = this.segments[0];
      const pos: Position = { segment: first?.id ?? 0, offset: this.offset };
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
        this.recovered.records++;
      }
      this.recovered.bytes += seg.bytes - skip;
      this.segments.push(seg);
    }
    this.offset = this.segments[0]?.id === pos.segment ? pos.offset : 0;
  }
}
