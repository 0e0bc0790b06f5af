import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../log.js';
import { gzipFile } from './compress.js';
import { listRotated } from './rotated-files.js';

/**
 * Background work on rotated files: pruning to `maxFiles` and gzip. Runs one
 * task at a time, off the write path, so compressing a big file never delays
 * writes to the new one. Each task prunes first (the newest files, still
 * waiting for compression, are never the ones pruned), then compresses.
 */
export class Housekeeper {
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly dir: string,
    private readonly base: string,
    private readonly maxFiles: number,
    private readonly compress: boolean,
    private readonly log: Logger,
    private readonly sink: string,
  ) {}

  /** A file was just rotated to `stem`. */
  rotated(stem: string): void {
    this.enqueue(async () => {
      const kept = await this.prune();
      if (this.compress && kept.has(stem)) await this.gzip(stem);
    });
  }

  /**
   * At start-up: finish what a crash interrupted (drop partial `.gz.tmp`, drop
   * a plain file whose `.gz` was completed), prune, compress leftovers.
   */
  recover(): void {
    this.enqueue(async () => {
      for (const entry of await listRotated(this.dir, this.base)) {
        if (entry.tmp) await rm(join(this.dir, `${entry.stem}.gz.tmp`), { force: true });
        if (entry.gz && entry.plain) await rm(join(this.dir, entry.stem), { force: true });
      }
      const kept = await this.prune();
      if (!this.compress) return;
      for (const entry of await listRotated(this.dir, this.base)) {
        if (entry.plain && kept.has(entry.stem)) await this.gzip(entry.stem);
      }
    });
  }

  /** Resolves when every queued task is done. */
  idle(): Promise<void> {
    return this.queue;
  }

  private enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch((err: unknown) => {
      this.log.warn({ sink: this.sink, err }, 'file sink housekeeping failed');
    });
  }

  /** Deletes the oldest rotated files beyond `maxFiles`; returns the stems kept. */
  private async prune(): Promise<Set<string>> {
    const entries = (await listRotated(this.dir, this.base)).filter((e) => e.plain || e.gz);
    const excess = Math.max(0, entries.length - this.maxFiles);
    for (const entry of entries.slice(0, excess)) {
      for (const suffix of ['', '.gz', '.gz.tmp']) await rm(join(this.dir, entry.stem + suffix), { force: true });
      this.log.debug({ sink: this.sink, file: entry.stem }, 'rotated file pruned');
    }
    return new Set(entries.slice(excess).map((e) => e.stem));
  }

  private async gzip(stem: string): Promise<void> {
    try {
      await gzipFile(join(this.dir, stem));
      this.log.debug({ sink: this.sink, file: `${stem}.gz` }, 'rotated file compressed');
    } catch (err) {
      // The plain file stays (and counts against max_files); retried at next start.
      this.log.warn({ sink: this.sink, file: stem, err }, 'rotated file compression failed');
    }
  }
}
