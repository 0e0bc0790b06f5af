// Bad input from the daemon: NDJSON framing, event lines, stats bodies and
// system df bodies, random and mutated (fast-check, a fixed number of cases,
// bounded in time). The promise: never a crash or a hang; an event line is
// either a record or a MalformedEventError with its reason (which the source
// counts in dockstream_malformed_input_total), and a stats sample or df poll
// either gives a record with only finite numbers or throws a coded
// DsError('DOCKER_MALFORMED') (counted by its source as a malformed body / a
// poll error with that code) — never NaN or Infinity in a record, never an
// uncoded TypeError or RangeError (which a source could only count as UNKNOWN).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitLines } from '../../src/docker/ndjson.js';
import { DsError } from '../../src/errors.js';
import { summarizeDiskUsage } from '../../src/sources/docker-df/formulas.js';
import { buildDiskUsageRecord } from '../../src/sources/docker-df/source.js';
import { MalformedEventError, normalizeEvent, parseEventLine } from '../../src/sources/docker-events/normalize.js';
import { cpuSampleOf, normalize } from '../../src/sources/docker-stats/normalize.js';
import { DISK_OBJECT_TYPES, type HostInfo } from '../../src/records.js';
import { HOST } from '../harness/records.js';

const HERE = fileURLToPath(new URL('.', import.meta.url));
// FUZZ_RUNS=20000 for a deep local run (CI keeps 400: new inputs each run, within a bounded time).
const RUNS = {
  numRuns: Number(process.env.FUZZ_RUNS ?? 400),
  interruptAfterTimeLimit: process.env.FUZZ_RUNS ? 600_000 : 20_000,
  markInterruptAsFailure: false,
} as const;

/** Every number in `v` (deeply) is finite. */
function nonFinite(v: unknown, path = '$'): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : path;
  if (v === null || typeof v !== 'object') return null;
  for (const [k, x] of Object.entries(v)) {
    const bad = nonFinite(x, `${path}.${k}`);
    if (bad) return bad;
  }
  return null;
}

/** The first leaf of `v` that is neither a finite number nor null (strings allowed only under `stringKeys`). */
function notNumeric(v: unknown, stringKeys: ReadonlySet<string>, path = '$'): string | null {
  if (typeof v === 'number') return Number.isFinite(v) ? null : path;
  if (v === null) return null;
  if (typeof v === 'string') return stringKeys.has(path.slice(path.lastIndexOf('.') + 1)) ? null : path;
  if (typeof v !== 'object') return path;
  for (const [k, x] of Object.entries(v)) {
    const bad = notNumeric(x, stringKeys, `${path}.${k}`);
    if (bad) return bad;
  }
  return null;
}

/** Replaces the value at a random path of `base` with `value` (a mutation of a realistic body). */
function mutate(base: unknown, picks: readonly number[], value: unknown): unknown {
  if (picks.length === 0 || base === null || typeof base !== 'object') return value;
  const copy: Record<string, unknown> | unknown[] = Array.isArray(base) ? [...(base as unknown[])] : { ...(base as Record<string, unknown>) };
  const keys = Object.keys(copy);
  if (keys.length === 0) return value;
  const key = keys[(picks[0] as number) % keys.length] as string;
  (copy as Record<string, unknown>)[key] = mutate((copy as Record<string, unknown>)[key], picks.slice(1), value);
  return copy;
}
// What JSON can carry (no NaN or Infinity), with the edge values a daemon could send.
const anyValue = fc.oneof(fc.jsonValue(), fc.constantFrom(undefined, -1, 0, 1e308, -1e308, 2 ** 64, 5e-324, '', '12', 'NaN'));
const mutationsOf = (base: unknown) =>
  fc
    .array(fc.tuple(fc.array(fc.nat(), { maxLength: 6 }), anyValue), { minLength: 1, maxLength: 4 })
    .map((ms) => ms.reduce((acc, [picks, v]) => mutate(acc, picks, v), base));

/** Rethrows anything but the coded error a malformed daemon body must give, naming the input. */
function expectMalformed(err: unknown, input: unknown): void {
  if (!(err instanceof DsError) || err.code !== 'DOCKER_MALFORMED') {
    throw new Error(`uncoded error for ${JSON.stringify(input)?.slice(0, 2000)}: ${String(err)}`, { cause: err });
  }
  expect(err.message).toMatch(/^(stats sample|system df)/);
}

async function* fromChunks(chunks: Buffer[]): AsyncGenerator<Buffer> {
  for (const c of chunks) yield c;
}

describe('daemon input fuzzing', () => {
  it('NDJSON: any text in any byte chunking gives exactly its complete non-empty lines, the rest as truncated', async () => {
    const unit = fc.oneof(fc.constantFrom('a', '{', '"', ' ', '\r', 'é', '€', '😀'), fc.string({ unit: 'grapheme', minLength: 1, maxLength: 1 }));
    const line = fc.string({ unit, maxLength: 40 }).map((s) => s.replace(/\n/g, ''));
    await fc.assert(
      fc.asyncProperty(fc.array(line, { maxLength: 30 }), fc.boolean(), fc.array(fc.nat(), { maxLength: 30 }), async (lines, endsWithNewline, cuts) => {
        const text = lines.join('\n') + (endsWithNewline ? '\n' : '');
        const bytes = Buffer.from(text, 'utf8');
        const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let prev = 0;
        for (const c of [...at, bytes.length]) {
          chunks.push(bytes.subarray(prev, c));
          prev = c;
        }
        const got: string[] = [];
        const truncated: string[] = [];
        for await (const l of splitLines(fromChunks(chunks), (p) => truncated.push(p))) got.push(l);
        const complete = endsWithNewline ? lines : lines.slice(0, -1);
        expect(got).toEqual(complete.filter((l) => l !== '' && l !== '\r'));
        const partial = endsWithNewline ? '' : (lines[lines.length - 1] ?? '');
        expect(truncated).toEqual(partial.trim() === '' ? [] : [partial]);
      }),
      RUNS,
    );
  });

  it('events: any line is a record with an exact decimal time_nano, or a MalformedEventError with its reason', () => {
    const real =
      '{"status":"start","id":"4f1c","from":"local/busybox:1","Type":"container","Action":"start","Actor":{"ID":"4f1c","Attributes":{"image":"local/busybox:1","name":"web-1"}},"scope":"local","time":1795432795,"timeNano":1795432795302202876}';
    const mutatedLine = fc.tuple(fc.nat(), fc.nat({ max: 20 }), fc.string({ maxLength: 20 })).map(([at, del, ins]) => {
      const i = at % (real.length + 1);
      return real.slice(0, i) + ins + real.slice(i + del);
    });
    const input = fc.oneof(
      fc.string(),
      fc.json(),
      mutatedLine,
      mutationsOf(JSON.parse(real)).map((v) => JSON.stringify(v) ?? 'undefined'),
    );
    fc.assert(
      fc.property(input, (line) => {
        try {
          const { raw, timeNano } = parseEventLine(line);
          const record = normalizeEvent(raw, timeNano, HOST);
          expect(record.time_nano).toMatch(/^\d+$/);
          expect(typeof record.time).toBe('string');
          expect(typeof record.type === 'string' && record.type.length > 0).toBe(true);
          expect(nonFinite(record)).toBeNull();
        } catch (err) {
          if (!(err instanceof MalformedEventError)) throw new Error(`uncoded error for ${JSON.stringify(line)}: ${String(err)}`);
          expect(err.reason).toMatch(/^[a-z_]+$/);
        }
      }),
      RUNS,
    );
  });

  it('stats: a mutated sample gives null, a record with finite numbers, or DOCKER_MALFORMED (docker and podman formulas)', () => {
    const base = JSON.parse(readFileSync(join(HERE, '..', 'fixtures', 'stats', 'v1-busy-2.json'), 'utf8')) as Record<string, unknown>;
    const prevRaw = JSON.parse(readFileSync(join(HERE, '..', 'fixtures', 'stats', 'v1-busy-1.json'), 'utf8')) as Parameters<typeof cpuSampleOf>[0];
    const prev = cpuSampleOf(prevRaw);
    const container = { id: 'c1', name: 'web-1', image: 'local/busybox:1' };
    const outcomes = { record: 0, malformed: 0 };
    fc.assert(
      fc.property(mutationsOf(base), fc.constantFrom('docker', 'podman') as fc.Arbitrary<HostInfo['engine']>, (raw, engine) => {
        let record;
        try {
          record = normalize(raw as Parameters<typeof normalize>[0], prev, container, { ...HOST, engine });
        } catch (err) {
          // The round counts it (malformed_input{reason="stats_body"}) and keeps the previous sample.
          expectMalformed(err, raw);
          outcomes.malformed++;
          return;
        }
        if (record === null) return;
        outcomes.record++;
        expect(nonFinite(record)).toBeNull();
        for (const section of [record.cpu, record.memory, record.network, record.block_io, record.pids])
          expect(notNumeric(section, new Set(['cache_source']))).toBeNull();
        // What the round keeps for the next CPU % is computable from a sample normalize took.
        expect(nonFinite(cpuSampleOf(raw as Parameters<typeof cpuSampleOf>[0], engine))).toBeNull();
      }),
      RUNS,
    );
    // Both outcomes were exercised: the property did not pass by always throwing, or never.
    expect(outcomes.record).toBeGreaterThan(0);
    expect(outcomes.malformed).toBeGreaterThan(0);
  });

  it('stats and system df bodies of the wrong shape: DOCKER_MALFORMED naming the field', () => {
    const host = { ...HOST, engine: 'docker' as const };
    const container = { id: 'c1', name: 'web-1', image: 'local/busybox:1' };
    const stats = (raw: unknown) => () => normalize(raw as Parameters<typeof normalize>[0], null, container, host);
    const df = (raw: unknown) => () => summarizeDiskUsage(raw as Parameters<typeof summarizeDiskUsage>[0], DISK_OBJECT_TYPES);
    const coded = (path: string) => expect.objectContaining({ code: 'DOCKER_MALFORMED', details: expect.objectContaining({ path }) as unknown }) as Error;
    expect(stats(null)).toThrow(coded('$'));
    expect(stats({ read: 1795432795 })).toThrow(coded('$.read'));
    expect(stats({ read: '2026-11-23T09:15:00Z', networks: { eth0: null } })).toThrow(coded('$.networks.eth0'));
    expect(stats({ read: '2026-11-23T09:15:00Z', blkio_stats: { io_service_bytes_recursive: 0 } })).toThrow(coded('$.blkio_stats.io_service_bytes_recursive'));
    expect(df([])).toThrow(coded('$'));
    expect(df({ Volumes: {} })).toThrow(coded('$.Volumes'));
    expect(df({ Images: [null] })).toThrow(coded('$.Images[0]'));
    expect(df({ Containers: [{ State: 1 }] })).toThrow(coded('$.Containers[0].State'));
    expect(df({ LayersSize: 0.5 })).toThrow(coded('$.LayersSize'));
    expect(df({ ImageUsage: { Items: [{ RepoTags: 'x' }] } })).toThrow(coded('$.ImageUsage.Items[0].RepoTags'));
    // Integers each, but their sum overflows: coded as well, not a RangeError from the percent.
    expect(
      df({ LayersSize: 1e308, BuilderSize: 0, Volumes: [{ UsageData: { Size: 1e308, RefCount: 0 } }, { UsageData: { Size: 1e308, RefCount: 0 } }] }),
    ).toThrow(expect.objectContaining({ code: 'DOCKER_MALFORMED', message: 'system df numbers overflow' }) as Error);
    // Absent and null fields are not errors (daemons leave fields out).
    expect(df({ Images: null, Volumes: [{ Name: 'v', UsageData: null }] })().types.volumes).toEqual({
      total: 1,
      active: 0,
      size_bytes: 0,
      reclaimable_bytes: 0,
      reclaimable_percent: 0,
    });
  });

  it('system df: a mutated body gives a record (summary and largest objects) with finite numbers, or DOCKER_MALFORMED (a poll error with that code)', () => {
    const base = JSON.parse(readFileSync(join(HERE, 'docker-df', 'fixtures', 'df-1.41-dockerd-20.10.json'), 'utf8')) as unknown;
    const outcomes = { summary: 0, malformed: 0 };
    fc.assert(
      fc.property(mutationsOf(base), (raw) => {
        let record;
        try {
          // What a poll builds: the summary and, with verbose, the largest objects.
          record = buildDiskUsageRecord(
            raw as Parameters<typeof buildDiskUsageRecord>[0],
            { objects: [...DISK_OBJECT_TYPES], verbose: true, top: 3 },
            HOST,
            0,
            1,
          );
        } catch (err) {
          expectMalformed(err, raw);
          outcomes.malformed++;
          return;
        }
        outcomes.summary++;
        expect(nonFinite(record)).toBeNull();
        expect(notNumeric({ types: record.types, total: record.total }, new Set())).toBeNull();
      }),
      RUNS,
    );
    expect(outcomes.summary).toBeGreaterThan(0);
    expect(outcomes.malformed).toBeGreaterThan(0);
  });
});
