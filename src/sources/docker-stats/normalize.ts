/**
 * Pure normalisation of one stats sample into a `stats` record, with the
 * docker CLI's formulas (docker/cli `cli/command/container/stats_helpers.go`).
 * The swagger's `usage - cache` is stale; the CLI's own code is the reference.
 */
import { DsError } from '../../errors.js';
import type { ContainerRef, CpuStats, Engine, HostInfo, MemoryStats, NetCounters, StatsRecord } from '../../records.js';
import { RECORD_SCHEMA_VERSION } from '../../records.js';
import { assertStats, type CpuSample, type RawNetworkStats, type RawStats } from './raw.js';
import { rfc3339ToNanos } from '../../util/units.js';

/** Go's zero time: the daemon sends it for a container that is not running. */
const ZERO_TIME_PREFIX = '0001-01-01';

/** Counters at or above this are "no limit" sentinels (cgroup `max` as MaxUint64 / MaxInt64). */
const UNLIMITED = 2 ** 62;

/** True when the sample is the all-zero record of a stopped container (HTTP 200, `read` = zero time). */
export function isStoppedSample(raw: RawStats): boolean {
  return !raw.read || raw.read.startsWith(ZERO_TIME_PREFIX);
}

/** The part of a sample the next CPU % needs. */
export function cpuSampleOf(raw: RawStats, engine: Engine = 'docker'): CpuSample {
  const total_ns = raw.cpu_stats?.cpu_usage?.total_usage ?? 0;
  if (engine === 'podman') {
    // Podman's system_cpu_usage is not the host's CPU time (Docker's: wall time x CPUs; recorded from
    // Podman 4.3 it grew 0.9 s and from 5.8 2.4 s over 1.5 s on 2 CPUs, giving 167 % for a 0.5-CPU cap).
    // Use what Docker's figure stands for: the sample's own clock times its online CPUs.
    const read = raw.read === undefined ? null : rfc3339ToNanos(raw.read);
    if (read !== null) return { total_ns, system_ns: Number(read) * onlineCpusOf(raw) };
  }
  return { total_ns, system_ns: raw.cpu_stats?.system_cpu_usage ?? 0 };
}

/**
 * CPU % exactly as the CLI's calculateCPUPercentUnix:
 *
 *   cpuDelta    = cur.CPUUsage.TotalUsage - previous.CPUUsage.TotalUsage
 *   systemDelta = cur.SystemUsage - previous.SystemUsage
 *   onlineCPUs  = cur.OnlineCPUs, or len(cur.CPUUsage.PercpuUsage) when 0
 *   if systemDelta > 0 && cpuDelta > 0 { percent = cpuDelta / systemDelta * onlineCPUs * 100 }
 *
 * except that `previous` is the agent's own previous sample of this container
 * (`one-shot=true` sends an empty precpu_stats, Podman an all-zero one), and
 * that where the CLI prints 0 for "no measurement" we say null:
 * - no previous sample (first sample of a container);
 * - systemDelta <= 0 (the same daemon tick twice: no time passed);
 * - cpuDelta < 0 (the counter went back: the container restarted in between).
 * cpuDelta == 0 over a real window is a genuine 0 %.
 */
export function cpuPercent(cur: CpuSample, prev: CpuSample | null, onlineCpus: number): number | null {
  if (!prev) return null;
  const cpuDelta = cur.total_ns - prev.total_ns;
  const systemDelta = cur.system_ns - prev.system_ns;
  if (systemDelta <= 0 || cpuDelta < 0) return null;
  if (cpuDelta === 0) return 0;
  return (cpuDelta / systemDelta) * onlineCpus * 100;
}

/** `cur.OnlineCPUs`, falling back to `len(cur.CPUUsage.PercpuUsage)` like the CLI. */
export function onlineCpusOf(raw: RawStats): number {
  const online = raw.cpu_stats?.online_cpus ?? 0;
  return online !== 0 ? online : (raw.cpu_stats?.cpu_usage?.percpu_usage?.length ?? 0);
}

/**
 * Memory without cache, as the CLI's calculateMemUsageUnixNoCache:
 *
 *   if v, isCgroup1 := mem.Stats["total_inactive_file"]; isCgroup1 && v < mem.Usage { return mem.Usage - v }
 *   if v := mem.Stats["inactive_file"]; v < mem.Usage { return mem.Usage - v }
 *   return mem.Usage
 *
 * and calculateMemPercentUnixNoCache: `usedNoCache / limit * 100` when limit != 0
 * (the CLI prints 0 without a limit; we say null).
 */
export function memoryOf(raw: RawStats): MemoryStats {
  const m = raw.memory_stats ?? {};
  const usage = m.usage ?? 0;
  const limit = m.limit ?? 0;
  const stats = m.stats ?? {};
  let usageNoCache = usage;
  let cache: number | null = null;
  let source: MemoryStats['cache_source'] = null;
  const v1 = stats['total_inactive_file'];
  const v2 = stats['inactive_file'];
  if (v1 !== undefined && v1 < usage) {
    usageNoCache = usage - v1;
    cache = v1;
    source = 'total_inactive_file';
  } else if (v2 !== undefined && v2 < usage) {
    // A missing key reads as 0 in Go: subtracting 0 changes nothing, so "absent" stays null here.
    usageNoCache = usage - v2;
    cache = v2;
    source = 'inactive_file';
  }
  return {
    usage_bytes: usageNoCache,
    raw_usage_bytes: usage,
    limit_bytes: limit,
    percent: limit !== 0 ? (usageNoCache / limit) * 100 : null,
    cache_bytes: cache,
    cache_source: source,
  };
}

/** The CLI's calculateBlockIO: entries whose op starts with r/R are reads, w/W writes (v2 spells them `read`/`write`). */
export function blockIoOf(raw: RawStats): StatsRecord['block_io'] {
  let read = 0;
  let write = 0;
  for (const entry of raw.blkio_stats?.io_service_bytes_recursive ?? []) {
    const first = entry.op?.[0];
    if (first === 'r' || first === 'R') read += entry.value ?? 0;
    else if (first === 'w' || first === 'W') write += entry.value ?? 0;
  }
  return { read_bytes: read, write_bytes: write };
}

function netCounters(n: RawNetworkStats): NetCounters {
  return {
    rx_bytes: n.rx_bytes ?? 0,
    rx_packets: n.rx_packets ?? 0,
    rx_errors: n.rx_errors ?? 0,
    rx_dropped: n.rx_dropped ?? 0,
    tx_bytes: n.tx_bytes ?? 0,
    tx_packets: n.tx_packets ?? 0,
    tx_errors: n.tx_errors ?? 0,
    tx_dropped: n.tx_dropped ?? 0,
  };
}

/** The CLI's calculateNetwork sums rx/tx bytes over interfaces; we sum every counter and keep each interface. */
export function networkOf(raw: RawStats): StatsRecord['network'] {
  const interfaces: Record<string, NetCounters> = {};
  const total = { rx_bytes: 0, rx_packets: 0, rx_errors: 0, rx_dropped: 0, tx_bytes: 0, tx_packets: 0, tx_errors: 0, tx_dropped: 0 };
  for (const [name, stats] of Object.entries(raw.networks ?? {})) {
    const c = netCounters(stats);
    interfaces[name] = c;
    for (const key of Object.keys(total) as (keyof NetCounters)[]) total[key] += c[key];
  }
  return { ...total, interfaces };
}

function cpuOf(raw: RawStats, sample: CpuSample, prev: CpuSample | null): CpuStats {
  const usage = raw.cpu_stats?.cpu_usage ?? {};
  const throttling = raw.cpu_stats?.throttling_data ?? {};
  const online = onlineCpusOf(raw);
  return {
    percent: cpuPercent(sample, prev, online),
    total_ns: usage.total_usage ?? 0,
    kernel_ns: usage.usage_in_kernelmode ?? 0,
    user_ns: usage.usage_in_usermode ?? 0,
    online_cpus: online,
    throttling: {
      periods: throttling.periods ?? 0,
      throttled_periods: throttling.throttled_periods ?? 0,
      throttled_time_ns: throttling.throttled_time ?? 0,
    },
  };
}

function pidsOf(raw: RawStats): StatsRecord['pids'] {
  const limit = raw.pids_stats?.limit;
  // No limit: the key is absent (v1), 0 (Podman, v2 "max") or a MaxUint64 sentinel.
  return { current: raw.pids_stats?.current ?? 0, limit: limit && limit < UNLIMITED ? limit : null };
}

/**
 * One `stats` record from one sample, or null for a stopped container's
 * all-zero sample. `prev` is the agent's previous sample of the same
 * container (null for the first one: CPU % is then null). `time` is the
 * sample's own `read` timestamp, passed through as the daemon wrote it.
 * Throws `DOCKER_MALFORMED` for a sample of another shape or with numbers
 * that overflow.
 */
export function normalize(raw: RawStats, prev: CpuSample | null, container: ContainerRef, host: HostInfo): StatsRecord | null {
  // The body is the daemon's JSON, typed by a cast: a field of another type is DOCKER_MALFORMED, not a TypeError.
  assertStats(raw);
  if (isStoppedSample(raw)) return null;
  const sample = cpuSampleOf(raw, host.engine);
  const record: StatsRecord = {
    kind: 'stats',
    schema: RECORD_SCHEMA_VERSION,
    time: raw.read as string,
    host,
    container,
    cpu: cpuOf(raw, sample, prev),
    memory: memoryOf(raw),
    network: networkOf(raw),
    block_io: blockIoOf(raw),
    pids: pidsOf(raw),
  };
  for (const section of ['cpu', 'memory', 'network', 'block_io', 'pids'] as const) assertNumbers(record[section], section);
  // What the round keeps for the next CPU % (Podman's: the clock times the CPUs, which can overflow).
  assertNumbers(sample, 'cpu_sample');
  return record;
}

/**
 * The daemon's counters are Go integers: a value of another type (or one that
 * made a formula overflow) would reach consumers as NaN, null or a string.
 * Such a sample is refused with a coded error; the round counts and skips it.
 */
function assertNumbers(value: unknown, path: string): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new DsError('DOCKER_MALFORMED', 'stats sample has a non-finite value', { details: { path } });
    return;
  }
  if (value === null || path === 'memory.cache_source') return;
  if (typeof value !== 'object') throw new DsError('DOCKER_MALFORMED', 'stats sample has a non-numeric value', { details: { path } });
  for (const [k, v] of Object.entries(value)) assertNumbers(v, `${path}.${k}`);
}
