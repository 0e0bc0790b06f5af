import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors.js';
import type { FileSinkOptions } from '../../../src/sinks/file/options.js';
import { createFileSink, fileSinkPlugin } from '../../../src/sinks/file/plugin.js';
import { events, ndjson, seqsOf, sinkContext } from './fixtures.js';
import { filesInOrder, readAll, readText } from './read-back.js';

const BASE = 'records.ndjson';
const signal = new AbortController().signal;
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-file-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function options(extra: Partial<FileSinkOptions> = {}): FileSinkOptions {
  return { path: join(dir, BASE), max_files: 5, compress: false, fsync: 'never', fsync_interval: 1000, mode: 0o640, ...extra };
}

describe('file sink', () => {
  it('parses its options with defaults and human units', () => {
    const parsed = fileSinkPlugin.options.parse({ path: '/var/log/dockstream/records.ndjson', max_size: '100MiB', max_age: '1h' });
    expect(parsed).toEqual({
      path: '/var/log/dockstream/records.ndjson',
      max_size: 100 * 1024 * 1024,
      max_age: 3_600_000,
      max_files: 5,
      compress: false,
      fsync: 'interval',
      fsync_interval: 1000,
      mode: 0o640,
    });
    expect(fileSinkPlugin.options.safeParse({ path: '/x', fsync_interval: 0 }).success).toBe(false);
    expect(fileSinkPlugin.options.parse({ path: '/x', mode: '0600' }).mode).toBe(0o600);
    expect(fileSinkPlugin.options.parse({ path: '/x', mode: '644' }).mode).toBe(0o644);
    // YAML reads an unquoted 0640 as the decimal 640: refused rather than misread.
    expect(fileSinkPlugin.options.safeParse({ path: '/x', mode: 640 }).success).toBe(false);
    expect(fileSinkPlugin.options.safeParse({ path: '/x', mode: '0948' }).success).toBe(false);
    expect(fileSinkPlugin.options.safeParse({ path: '/x', fsync: 'sometimes' }).success).toBe(false);
  });

  it('appends exactly the NDJSON lines, creating directories', async () => {
    const path = join(dir, 'a', 'b', BASE);
    const sink = createFileSink('file', options({ path }), sinkContext());
    await sink.start();
    const first = events(0, 3);
    const second = events(3, 2);
    await sink.send(first, signal);
    await sink.send([], signal);
    await sink.send(second, signal);
    await sink.close();
    expect(readFileSync(path, 'utf8')).toBe(ndjson([...first, ...second]));
  });

  it('with fsync: batch, the data is in the file when send resolves', async () => {
    const sink = createFileSink('file', options({ fsync: 'batch', max_size: 4096 }), sinkContext());
    const batch = events(0, 20);
    await sink.send(batch, signal);
    expect(readAll(dir, BASE)).toBe(ndjson(batch));
    await sink.close();
  });

  it('with fsync: interval, writes and closes cleanly', async () => {
    const sink = createFileSink('file', options({ fsync: 'interval', fsync_interval: 10 }), sinkContext());
    await sink.start();
    await sink.send(events(0, 5), signal);
    await new Promise((r) => setTimeout(r, 50)); // let the fsync timer run at least once
    await sink.send(events(5, 5), signal);
    await sink.close();
    expect(seqsOf(readText(dir, BASE))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('gzips rotated files to exactly the lines written, leaving no plain copy', async () => {
    const sink = createFileSink('file', options({ max_size: 2000, compress: true, max_files: 100 }), sinkContext());
    const batch = events(0, 9);
    await sink.send(batch, signal);
    await sink.close();
    const names = filesInOrder(dir, BASE);
    expect(names.length).toBeGreaterThan(2);
    expect(names.slice(0, -1).every((n) => n.endsWith('.gz'))).toBe(true);
    expect(readdirSync(dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    expect(readAll(dir, BASE)).toBe(ndjson(batch));
  });

  it('writes its files with the configured mode, whatever the umask; rotated and gzipped files keep it', async () => {
    const old = process.umask(0o077);
    try {
      const sink = createFileSink('file', options({ max_size: 2000, compress: true, max_files: 100, mode: 0o644 }), sinkContext());
      await sink.send(events(0, 9), signal);
      await sink.close();
      const names = filesInOrder(dir, BASE);
      expect(names.length).toBeGreaterThan(2);
      for (const n of names) expect([n, statSync(join(dir, n)).mode & 0o777]).toEqual([n, 0o644]);
    } finally {
      process.umask(old);
    }
    const strict = createFileSink('file', options({ path: join(dir, 'strict', BASE) }), sinkContext());
    await strict.send(events(0, 1), signal);
    await strict.close();
    expect(statSync(join(dir, 'strict', BASE)).mode & 0o777).toBe(0o640); // the default
  });

  it('close is idempotent, waits for sends queued before it, and refuses later sends', async () => {
    const sink = createFileSink('file', options(), sinkContext());
    await sink.start();
    const pending = sink.send(events(0, 3), signal);
    const closing = sink.close();
    await Promise.all([pending, closing, sink.close()]);
    await sink.close();
    expect(seqsOf(readText(dir, BASE))).toEqual([0, 1, 2]);
    const err = await sink.send(events(3, 1), signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(false);
  });

  it('a send failing part-way is retried without duplicating or losing lines', async () => {
    const now = Date.UTC(2024, 4, 1, 12, 0, 0, 0);
    const sink = createFileSink('file', options({ max_size: 3000, max_files: 100 }), sinkContext(), () => now);
    await sink.start();
    // A directory under the next rotated name makes the rename fail mid-batch.
    const blocker = join(dir, `${BASE}.20240501T120000.000Z`);
    mkdirSync(blocker);
    const batch = events(0, 12);
    const err = await sink.send(batch, signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect((err as SinkError).message).toContain('cannot rotate');
    rmSync(blocker, { recursive: true });
    await sink.send(batch, signal); // the pipeline's retry: same batch
    await sink.close();
    expect(seqsOf(readAll(dir, BASE))).toEqual(batch.map((_, i) => i));
  });

  it('recovers from an interrupted compression at start-up', async () => {
    const lines = ndjson(events(0, 4));
    const done = `${BASE}.20240501T110000.000Z`; // crash after rename, before unlink
    const partial = `${BASE}.20240501T113000.000Z`; // crash mid-compression
    writeFileSync(join(dir, done), lines);
    writeFileSync(join(dir, `${done}.gz`), gzipSync(lines));
    writeFileSync(join(dir, partial), lines);
    writeFileSync(join(dir, `${partial}.gz.tmp`), 'garbage');
    writeFileSync(join(dir, BASE), lines);
    const sink = createFileSink('file', options({ compress: true }), sinkContext());
    await sink.start();
    await sink.send(events(4, 1), signal);
    await sink.close();
    expect(readdirSync(dir).sort()).toEqual([BASE, `${done}.gz`, `${partial}.gz`]);
    expect(readText(dir, `${partial}.gz`)).toBe(lines);
    expect(seqsOf(readText(dir, BASE))).toEqual([0, 1, 2, 3, 4]);
  });

  it('max_files: 0 keeps no rotated file', async () => {
    const sink = createFileSink('file', options({ max_size: 1500, max_files: 0, compress: true }), sinkContext());
    await sink.send(events(0, 6), signal);
    await sink.close();
    expect(readdirSync(dir)).toEqual([BASE]);
    expect(seqsOf(readText(dir, BASE))).toEqual([5]);
  });
});

describe('file sink check and errors', () => {
  it('check() describes a writable path without creating anything', async () => {
    const path = join(dir, 'not', 'yet', BASE);
    const sink = createFileSink('file', options({ path, max_size: 1024, max_age: 60_000 }), sinkContext());
    const line = await sink.check(signal);
    expect(line).toContain(path);
    expect(line).toContain('writable');
    expect(existsSync(join(dir, 'not'))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('check() fails when a regular file is in the way', async () => {
    writeFileSync(join(dir, 'file.txt'), 'x');
    const sink = createFileSink('file', options({ path: join(dir, 'file.txt', 'sub', BASE) }), sinkContext());
    const err = await sink.check(signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).message).toContain('not a directory');
  });

  it('check() fails when the path is a directory', async () => {
    mkdirSync(join(dir, BASE));
    const sink = createFileSink('file', options(), sinkContext());
    await expect(sink.check(signal)).rejects.toThrow(/is a directory/);
  });

  it('start and send fail with a retryable error naming the path', async () => {
    writeFileSync(join(dir, 'file.txt'), 'x');
    const path = join(dir, 'file.txt', 'sub', BASE);
    const sink = createFileSink('file', options({ path }), sinkContext());
    const err = await sink.send(events(0, 1), signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect((err as SinkError).details['code']).toBe('ENOTDIR');
    await sink.close();
  });
});
