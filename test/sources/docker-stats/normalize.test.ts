// Normalisation on recorded JSON: cgroup v1 recorded from a real dockerd
// 20.10 (API 1.41), cgroup v2 and Podman 4 hand-written after the daemons'
// source (see test/fixtures/stats/README.md). Expected values are worked out
// by hand with the docker CLI's formulas (stats_helpers.go).
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { ContainerRef, HostInfo, StatsRecord } from '../../../src/records.js';
import { blockIoOf, cpuPercent, cpuSampleOf, isStoppedSample, memoryOf, normalize } from '../../../src/sources/docker-stats/normalize.js';
import { parseStatsBody, type RawStats } from '../../../src/sources/docker-stats/raw.js';
import { host as hostInfo } from '../../harness/records.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../../fixtures/stats');
const load = (name: string): RawStats => JSON.parse(readFileSync(join(fixtures, name), 'utf8')) as RawStats;

const host = hostInfo();
const ref: ContainerRef = { id: 'c1', name: 'web', image: 'local/busybox:1' };

/** Two consecutive samples of one container, the second normalised against the first. */
function pair(first: string, second: string, on: HostInfo = host): StatsRecord {
  const a = load(first);
  const record = normalize(load(second), cpuSampleOf(a, on.engine), ref, on);
  if (!record) throw new Error('expected a record');
  return record;
}

describe('cgroup v1 (recorded from dockerd 20.10)', () => {
  it('computes CPU % from the agent’s own previous sample', () => {
    const r = pair('v1-busy-1.json', 'v1-busy-2.json');
    // Δcontainer = 1392404877 - 1055946861 = 336458016 ns
    // Δsystem    = 15358390000000 - 15355230000000 = 3160000000 ns, online_cpus = 2
    expect(r.cpu.percent).toBeCloseTo((336458016 / 3160000000) * 2 * 100, 10);
    expect(r.cpu.percent).toBeCloseTo(21.2948, 3);
    expect(r.cpu).toMatchObject({ total_ns: 1392404877, kernel_ns: 20000000, user_ns: 1360000000, online_cpus: 2 });
    expect(r.cpu.throttling).toEqual({ periods: 68, throttled_periods: 0, throttled_time_ns: 0 });
  });

  it('keeps the daemon’s read timestamp with its nanoseconds as the record time', () => {
    const r = pair('v1-busy-1.json', 'v1-busy-2.json');
    expect(r.time).toBe('2026-11-23T09:06:36.888399067Z');
    expect(r).toMatchObject({ kind: 'stats', schema: 1, host, container: ref });
  });

  it('has no CPU % for the first sample of a container (null, not 0)', () => {
    const r = normalize(load('v1-busy-1.json'), null, ref, host);
    expect(r?.cpu.percent).toBeNull();
    expect(r?.cpu.total_ns).toBe(1055946861);
  });

  it('falls back to len(percpu_usage) when online_cpus is 0', () => {
    const a = load('v1-busy-1.json');
    const b = load('v1-busy-2.json');
    const noOnline: RawStats = { ...b, cpu_stats: { ...b.cpu_stats, online_cpus: 0 } };
    const r = normalize(noOnline, cpuSampleOf(a), ref, host);
    expect(r?.cpu.online_cpus).toBe(2);
    expect(r?.cpu.percent).toBeCloseTo((336458016 / 3160000000) * 2 * 100, 10);
  });

  it('subtracts total_inactive_file from usage and reports limits', () => {
    const r = normalize(load('v1-idle-cache.json'), null, ref, host);
    // usage 671744 - total_inactive_file 344064 = 327680 (320 KiB); limit 64 MiB
    expect(r?.memory).toEqual({
      usage_bytes: 327680,
      raw_usage_bytes: 671744,
      limit_bytes: 67108864,
      percent: (327680 / 67108864) * 100,
      cache_bytes: 344064,
      cache_source: 'total_inactive_file',
    });
    expect(r?.pids).toEqual({ current: 1, limit: 50 });
  });

  it('matches what `docker stats` printed at the same time (324KiB / 64MiB, 0.49%, 1 pid)', () => {
    const r = normalize(load('v1-idle-limits.json'), null, ref, host);
    expect(r?.memory.usage_bytes).toBe(324 * 1024);
    expect(r?.memory.limit_bytes).toBe(64 * 1024 * 1024);
    expect(r?.memory.percent?.toFixed(2)).toBe('0.49');
    expect(r?.pids).toEqual({ current: 1, limit: 50 });
  });

  it('has zero network and block I/O with --network none and no disk I/O, and no pids limit when unset', () => {
    const r = normalize(load('v1-busy-2.json'), null, ref, host);
    expect(r?.network).toEqual({
      rx_bytes: 0,
      rx_packets: 0,
      rx_errors: 0,
      rx_dropped: 0,
      tx_bytes: 0,
      tx_packets: 0,
      tx_errors: 0,
      tx_dropped: 0,
      interfaces: {},
    });
    expect(r?.block_io).toEqual({ read_bytes: 0, write_bytes: 0 });
    expect(r?.pids).toEqual({ current: 1, limit: null });
    // No --memory: the daemon reports the host's memory as the limit.
    expect(r?.memory.limit_bytes).toBe(25276063744);
  });

  it('skips the all-zero sample of a stopped container', () => {
    const raw = load('v1-stopped.json');
    expect(isStoppedSample(raw)).toBe(true);
    expect(normalize(raw, null, ref, host)).toBeNull();
  });
});

describe('cgroup v2 (hand-written after moby daemon/stats_linux.go statsV2)', () => {
  it('computes CPU % with online_cpus (no percpu_usage on v2)', () => {
    const r = pair('v2-1.json', 'v2-2.json');
    // Δcontainer = 1e9 ns, Δsystem = 8e9 ns (4 CPUs × 2 s), 4 CPUs → 1/8 × 4 × 100 = 50 %
    expect(r.cpu.percent).toBeCloseTo(50, 12);
    expect(r.cpu).toMatchObject({ total_ns: 6e9, kernel_ns: 1.2e9, user_ns: 4.8e9, online_cpus: 4 });
    expect(r.cpu.throttling).toEqual({ periods: 140, throttled_periods: 35, throttled_time_ns: 3e9 });
    expect(r.time).toBe('2025-03-04T10:15:32.124000001Z');
  });

  it('subtracts inactive_file (there is no total_inactive_file on v2)', () => {
    const r = pair('v2-1.json', 'v2-2.json');
    // 100 MiB - 20 MiB = 80 MiB of 512 MiB = 15.625 %
    expect(r.memory).toEqual({
      usage_bytes: 80 * 1024 * 1024,
      raw_usage_bytes: 100 * 1024 * 1024,
      limit_bytes: 512 * 1024 * 1024,
      percent: 15.625,
      cache_bytes: 20 * 1024 * 1024,
      cache_source: 'inactive_file',
    });
  });

  it('sums lowercase read/write block I/O over devices', () => {
    expect(pair('v2-1.json', 'v2-2.json').block_io).toEqual({ read_bytes: 700 + 300, write_bytes: 1500 + 400 });
  });

  it('sums network counters over interfaces and keeps each interface', () => {
    const net = pair('v2-1.json', 'v2-2.json').network;
    expect(net).toMatchObject({
      rx_bytes: 1024,
      rx_packets: 11,
      rx_errors: 1,
      rx_dropped: 2,
      tx_bytes: 2048,
      tx_packets: 22,
      tx_errors: 3,
      tx_dropped: 5,
    });
    expect(net.interfaces['eth1']).toEqual({
      rx_bytes: 24,
      rx_packets: 1,
      rx_errors: 0,
      rx_dropped: 0,
      tx_bytes: 48,
      tx_packets: 2,
      tx_errors: 0,
      tx_dropped: 1,
    });
    expect(Object.keys(net.interfaces).sort()).toEqual(['eth0', 'eth1']);
  });

  it('reports pids current and limit', () => {
    expect(pair('v2-1.json', 'v2-2.json').pids).toEqual({ current: 7, limit: 100 });
  });
});

/** Podman's system_cpu_usage is not host CPU time: its CPU % comes from the samples' own clock (normalize.ts). */
const podmanHost = hostInfo({ engine: 'podman', version: '4.3.1' });

describe('Podman 4.3.1 compat API (recorded, cgroup v1)', () => {
  it('computes CPU % from our own previous sample, not the all-zero precpu_stats', () => {
    const r = pair('podman-busy-1.json', 'podman-busy-2.json', podmanHost);
    // Both deltas straight from the two recorded samples:
    const a = load('podman-busy-1.json').cpu_stats;
    const b = load('podman-busy-2.json').cpu_stats;
    const dc = (b?.cpu_usage?.total_usage ?? 0) - (a?.cpu_usage?.total_usage ?? 0);
    const ds = (b?.system_cpu_usage ?? 0) - (a?.system_cpu_usage ?? 0);
    expect([dc, ds]).toEqual([807380874, 3074802158]);
    // Δread = 09:15:24.590089897 − 09:15:23.051309230 = 1.538780667 s on 2 CPUs (Docker's formula on Podman's
    // system figure said 52.516 here, on an idle machine; under load it drifts: test/fixtures/engines).
    expect(r.cpu.percent).toBeCloseTo((807380874 / (1538780667 * 2)) * 2 * 100, 6);
    expect(r.cpu.percent).toBeCloseTo(52.468, 2);
    expect(r.time).toBe('2026-11-23T09:15:24.590089897Z');
  });

  it('reports usage as is (no memory_stats.stats) and the memory limit; Podman 4 omits the pids limit', () => {
    const r = normalize(load('podman-idle-limits.json'), null, ref, host);
    expect(r?.memory).toEqual({
      usage_bytes: 638976,
      raw_usage_bytes: 638976,
      limit_bytes: 67108864,
      percent: (638976 / 67108864) * 100,
      cache_bytes: null,
      cache_source: null,
    });
    expect(r?.pids).toEqual({ current: 1, limit: null });
    expect(r?.network.interfaces).toHaveProperty('network');
  });

  it('an empty body (Podman’s answer for a stopped container) is no sample', () => {
    expect(parseStatsBody('')).toBeNull();
    expect(parseStatsBody('\n')).toBeNull();
    expect(() => parseStatsBody('null')).toThrow(SyntaxError);
    expect(parseStatsBody('{"read":"2025-01-01T00:00:00Z"}')).toEqual({ read: '2025-01-01T00:00:00Z' });
  });
});

describe('Podman 4 compat API, hand-written shape with block I/O (pkg/api/handlers/compat/containers_stats_linux.go)', () => {
  it('ignores the all-zero precpu_stats and uses the previous sample', () => {
    const b = load('podman-handmade-2.json');
    expect(normalize(b, null, ref, host)?.cpu.percent).toBeNull();
    const r = pair('podman-handmade-1.json', 'podman-handmade-2.json', podmanHost);
    // Δcontainer = 0.5e9 over Δread = 5.0055445 s (2 CPUs × that as Δsystem), 2 CPUs → 9.989 %
    // (the clock is a double of ~1.7e18 ns: exact to ~1 µs, so 5 digits)
    expect(r.cpu.percent).toBeCloseTo((0.5e9 / 5005544500) * 100, 5);
    expect(r.time).toBe('2025-03-04T11:15:35.5178901+01:00');
  });

  it('subtracts nothing when memory_stats.stats is absent', () => {
    const r = pair('podman-handmade-1.json', 'podman-handmade-2.json');
    expect(r.memory).toEqual({
      usage_bytes: 8388608,
      raw_usage_bytes: 8388608,
      limit_bytes: 2147483648,
      percent: (8388608 / 2147483648) * 100,
      cache_bytes: null,
      cache_source: null,
    });
  });

  it('counts Read/Write block I/O but not Sync or Total, and has no pids limit', () => {
    const r = pair('podman-handmade-1.json', 'podman-handmade-2.json');
    expect(r.block_io).toEqual({ read_bytes: 4096, write_bytes: 8192 });
    expect(r.pids).toEqual({ current: 3, limit: null });
    expect(r.network.interfaces).toHaveProperty('network');
  });
});

describe('formula edge cases (as the CLI, except null where it prints 0 for "no measurement")', () => {
  it('CPU %: zero container delta over a real window is 0; no window or a reset counter is null', () => {
    expect(cpuPercent({ total_ns: 10, system_ns: 2000 }, { total_ns: 10, system_ns: 1000 }, 2)).toBe(0);
    expect(cpuPercent({ total_ns: 20, system_ns: 1000 }, { total_ns: 10, system_ns: 1000 }, 2)).toBeNull();
    expect(cpuPercent({ total_ns: 5, system_ns: 2000 }, { total_ns: 10, system_ns: 1000 }, 2)).toBeNull();
    expect(cpuPercent({ total_ns: 510, system_ns: 2000 }, { total_ns: 10, system_ns: 1000 }, 4)).toBe(200);
  });

  it('memory: total_inactive_file >= usage falls through to inactive_file, like the CLI', () => {
    const m = memoryOf({ memory_stats: { usage: 1000, limit: 0, stats: { total_inactive_file: 5000, inactive_file: 200 } } });
    expect(m).toMatchObject({ usage_bytes: 800, cache_bytes: 200, cache_source: 'inactive_file', percent: null });
    const none = memoryOf({ memory_stats: { usage: 1000, limit: 4000, stats: { inactive_file: 1000 } } });
    expect(none).toMatchObject({ usage_bytes: 1000, cache_bytes: null, cache_source: null, percent: 25 });
  });

  it('block I/O: a null list and ops other than read/write count nothing', () => {
    expect(blockIoOf({ blkio_stats: { io_service_bytes_recursive: null } })).toEqual({ read_bytes: 0, write_bytes: 0 });
    expect(
      blockIoOf({
        blkio_stats: {
          io_service_bytes_recursive: [
            { op: 'Async', value: 9 },
            { op: '', value: 9 },
            { op: 'Discard', value: 9 },
          ],
        },
      }),
    ).toEqual({ read_bytes: 0, write_bytes: 0 });
  });

  it('pids: a MaxUint64 "max" sentinel is no limit', () => {
    const r = normalize({ read: '2025-01-01T00:00:00Z', pids_stats: { current: 2, limit: 18446744073709551615 } }, null, ref, host);
    expect(r?.pids).toEqual({ current: 2, limit: null });
  });
});
