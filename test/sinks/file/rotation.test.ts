import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { FileSinkOptions } from '../../../src/sinks/file/options.js';
import { createFileSink } from '../../../src/sinks/file/plugin.js';
import { waitFor } from '../../harness/agent.js';
import { events, sinkContext, seqsOf } from './fixtures.js';
import { filesInOrder, readAll, readText } from './read-back.js';

const BASE = 'records.ndjson';
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-file-rot-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

function options(extra: Partial<FileSinkOptions>): FileSinkOptions {
  return { path: join(dir, 'logs', BASE), max_files: 5, compress: false, fsync: 'never', fsync_interval: 1000, mode: 0o640, ...extra };
}

/** Sends records 0..total-1 in batches cycling through `sizes`. */
async function sendAll(sink: ReturnType<typeof createFileSink>, total: number, sizes: readonly number[]): Promise<void> {
  const signal = new AbortController().signal;
  let next = 0;
  for (let i = 0; next < total; i++) {
    const count = Math.min(sizes[i % sizes.length] as number, total - next);
    await sink.send(events(next, count), signal);
    next += count;
  }
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);

describe('file sink rotation by size', () => {
  for (const compress of [false, true]) {
    it(`loses and repeats no line across rotations (compress: ${compress})`, async () => {
      const maxSize = 48 * 1024;
      const sink = createFileSink('file', options({ max_size: maxSize, max_files: 10_000, compress }), sinkContext());
      await sink.start();
      const total = 20_000;
      await sendAll(sink, total, [1, 7, 500, 33, 2, 250, 120, 999]);
      await sink.close();

      const logs = join(dir, 'logs');
      const names = filesInOrder(logs, BASE);
      expect(names.length).toBeGreaterThan(100);
      const rotated = names.slice(0, -1);
      // Every rotated file is compressed (or not) as configured, and no temp file is left.
      expect(rotated.every((n) => n.endsWith('.gz') === compress)).toBe(true);
      expect(rotated.every((n) => /^records\.ndjson\.\d{8}T\d{6}\.\d{3}Z(\.gz)?$/.test(n))).toBe(true);
      // No file grows past max_size, and none is split mid-line.
      for (const name of names) {
        const text = readText(logs, name);
        expect(Buffer.byteLength(text)).toBeLessThanOrEqual(maxSize);
        expect(text.endsWith('\n')).toBe(true);
      }
      expect(seqsOf(readAll(logs, BASE))).toEqual(range(total));
    });
  }

  it('keeps exactly max_files rotated files plus the current one, the newest ones', async () => {
    const sink = createFileSink('file', options({ max_size: 16 * 1024, max_files: 3, compress: true }), sinkContext());
    await sink.start();
    const total = 2_000;
    await sendAll(sink, total, [64, 3, 200]);
    await sink.close();

    const logs = join(dir, 'logs');
    const names = filesInOrder(logs, BASE);
    expect(names).toHaveLength(4);
    expect(names.slice(0, 3).every((n) => n.endsWith('.gz'))).toBe(true);
    expect(names[3]).toBe(BASE);
    // What is kept is a contiguous tail ending with the last record.
    const seqs = seqsOf(readAll(logs, BASE));
    const first = seqs[0] as number;
    expect(first).toBeGreaterThan(0);
    expect(seqs).toEqual(range(total - first).map((i) => i + first));
  });

  it('counts bytes already in the file when the agent restarts', async () => {
    const path = join(dir, 'logs', BASE);
    const first = createFileSink('file', options({ max_size: 10_000 }), sinkContext());
    await first.send(events(0, 10), new AbortController().signal);
    await first.close();
    const before = statSync(path).size;
    expect(before).toBeGreaterThan(5_000);

    const second = createFileSink('file', options({ max_size: 10_000 }), sinkContext());
    await second.start();
    await second.send(events(10, 10), new AbortController().signal);
    await second.close();
    const logs = join(dir, 'logs');
    const names = filesInOrder(logs, BASE);
    expect(names.length).toBeGreaterThanOrEqual(2);
    // The first file was appended to (not truncated) until it was full.
    expect(seqsOf(readText(logs, names[0] as string)).slice(0, 10)).toEqual(range(10));
    expect(seqsOf(readAll(logs, BASE))).toEqual(range(20));
  });
});

describe('file sink rotation by age', () => {
  it('rotates before a batch once the file reaches max_age (injected clock)', async () => {
    let now = Date.UTC(2024, 4, 1, 12, 0, 0, 0);
    const sink = createFileSink('file', options({ max_age: 200 }), sinkContext(), () => now);
    const signal = new AbortController().signal;
    await sink.send(events(0, 5), signal);
    now += 150;
    await sink.send(events(5, 5), signal);
    now += 60; // the file's first line is now 210 ms old
    await sink.send(events(10, 5), signal);
    await sink.close();

    const logs = join(dir, 'logs');
    expect(filesInOrder(logs, BASE)).toEqual([`${BASE}.20240501T120000.210Z`, BASE]);
    expect(seqsOf(readText(logs, `${BASE}.20240501T120000.210Z`))).toEqual(range(10));
    expect(seqsOf(readText(logs, BASE))).toEqual([10, 11, 12, 13, 14]);
  });

  it('rotates an idle file by timer, without waiting for the next batch', async () => {
    const sink = createFileSink('file', options({ max_age: 100 }), sinkContext());
    await sink.send(events(0, 3), new AbortController().signal);
    const logs = join(dir, 'logs');
    await waitFor(() => filesInOrder(logs, BASE).length === 2, 10_000, 'the rotation by timer');
    await sink.close();
    const names = filesInOrder(logs, BASE);
    expect(seqsOf(readText(logs, names[0] as string))).toEqual([0, 1, 2]);
    expect(readText(logs, BASE)).toBe('');
  });

  it('gives rotations in the same millisecond distinct, ordered names', async () => {
    const now = Date.UTC(2024, 4, 1, 12, 0, 0, 0);
    const sink = createFileSink('file', options({ max_size: 1, max_files: 100 }), sinkContext(), () => now);
    await sink.send(events(0, 4), new AbortController().signal);
    await sink.close();
    const logs = join(dir, 'logs');
    expect(filesInOrder(logs, BASE)).toEqual([`${BASE}.20240501T120000.000Z`, `${BASE}.20240501T120000.001Z`, `${BASE}.20240501T120000.002Z`, BASE]);
    expect(seqsOf(readAll(logs, BASE))).toEqual([0, 1, 2, 3]);
  });
});
