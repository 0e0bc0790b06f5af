import { mkdir, open, rename } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { SinkError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Sink } from '../../pipeline/types.js';
import { ndjsonBytes, recordJson } from '../../pipeline/serialize.js';
import type { DsRecord } from '../../records.js';
import { abortable, abortError } from '../../util/abortable.js';
import { ActiveFile } from './active-file.js';
import { checkWritable } from './check.js';
import { fileError } from './errors.js';
import { Housekeeper } from './housekeeping.js';
import { listRotated, rotatedName } from './rotated-files.js';
import { planSegments } from './segments.js';
import { SerialLock } from './serial.js';

export type FsyncPolicy = 'never' | 'batch' | 'interval';

export interface FileSinkSettings {
  readonly path: string;
  /** Bytes; 0 = no size rotation. */
  readonly maxSize: number;
  /** Milliseconds; 0 = no age rotation. */
  readonly maxAgeMs: number;
  readonly maxFiles: number;
  readonly compress: boolean;
  readonly fsync: FsyncPolicy;
  readonly fsyncIntervalMs: number;
  /** File permissions (applied at open, whatever the umask). */
  readonly mode: number;
  /** Clock (ms since epoch); tests inject one. */
  readonly now: () => number;
}

/**
 * NDJSON append with rotation. Every write, rotation, fsync and close runs
 * under one lock. Rotation happens between lines: before a batch (age, or the
 * first line does not fit) or inside it at a line boundary (size).
 */
export class FileSink implements Sink {
  readonly type = 'file';
  private readonly path: string;
  private readonly dir: string;
  private readonly base: string;
  private readonly lock = new SerialLock();
  private readonly housekeeper: Housekeeper;
  private file: ActiveFile | null = null;
  /** Stamp of the newest rotated file: new stamps are strictly greater. */
  private lastStamp = 0;
  /** Lines of a batch already written when a send failed part-way (a retry skips them). */
  private readonly progress = new WeakMap<readonly DsRecord[], number>();
  private started = false;
  private closing: Promise<void> | null = null;
  /** Set under the lock once the file is closed for good. */
  private ended = false;
  private fsyncTimer: NodeJS.Timeout | null = null;
  private ageTimer: NodeJS.Timeout | null = null;

  constructor(
    readonly name: string,
    private readonly settings: FileSinkSettings,
    private readonly log: Logger,
  ) {
    this.path = resolve(settings.path);
    this.dir = dirname(this.path);
    this.base = basename(this.path);
    this.housekeeper = new Housekeeper(this.dir, this.base, settings.maxFiles, settings.compress, log, name);
  }

  async start(signal?: AbortSignal): Promise<void> {
    this.assertOpen();
    signal?.throwIfAborted();
    if (this.started) return;
    await this.lock.run(async () => {
      if (this.started) return;
      try {
        await mkdir(this.dir, { recursive: true });
        const rotated = await listRotated(this.dir, this.base);
        this.lastStamp = Math.max(this.lastStamp, ...rotated.map((e) => e.ms));
      } catch (err) {
        throw fileError('prepare directory', this.dir, err);
      }
      this.housekeeper.recover();
      await this.ensureOpen();
      this.started = true;
    });
    if (this.settings.fsync === 'interval' && this.fsyncTimer === null) {
      this.fsyncTimer = setInterval(() => {
        this.lock
          .run(async () => this.file?.sync())
          .catch((err: unknown) => {
            this.log.warn({ sink: this.name, err }, 'file sink fsync failed');
          });
      }, this.settings.fsyncIntervalMs);
      this.fsyncTimer.unref();
    }
  }

  async check(_signal?: AbortSignal): Promise<string> {
    const size = await checkWritable(this.path);
    const { maxSize, maxAgeMs, maxFiles, compress } = this.settings;
    const rotation = [maxSize > 0 ? `${maxSize} bytes` : '', maxAgeMs > 0 ? `${maxAgeMs} ms` : ''].filter(Boolean).join(' or ');
    const keep = rotation ? `, rotates at ${rotation}, keeps ${maxFiles}${compress ? ' gzipped' : ''}` : ', no rotation';
    return `file ${this.path}: writable (${size} bytes now${keep})`;
  }

  async send(batch: readonly DsRecord[], signal: AbortSignal): Promise<void> {
    this.assertOpen();
    signal.throwIfAborted();
    if (!this.started) await this.start(signal);
    // A write stuck on the disk holds the lock: an aborted send stops waiting
    // (what was already handed to the kernel may still land: at least once).
    const write = this.lock.run(async () => {
      // Aborted while queued behind another write: write nothing.
      if (signal.aborted) throw abortError('file write', signal);
      // Sends queued before close() still complete; only later ones fail.
      if (this.ended) throw new SinkError('file sink is closed', { retryable: false, details: { sink: this.name } });
      const done = this.progress.get(batch) ?? 0;
      // The queue already serialised each record for its byte bound: reuse that text.
      const lines: string[] = [];
      for (let i = done; i < batch.length; i++) lines.push(recordJson(batch[i] as DsRecord));
      await this.writeLines(batch, lines, done);
      if (this.settings.fsync === 'batch') await this.file?.sync();
      this.progress.delete(batch);
    });
    await abortable(write, signal, 'file write');
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  private async shutdown(): Promise<void> {
    if (this.fsyncTimer) clearInterval(this.fsyncTimer);
    if (this.ageTimer) clearTimeout(this.ageTimer);
    this.fsyncTimer = this.ageTimer = null;
    try {
      await this.lock.run(async () => {
        this.ended = true;
        const file = this.file;
        this.file = null;
        if (!file) return;
        try {
          if (this.settings.fsync !== 'never') await file.sync();
        } finally {
          await file.close();
        }
      });
    } finally {
      await this.housekeeper.idle();
    }
  }

  /** Writes `lines` (batch[done...], JSON without the newline), rotating by age before and by size between lines. */
  private async writeLines(batch: readonly DsRecord[], lines: readonly string[], done: number): Promise<void> {
    const { maxSize, now } = this.settings;
    let file = await this.ensureOpen();
    if (lines.length > 0 && this.isAged(file)) file = await this.rotate();
    const sizes = maxSize > 0 ? lines.map((l) => Buffer.byteLength(l) + 1) : [];
    const segments = maxSize > 0 || lines.length === 0 ? planSegments(sizes, file.bytes, maxSize) : [{ from: 0, to: lines.length, rotateBefore: false }];
    for (const seg of segments) {
      if (seg.rotateBefore) file = await this.rotate();
      await file.append(ndjsonBytes(lines, seg.from, seg.to), now());
      done += seg.to - seg.from;
      this.progress.set(batch, done);
      this.scheduleAgeRotation();
    }
  }

  private isAged(file: ActiveFile): boolean {
    const { maxAgeMs, now } = this.settings;
    return maxAgeMs > 0 && file.bytes > 0 && file.startedAt !== null && now() - file.startedAt >= maxAgeMs;
  }

  private async ensureOpen(): Promise<ActiveFile> {
    if (this.file) return this.file;
    this.file = await ActiveFile.open(this.path, this.settings.mode);
    if (this.file.bytes === 0 && this.settings.fsync === 'batch') await this.syncDir();
    this.scheduleAgeRotation();
    return this.file;
  }

  /** Closes the current file, renames it to its rotated name, opens a fresh one. Caller holds the lock. */
  private async rotate(): Promise<ActiveFile> {
    const file = this.file;
    if (file) {
      this.file = null;
      if (this.ageTimer) clearTimeout(this.ageTimer);
      this.ageTimer = null;
      try {
        if (this.settings.fsync !== 'never') await file.sync();
      } finally {
        await file.close();
      }
      const stamp = Math.max(this.settings.now(), this.lastStamp + 1);
      const stem = rotatedName(this.base, stamp);
      try {
        await rename(this.path, join(this.dir, stem));
      } catch (err) {
        throw fileError('rotate', this.path, err);
      }
      this.lastStamp = stamp;
      this.log.debug({ sink: this.name, file: stem, bytes: file.bytes }, 'file rotated');
      this.housekeeper.rotated(stem);
    }
    return this.ensureOpen();
  }

  /** Rotates an idle file once it reaches `max_age`, not only when the next batch comes. */
  private scheduleAgeRotation(): void {
    const { maxAgeMs, now } = this.settings;
    const startedAt = this.file?.startedAt;
    if (maxAgeMs <= 0 || this.ageTimer !== null || startedAt == null || this.closing) return;
    this.ageTimer = setTimeout(
      () => {
        this.ageTimer = null;
        this.lock
          .run(async () => {
            if (this.closing || !this.file) return;
            if (this.isAged(this.file)) await this.rotate();
            else this.scheduleAgeRotation();
          })
          .catch((err: unknown) => this.log.warn({ sink: this.name, err }, 'file sink age rotation failed'));
      },
      Math.max(0, startedAt + maxAgeMs - now()),
    );
    this.ageTimer.unref();
  }

  /** Makes a new directory entry durable (fsync: batch). */
  private async syncDir(): Promise<void> {
    try {
      const handle = await open(this.dir, 'r');
      try {
        await handle.sync();
      } finally {
        await handle.close();
      }
    } catch (err) {
      throw fileError('fsync directory', this.dir, err);
    }
  }

  private assertOpen(): void {
    if (this.closing) throw new SinkError('file sink is closed', { retryable: false, details: { sink: this.name } });
  }
}
