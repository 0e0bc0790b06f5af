import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../harness/proc.js';
import { reclaimablePercent, summarizeDiskUsage } from '../../../src/sources/docker-df/formulas.js';
import type { RawDiskUsage } from '../../../src/sources/docker-df/wire.js';
import { DISK_OBJECT_TYPES } from '../../../src/records.js';
import { cliRows, parseCliJsonLines } from './cli-rows.js';
import { sendJson, startFakeDaemon, type FakeDaemon } from '../../harness/fake-daemon.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const rawFixture = (name: string): RawDiskUsage => JSON.parse(fixture(name)) as RawDiskUsage;
const ALL = [...DISK_OBJECT_TYPES];

describe('reclaimablePercent', () => {
  it('is integer division as in Go (truncation toward zero), 0 without a size', () => {
    expect(reclaimablePercent(1048576, 3030881)).toBe(34);
    expect(reclaimablePercent(5, 5)).toBe(100);
    expect(reclaimablePercent(-4000, 1000)).toBe(-400);
    expect(reclaimablePercent(-1, 1000)).toBe(0);
    expect(reclaimablePercent(10, 0)).toBe(0);
  });
  it('stays exact where reclaimable*100 exceeds 2^53', () => {
    // With doubles the product rounds up and the quotient comes out as 100.
    expect(reclaimablePercent(9007199254735993, 9007199254735994)).toBe(99);
  });
});

describe('recorded answer of dockerd 20.10 (API 1.41) vs what docker CLI 28.2 printed for it', () => {
  it('gives the same rows', () => {
    const summary = summarizeDiskUsage(rawFixture('df-1.41-dockerd-20.10.json'), ALL);
    expect(cliRows(summary)).toEqual(parseCliJsonLines(fixture('df-1.41-dockerd-20.10.cli.jsonl')));
    expect(summary.reclaimable_source).toBe('cli_formula');
    expect(summary.types.images).toEqual({ total: 2, active: 1, size_bytes: 3030881, reclaimable_bytes: 1048576, reclaimable_percent: 34 });
    expect(summary.types.containers).toEqual({ total: 3, active: 2, size_bytes: 2097152, reclaimable_bytes: 2097152, reclaimable_percent: 100 });
    expect(summary.types.volumes).toEqual({ total: 1, active: 0, size_bytes: 5242880, reclaimable_bytes: 5242880, reclaimable_percent: 100 });
    expect(summary.types.build_cache).toEqual({ total: 0, active: 0, size_bytes: 0, reclaimable_bytes: 0, reclaimable_percent: 0 });
    expect(summary.total).toEqual({ total: 6, active: 3, size_bytes: 10370913, reclaimable_bytes: 8388608, reclaimable_percent: 80 });
  });
});

// `podman system df --format '{{json .}}'` (Podman 4.3.1) printed the .cli.jsonl
// for the state whose compat /system/df answer is the .json: LayersSize 0, two
// images committed from containers sharing busybox's layer, one image in use.
describe('recorded answer of podman 4.3 (compat API 1.41) vs what `podman system df` printed for it', () => {
  const raw = rawFixture('df-1.41-podman-4.3.json');
  const podmanRows = fixture('df-1.41-podman-4.3.cli.jsonl')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { Type: string; Total: number; Active: number; Size: number; Reclaimable: number });
  const row = (type: string) => podmanRows.find((r) => r.Type === type);

  it('images: with LayersSize 0, Podman’s own figures (Σ Size; Σ Size of unused images), never negative', () => {
    expect(raw.LayersSize).toBe(0);
    const s = summarizeDiskUsage(raw, ALL);
    const images = row('Images');
    expect(s.types.images).toEqual({
      total: images?.Total,
      active: images?.Active,
      size_bytes: images?.Size,
      reclaimable_bytes: images?.Reclaimable,
      reclaimable_percent: 75, // the CLI prints 76 %: it rounds, Docker's CLI truncates
    });
    expect(s.types.images).toMatchObject({ size_bytes: 8344433, reclaimable_bytes: 6336286 });
  });

  it('containers and volumes: the same formulas give Podman’s numbers', () => {
    const s = summarizeDiskUsage(raw, ALL);
    for (const [type, name] of [
      ['containers', 'Containers'],
      ['volumes', 'Local Volumes'],
    ] as const) {
      const r = row(name);
      expect(s.types[type], name).toMatchObject({ total: r?.Total, active: r?.Active, size_bytes: r?.Size, reclaimable_bytes: r?.Reclaimable });
    }
    expect(s.types.build_cache).toEqual({ total: 0, active: 0, size_bytes: 0, reclaimable_bytes: 0, reclaimable_percent: 0 });
    expect(s.reclaimable_source).toBe('cli_formula');
  });

  it('one image in use: 0 reclaimable where the Docker formula gave −Size (docs/podman.md)', () => {
    const only = { ...raw, Images: [{ ...raw.Images?.[0], SharedSize: 0 }] };
    expect(summarizeDiskUsage(only, ['images']).types.images).toEqual({
      total: 1,
      active: 1,
      size_bytes: 2008147,
      reclaimable_bytes: 0,
      reclaimable_percent: 0,
    });
  });

  it('a daemon that reports LayersSize keeps the Docker CLI formula, negative figure included', () => {
    expect(summarizeDiskUsage({ ...raw, LayersSize: 1000 }, ['images']).types.images?.reclaimable_bytes).toBe(1000);
    expect(summarizeDiskUsage(rawFixture('df-negative-and-large.json'), ['images']).types.images?.reclaimable_bytes).toBe(-4000);
    // LayersSize 0 with nothing sized (no images) is simply empty.
    expect(summarizeDiskUsage({ LayersSize: 0, Images: [] }, ['images']).types.images).toEqual({
      total: 0,
      active: 0,
      size_bytes: 0,
      reclaimable_bytes: 0,
      reclaimable_percent: 0,
    });
  });
});

describe('edge cases: exact bytes', () => {
  const summary = summarizeDiskUsage(rawFixture('df-edge-cases.json'), ALL);

  it('images: LayersSize − Σ(Size − SharedSize) over Containers ≠ 0, skipping −1 sizes; active counts Containers > 0', () => {
    // used = (300e6 − 120e6) + (90e6 − 10e6) [Containers −1 counts as used]; app:2 and unknown-size skipped (−1).
    expect(summary.types.images).toEqual({ total: 5, active: 3, size_bytes: 734003200, reclaimable_bytes: 474003200, reclaimable_percent: 64 });
  });
  it('containers: running, paused and restarting are active; the rest is reclaimable', () => {
    expect(summary.types.containers).toEqual({ total: 7, active: 3, size_bytes: 105043127, reclaimable_bytes: 105035627, reclaimable_percent: 99 });
  });
  it('volumes: Size −1 left out, RefCount 0 reclaimable, RefCount −1 neither active nor reclaimable', () => {
    expect(summary.types.volumes).toEqual({ total: 5, active: 1, size_bytes: 15732736, reclaimable_bytes: 10485760, reclaimable_percent: 66 });
  });
  it('build cache: shared records left out of size; in-use ones not reclaimable; BuilderSize ignored', () => {
    expect(summary.types.build_cache).toEqual({ total: 4, active: 2, size_bytes: 7000000, reclaimable_bytes: 4000000, reclaimable_percent: 57 });
  });
  it('totals are sums', () => {
    const size = 734003200 + 105043127 + 15732736 + 7000000;
    const reclaimable = 474003200 + 105035627 + 10485760 + 4000000;
    expect(summary.total).toEqual({
      total: 21,
      active: 9,
      size_bytes: size,
      reclaimable_bytes: reclaimable,
      reclaimable_percent: Math.trunc((reclaimable * 100) / size),
    });
  });
  it('keeps a negative image figure as the CLI prints it', () => {
    const s = summarizeDiskUsage(rawFixture('df-negative-and-large.json'), ALL);
    expect(s.types.images?.reclaimable_bytes).toBe(-4000);
    expect(s.types.images?.reclaimable_percent).toBe(-400);
    expect(s.types.containers?.reclaimable_percent).toBe(11);
  });
  it('reports only the requested types', () => {
    const s = summarizeDiskUsage(rawFixture('df-edge-cases.json'), ['volumes']);
    expect(Object.keys(s.types)).toEqual(['volumes']);
    expect(s.total).toEqual(s.types.volumes);
  });
});

describe('API 1.52: the daemon reports its own figures', () => {
  it('takes the per-type summaries (zeros omitted on the wire) over the legacy arrays', () => {
    const s = summarizeDiskUsage(rawFixture('df-1.52-summaries.json'), ALL);
    expect(s.reclaimable_source).toBe('daemon');
    expect(s.types.images).toEqual({ total: 3, active: 1, size_bytes: 734003200, reclaimable_bytes: 184003200, reclaimable_percent: 25 });
    expect(s.types.containers).toEqual({ total: 4, active: 2, size_bytes: 104865000, reclaimable_bytes: 104857600, reclaimable_percent: 99 });
    expect(s.types.volumes).toEqual({ total: 1, active: 0, size_bytes: 5242880, reclaimable_bytes: 5242880, reclaimable_percent: 100 });
    expect(s.types.build_cache).toEqual({ total: 0, active: 0, size_bytes: 0, reclaimable_bytes: 0, reclaimable_percent: 0 });
  });
});

// The installed docker CLI is the oracle: the fake daemon serves each fixture
// and the CLI's own rows must equal ours, string for string.
describe('docker CLI as the oracle for crafted answers', () => {
  let daemon: FakeDaemon;
  let body = '{}';
  beforeAll(async () => {
    daemon = await startFakeDaemon({ routes: { '/system/df': (_req, res) => sendJson(res, JSON.parse(body)) } });
  });
  afterAll(async () => {
    await daemon?.close();
  });

  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('DOCKER_')));
  it.each(['df-1.41-dockerd-20.10.json', 'df-edge-cases.json', 'df-negative-and-large.json'])('%s', async (name) => {
    body = fixture(name);
    const res = await run('docker', ['-H', daemon.host, 'system', 'df', '--format', '{{json .}}'], { env, timeoutMs: 30_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    const ours = cliRows(summarizeDiskUsage(JSON.parse(body) as RawDiskUsage, ALL));
    expect(ours).toEqual(parseCliJsonLines(res.stdout));
  });
});
