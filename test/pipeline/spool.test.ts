import { appendFileSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DsError } from '../../src/errors.js';
import { nullLogger } from '../../src/log.js';
import type { DsRecord, EventRecord } from '../../src/records.js';
import { DiskSpool } from '../../src/pipeline/spool.js';
import { event } from './fixtures.js';

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'ds-spool-'));
  dirs.push(d);
  return d;
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const ids = (rs: DsRecord[]) => rs.map((r) => (r as EventRecord).actor.id);

describe('disk spool', () => {
  it('gives records back in order, durable before they count as accepted, and releases acked ones', async () => {
    const dir = tempDir();
    const spool = await DiskSpool.open(dir, 1024 * 1024, nullLogger());
    const durable: string[] = [];
    spool.onDurable = (rs) => durable.push(...ids([...rs]));
    for (let i = 0; i < 10; i++) expect(spool.offer(event(i))).toBe(true);
    expect(spool.depth.records).toBe(10);
    await spool.flush();
    expect(durable).toEqual(['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
    const batch = await spool.peek(4);
    expect(ids(batch)).toEqual(['c0', 'c1', 'c2', 'c3']);
    await spool.ack(4);
    expect(spool.depth.records).toBe(6);
    expect(ids(await spool.peek(100))).toEqual(['c4', 'c5', 'c6', 'c7', 'c8', 'c9']);
    await spool.ack(6);
    expect(spool.depth).toEqual({ records: 0, bytes: 0 });
    expect(await spool.peek(10)).toEqual([]);
    await spool.close();
  });

  it('a write that fails drops its records with a STATE_WRITE error naming the spool and the errno', async () => {
    const dir = join(tempDir(), 'spool');
    const spool = await DiskSpool.open(dir, 1024 * 1024, nullLogger());
    // The directory is gone and a file took its place: the first segment cannot be created.
    rmSync(dir, { recursive: true });
    writeFileSync(dir, 'not a directory');
    const lost: Array<{ records: number; err: unknown }> = [];
    spool.onLost = (records, err) => lost.push({ records: records.length, err });
    spool.offer(event(1));
    spool.offer(event(2));
    await spool.flush();
    expect(lost).toHaveLength(1);
    expect(lost[0]?.records).toBe(2);
    expect(lost[0]?.err).toBeInstanceOf(DsError);
    expect(lost[0]?.err).toMatchObject({ code: 'STATE_WRITE', message: `cannot append to the spool in ${dir}`, details: { dir, errno: 'ENOTDIR' } });
    expect(spool.depth.records).toBe(0);
  });

  it('replays unacked records after a crash (no close), cutting a torn last line', async () => {
    const dir = tempDir();
    const a = await DiskSpool.open(dir, 1024 * 1024, nullLogger());
    for (let i = 0; i < 5; i++) a.offer(event(i));
    await a.flush();
    await a.peek(2);
    await a.ack(2);
    // crash: nothing closed; a write torn in the middle of a line
    const seg = readdirSync(dir).find((f) => f.endsWith('.ndjson')) as string;
    appendFileSync(join(dir, seg), '{"kind":"event","sche');
    const b = await DiskSpool.open(dir, 1024 * 1024, nullLogger());
    expect(b.depth.records).toBe(3);
    expect(ids(await b.peek(10))).toEqual(['c2', 'c3', 'c4']);
    expect(readFileSync(join(dir, seg), 'utf8').endsWith('\n')).toBe(true);
    await b.ack(3);
    b.offer(event(9));
    await b.flush();
    expect(ids(await b.peek(10))).toEqual(['c9']);
    await b.close();
    await a.close(); // only now: release the crashed spool's file handle (no GC warning)
  });

  it('rolls segments and deletes fully acknowledged ones', async () => {
    const dir = tempDir();
    // max 512 KiB -> 64 KiB segments; ~300-byte records
    const spool = await DiskSpool.open(dir, 512 * 1024, nullLogger());
    for (let i = 0; i < 1000; i++) {
      spool.offer(event(i));
      if (i % 100 === 99) await spool.flush();
    }
    await spool.flush();
    const segmentsBefore = readdirSync(dir).filter((f) => f.endsWith('.ndjson')).length;
    expect(segmentsBefore).toBeGreaterThan(2);
    let seen: string[] = [];
    for (;;) {
      const b = await spool.peek(128);
      if (b.length === 0) break;
      seen = seen.concat(ids(b));
      await spool.ack(b.length);
    }
    expect(seen).toEqual(Array.from({ length: 1000 }, (_, i) => `c${i}`));
    expect(readdirSync(dir).filter((f) => f.endsWith('.ndjson')).length).toBe(1);
    expect(spool.depth).toEqual({ records: 0, bytes: 0 });
    await spool.close();
  });

  it('refuses records past max_size, and drop_oldest frees a whole segment with per-kind counts', async () => {
    const dir = tempDir();
    const spool = await DiskSpool.open(dir, 128 * 1024, nullLogger()); // 64 KiB segments
    let accepted = 0;
    for (let i = 0; i < 2000; i++) {
      if (!spool.offer(event(i))) break;
      accepted++;
      if (i % 50 === 49) await spool.flush();
    }
    await spool.flush();
    expect(accepted).toBeGreaterThan(300);
    expect(accepted).toBeLessThan(2000);
    expect(spool.hasRoom()).toBe(false);
    const dropped = spool.dropOldest(0);
    expect(Object.keys(dropped)).toEqual(['event']);
    const n = dropped['event'] as number;
    expect(n).toBeGreaterThan(50);
    expect(spool.depth.records).toBe(accepted - n);
    expect(spool.offer(event(99_999))).toBe(true);
    await spool.flush();
    const first = await spool.peek(1);
    expect(ids(first)).toEqual([`c${n}`]);
    await spool.close();
  });
});
