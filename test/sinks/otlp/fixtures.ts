// Realistic records (values as a dockerd 20.10 / cgroup v1 host produces them) for OTLP sink tests.
import type {
  AlertRecord,
  ContainerRef,
  DiskUsageRecord,
  EventRecord,
  GapRecord,
  HostInfo,
  InventoryRecord,
  StatsRecord,
} from '../../../src/records.js';
import { nanosToRfc3339 } from '../../../src/util/units.js';

export const HOST: HostInfo = {
  name: 'build-07',
  daemon_id: 'ZQ4V:3XKM:7NWS:QK2R:5TBL:Y6HC:RKAW:2D4J:OM5Q:XG7H:PUVB:LJ3E',
  engine: 'docker',
  version: '20.10.24+dfsg1',
  api_version: '1.41',
};

export const WEB: ContainerRef = {
  id: '4f1c9a7e2b8d4c3f9e0a1b2c3d4e5f60718293a4b5c6d7e8f9a0b1c2d3e4f5a6',
  name: 'web-1',
  image: 'local/busybox:1',
  labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'web' },
};

export const DB: ContainerRef = {
  id: '9b8a7c6d5e4f30211f2e3d4c5b6a79880a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d',
  name: 'db-1',
  image: 'local/busybox:1',
  labels: { 'com.docker.compose.project': 'shop', 'com.docker.compose.service': 'db' },
};

/** Nanosecond timestamps chosen so that float64 would round them (…789 ≠ what a double keeps). */
export const T0 = '1795432795302202876';

export function event(over: Partial<EventRecord> & Pick<EventRecord, 'type' | 'action' | 'time_nano'>): EventRecord {
  return {
    kind: 'event',
    schema: 1,
    time: nanosToRfc3339(over.time_nano),
    host: HOST,
    action_detail: null,
    actor: { id: WEB.id, attributes: {} },
    scope: 'local',
    ...over,
  };
}

/** A small container lifecycle plus image/volume/system events, with exact and adjacent nanoseconds. */
export function events(): EventRecord[] {
  const ns = (offset: number) => (BigInt(T0) + BigInt(offset)).toString();
  const web = { id: WEB.id, attributes: { image: WEB.image, name: WEB.name, 'com.docker.compose.service': 'web' } };
  return [
    event({ type: 'container', action: 'create', time_nano: ns(0), actor: web, container: WEB }),
    event({ type: 'container', action: 'start', time_nano: ns(1), actor: web, container: WEB }),
    event({ type: 'container', action: 'exec_start', action_detail: 'sh -c echo hi', time_nano: ns(999_999_999), actor: web, container: WEB }),
    event({ type: 'container', action: 'health_status', action_detail: 'unhealthy', time_nano: ns(1_000_000_000), actor: web, container: WEB }),
    event({ type: 'container', action: 'kill', time_nano: ns(2_000_000_123), actor: { id: WEB.id, attributes: { ...web.attributes, signal: '15' } }, container: WEB }),
    event({ type: 'container', action: 'die', time_nano: ns(2_000_000_124), actor: { id: WEB.id, attributes: { ...web.attributes, exitCode: '137' } }, container: WEB }),
    event({ type: 'container', action: 'destroy', time_nano: ns(3_000_000_000), actor: web, container: WEB }),
    event({ type: 'image', action: 'prune', time_nano: ns(4_000_000_001), actor: { id: '', attributes: { reclaimed: '1048576' } }, reclaimed_bytes: 1048576 }),
    event({ type: 'volume', action: 'mount', time_nano: ns(4_000_000_002), actor: { id: 'pgdata', attributes: { container: DB.id, destination: '/var/lib/pg', driver: 'local' } } }),
  ];
}

export function stats(container: ContainerRef, time: string, over: { cpuTotal?: number; percent?: number | null } = {}): StatsRecord {
  const cpuTotal = over.cpuTotal ?? 1_055_946_861;
  return {
    kind: 'stats',
    schema: 1,
    time,
    host: HOST,
    container,
    cpu: {
      percent: over.percent === undefined ? 49.87 : over.percent,
      total_ns: cpuTotal,
      kernel_ns: 20_000_000,
      user_ns: cpuTotal - 20_000_000,
      online_cpus: 2,
      throttling: { periods: 52, throttled_periods: 3, throttled_time_ns: 4_500_000 },
    },
    memory: {
      usage_bytes: 462_848,
      raw_usage_bytes: 528_384,
      limit_bytes: 268_435_456,
      percent: (462_848 / 268_435_456) * 100,
      cache_bytes: 65_536,
      cache_source: 'total_inactive_file',
    },
    network: {
      rx_bytes: 1500, rx_packets: 12, rx_errors: 0, rx_dropped: 1,
      tx_bytes: 900, tx_packets: 8, tx_errors: 0, tx_dropped: 2,
      interfaces: {
        eth0: { rx_bytes: 1000, rx_packets: 8, rx_errors: 0, rx_dropped: 1, tx_bytes: 600, tx_packets: 5, tx_errors: 0, tx_dropped: 2 },
        eth1: { rx_bytes: 500, rx_packets: 4, rx_errors: 0, rx_dropped: 0, tx_bytes: 300, tx_packets: 3, tx_errors: 0, tx_dropped: 0 },
      },
    },
    block_io: { read_bytes: 8_192_000, write_bytes: 4_096 },
    pids: { current: 3, limit: 512 },
  };
}

export function diskUsage(time: string): DiskUsageRecord {
  return {
    kind: 'disk_usage',
    schema: 1,
    time,
    host: HOST,
    types: {
      images: { total: 5, active: 2, size_bytes: 1_843_200_000, reclaimable_bytes: 921_600_000, reclaimable_percent: 50 },
      containers: { total: 7, active: 3, size_bytes: 41_943_040, reclaimable_bytes: 10_485_760, reclaimable_percent: 25 },
      volumes: { total: 4, active: 1, size_bytes: 3_221_225_472, reclaimable_bytes: 2_147_483_648, reclaimable_percent: 66 },
      build_cache: { total: 0, active: 0, size_bytes: 0, reclaimable_bytes: 0, reclaimable_percent: 0 },
    },
    total: { total: 16, active: 6, size_bytes: 5_106_368_512, reclaimable_bytes: 3_079_569_408, reclaimable_percent: 60 },
    duration_ms: 412,
    reclaimable_source: 'cli_formula',
  };
}

export function alert(time: string): AlertRecord {
  return { kind: 'alert', schema: 1, time, host: HOST, state: 'firing', rule: 'volumes-reclaimable', object: 'volumes', metric: 'reclaimable_bytes', value: 2_147_483_648, threshold: 1_073_741_824 };
}

export function gap(time: string): GapRecord {
  return { kind: 'gap', schema: 1, time, host: HOST, from: '2026-11-23T09:00:00.000000000Z', to: time, reason: 'ring_overflow', component: 'events', detail: 'resume cursor older than the daemon ring' };
}

export function inventory(time: string): InventoryRecord {
  return {
    kind: 'inventory', schema: 1, time, host: HOST, reason: 'reconnect',
    containers: [
      { id: WEB.id, name: WEB.name, image: WEB.image, state: 'running', labels: WEB.labels ?? {} },
      { id: DB.id, name: DB.name, image: DB.image, state: 'exited', labels: DB.labels ?? {} },
    ],
  };
}
