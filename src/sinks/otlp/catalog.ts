/**
 * The metric catalog: which record field becomes which OTLP metric, with the
 * names, units and types of the OpenTelemetry Collector's `docker_stats`
 * receiver (receiver/dockerstatsreceiver/metadata.yaml), so dashboards built
 * for it work unchanged. Disk usage has no Collector equivalent: `docker.disk.*`.
 */
import type { Attributes } from '@opentelemetry/api';
import { DISK_OBJECT_TYPES, type ContainerStateRecord, type DiskUsageRecord, type NetCounters, type StatsRecord } from '../../records.js';

/** counter = monotonic cumulative sum; updown = non-monotonic cumulative sum. */
export type MetricKind = 'gauge' | 'counter' | 'updown';

export interface MetricSpec {
  readonly name: string;
  readonly unit: string;
  readonly description: string;
  readonly kind: MetricKind;
  readonly valueType: 'int' | 'double';
}

export interface Point {
  readonly spec: MetricSpec;
  readonly value: number;
  readonly attributes: Attributes;
}

const spec = (name: string, unit: string, kind: MetricKind, valueType: 'int' | 'double', description: string): MetricSpec => ({
  name,
  unit,
  kind,
  valueType,
  description,
});

export const STATS_METRICS = {
  cpuUtilization: spec('container.cpu.utilization', '1', 'gauge', 'double', 'Percent of CPU used by the container.'),
  cpuTotal: spec('container.cpu.usage.total', 'ns', 'counter', 'int', 'Total CPU time consumed.'),
  cpuKernel: spec('container.cpu.usage.kernelmode', 'ns', 'counter', 'int', 'Time spent by tasks of the cgroup in kernel mode.'),
  cpuUser: spec('container.cpu.usage.usermode', 'ns', 'counter', 'int', 'Time spent by tasks of the cgroup in user mode.'),
  cpuLogical: spec('container.cpu.logical.count', '{cpus}', 'gauge', 'int', 'Number of cores available to the container.'),
  throttlePeriods: spec('container.cpu.throttling_data.periods', '{periods}', 'counter', 'int', 'Number of periods with throttling active.'),
  throttledPeriods: spec(
    'container.cpu.throttling_data.throttled_periods',
    '{periods}',
    'counter',
    'int',
    'Number of periods when the container hits its throttling limit.',
  ),
  throttledTime: spec('container.cpu.throttling_data.throttled_time', 'ns', 'counter', 'int', 'Aggregate time the container was throttled.'),
  memUsage: spec('container.memory.usage.total', 'By', 'updown', 'int', 'Memory usage of the container. This excludes the cache.'),
  memLimit: spec('container.memory.usage.limit', 'By', 'updown', 'int', 'Memory limit of the container.'),
  memPercent: spec('container.memory.percent', '1', 'gauge', 'double', 'Percentage of memory used.'),
  memTotalInactiveFile: spec(
    'container.memory.total_inactive_file',
    'By',
    'updown',
    'int',
    'Cache memory that has been identified as inactive by the kernel. Includes descendant cgroups (cgroup v1).',
  ),
  memInactiveFile: spec('container.memory.inactive_file', 'By', 'updown', 'int', 'Cache memory that has been identified as inactive by the kernel.'),
  rxBytes: spec('container.network.io.usage.rx_bytes', 'By', 'counter', 'int', 'Bytes received by the container.'),
  txBytes: spec('container.network.io.usage.tx_bytes', 'By', 'counter', 'int', 'Bytes sent.'),
  rxDropped: spec('container.network.io.usage.rx_dropped', '{packets}', 'counter', 'int', 'Incoming packets dropped.'),
  txDropped: spec('container.network.io.usage.tx_dropped', '{packets}', 'counter', 'int', 'Outgoing packets dropped.'),
  rxPackets: spec('container.network.io.usage.rx_packets', '{packets}', 'counter', 'int', 'Packets received.'),
  txPackets: spec('container.network.io.usage.tx_packets', '{packets}', 'counter', 'int', 'Packets sent.'),
  rxErrors: spec('container.network.io.usage.rx_errors', '{errors}', 'counter', 'int', 'Received errors.'),
  txErrors: spec('container.network.io.usage.tx_errors', '{errors}', 'counter', 'int', 'Sent errors.'),
  blockIo: spec(
    'container.blockio.io_service_bytes_recursive',
    'By',
    'counter',
    'int',
    'Number of bytes transferred to/from the disk by the group and descendant groups.',
  ),
  pidsCount: spec('container.pids.count', '{pids}', 'updown', 'int', "Number of pids in the container's cgroup."),
  pidsLimit: spec('container.pids.limit', '{pids}', 'updown', 'int', "Maximum number of pids in the container's cgroup."),
} as const;

export const DISK_METRICS = {
  size: spec('docker.disk.size', 'By', 'updown', 'int', 'Disk space used by Docker objects of a type, as `docker system df` reports it.'),
  reclaimable: spec('docker.disk.reclaimable', 'By', 'updown', 'int', 'Disk space that pruning objects of a type would free.'),
  objects: spec('docker.disk.objects', '{object}', 'updown', 'int', 'Number of Docker objects of a type (state=total) and of those in use (state=active).'),
} as const;

/**
 * From `container_state` records: restarts, status and uptime as the
 * Collector's docker_stats receiver names them; health and OOM kills, which
 * it has no metric for, under the same `container.` prefix.
 */
export const CONTAINER_METRICS = {
  restarts: spec('container.restarts', '{restarts}', 'counter', 'int', 'Number of restarts for the container.'),
  status: spec('container.status', '{status}', 'gauge', 'int', 'Status of the container: 1 for the one it is in (attribute status), 0 for the others.'),
  uptime: spec('container.uptime', 's', 'gauge', 'double', 'Time elapsed since container start time.'),
  health: spec('container.health.status', '{status}', 'gauge', 'int', 'Health check status: 1 for the current one (attribute status), 0 for the others.'),
  failingStreak: spec('container.health.failing_streak', '{checks}', 'gauge', 'int', 'Consecutive failed health checks.'),
  oomKills: spec('container.oom_kills', '{kills}', 'counter', 'int', 'OOM kills of the container this agent observed.'),
} as const;

const NO_ATTRIBUTES: Attributes = Object.freeze({});

function networkPoints(net: NetCounters, attributes: Attributes): Point[] {
  const m = STATS_METRICS;
  return [
    { spec: m.rxBytes, value: net.rx_bytes, attributes },
    { spec: m.txBytes, value: net.tx_bytes, attributes },
    { spec: m.rxDropped, value: net.rx_dropped, attributes },
    { spec: m.txDropped, value: net.tx_dropped, attributes },
    { spec: m.rxPackets, value: net.rx_packets, attributes },
    { spec: m.txPackets, value: net.tx_packets, attributes },
    { spec: m.rxErrors, value: net.rx_errors, attributes },
    { spec: m.txErrors, value: net.tx_errors, attributes },
  ];
}

/** Every data point a stats record yields (nulls, i.e. unknown values, are left out). */
export function statsPoints(r: StatsRecord): Point[] {
  const m = STATS_METRICS;
  const points: Point[] = [];
  const add = (s: MetricSpec, value: number | null, attributes: Attributes = NO_ATTRIBUTES): void => {
    if (value !== null && Number.isFinite(value)) points.push({ spec: s, value, attributes });
  };
  add(m.cpuUtilization, r.cpu.percent);
  add(m.cpuTotal, r.cpu.total_ns);
  add(m.cpuKernel, r.cpu.kernel_ns);
  add(m.cpuUser, r.cpu.user_ns);
  add(m.cpuLogical, r.cpu.online_cpus);
  add(m.throttlePeriods, r.cpu.throttling.periods);
  add(m.throttledPeriods, r.cpu.throttling.throttled_periods);
  add(m.throttledTime, r.cpu.throttling.throttled_time_ns);
  add(m.memUsage, r.memory.usage_bytes);
  add(m.memLimit, r.memory.limit_bytes);
  add(m.memPercent, r.memory.percent);
  if (r.memory.cache_source === 'total_inactive_file') add(m.memTotalInactiveFile, r.memory.cache_bytes);
  if (r.memory.cache_source === 'inactive_file') add(m.memInactiveFile, r.memory.cache_bytes);
  const interfaces = Object.entries(r.network.interfaces);
  if (interfaces.length > 0) {
    for (const [name, counters] of interfaces) points.push(...networkPoints(counters, { interface: name }));
  } else if (r.network.rx_bytes > 0 || r.network.tx_bytes > 0) {
    // Engines that report totals only (no per-interface map): no `interface` attribute.
    points.push(...networkPoints(r.network, NO_ATTRIBUTES));
  }
  add(m.blockIo, r.block_io.read_bytes, { operation: 'read' });
  add(m.blockIo, r.block_io.write_bytes, { operation: 'write' });
  // Like the Collector: a zero pid count means "not available" (no pids cgroup).
  if (r.pids.current > 0) {
    add(m.pidsCount, r.pids.current);
    if (r.pids.limit !== null && r.pids.limit > 0) add(m.pidsLimit, r.pids.limit);
  }
  return points;
}

export const DISK_OBJECT_TYPE_ATTRIBUTE = 'docker.disk.object_type';

/** Data points of a disk usage record: per object type, no totals (they would double count when summed). */
export function diskPoints(r: DiskUsageRecord): Point[] {
  const points: Point[] = [];
  for (const type of DISK_OBJECT_TYPES) {
    const entry = r.types[type];
    if (!entry) continue;
    const attrs = { [DISK_OBJECT_TYPE_ATTRIBUTE]: type };
    points.push({ spec: DISK_METRICS.size, value: entry.size_bytes, attributes: attrs });
    points.push({ spec: DISK_METRICS.reclaimable, value: entry.reclaimable_bytes, attributes: attrs });
    points.push({ spec: DISK_METRICS.objects, value: entry.total, attributes: { ...attrs, state: 'total' } });
    points.push({ spec: DISK_METRICS.objects, value: entry.active, attributes: { ...attrs, state: 'active' } });
  }
  return points;
}

/** Docker's container states (the docker_stats receiver's `status` values). */
export const CONTAINER_STATES = ['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead'] as const;
export const HEALTH_STATES = ['starting', 'healthy', 'unhealthy'] as const;

/**
 * Data points of a container_state record. Status and health are state sets
 * (every value, 1 for the current one), so that a dashboard or rule sees a
 * value leave as well as arrive; a removed container yields none (its series
 * end with it).
 */
export function containerStatePoints(r: ContainerStateRecord): Point[] {
  if (r.state === 'removed') return [];
  const m = CONTAINER_METRICS;
  const points: Point[] = [{ spec: m.restarts, value: r.restart_count, attributes: NO_ATTRIBUTES }];
  for (const state of CONTAINER_STATES) points.push({ spec: m.status, value: r.state === state ? 1 : 0, attributes: { status: state } });
  const started = r.started_at === null ? Number.NaN : Date.parse(r.started_at);
  if (r.state === 'running' && Number.isFinite(started))
    points.push({ spec: m.uptime, value: Math.max(0, (Date.parse(r.time) - started) / 1000), attributes: NO_ATTRIBUTES });
  if (r.health !== null) {
    for (const status of HEALTH_STATES) points.push({ spec: m.health, value: r.health.status === status ? 1 : 0, attributes: { status } });
    points.push({ spec: m.failingStreak, value: r.health.failing_streak, attributes: NO_ATTRIBUTES });
  }
  points.push({ spec: m.oomKills, value: r.oom_kills, attributes: NO_ATTRIBUTES });
  return points;
}
