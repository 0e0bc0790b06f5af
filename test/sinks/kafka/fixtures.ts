/** Realistic records, shaped like what the docker sources emit. */
import type { ContainerRef, DiskUsageRecord, EventRecord, HostInfo, StatsRecord } from '../../../src/records.js';

export const HOST: HostInfo = {
  name: 'node-7.example.internal',
  daemon_id: 'Q5XK:3TQH:6JDV:LGPT:XKUE:7NBF:4XKR:MF4Z:SFSU:QB2E:SVAQ:4PVF',
  engine: 'docker',
  version: '20.10.24+dfsg1',
  api_version: '1.41',
};

export function containerRef(i: number): ContainerRef {
  const id = (i.toString(16).padStart(4, '0') + 'a1b2c3d4e5f6').repeat(4).slice(0, 64);
  return { id, name: `web-${i}`, image: 'local/busybox:1', labels: { 'com.docker.compose.service': `web-${i}` } };
}

/** Nanosecond timestamps (exact strings) one millisecond apart from a fixed start. */
const BASE_NS = 1_714_557_600_123_456_789n;
function timeNano(seq: number): string {
  return (BASE_NS + BigInt(seq) * 1_000_000n).toString();
}
function rfc3339(ns: string): string {
  const n = BigInt(ns);
  const iso = new Date(Number(n / 1_000_000n)).toISOString().slice(0, 19);
  return `${iso}.${(n % 1_000_000_000n).toString().padStart(9, '0')}Z`;
}

export function eventRecord(seq: number, container: ContainerRef, action = 'start'): EventRecord {
  const tn = timeNano(seq);
  return {
    kind: 'event',
    schema: 1,
    time: rfc3339(tn),
    host: HOST,
    type: 'container',
    action,
    action_detail: null,
    actor: { id: container.id, attributes: { image: container.image, name: container.name, seq: String(seq) } },
    scope: 'local',
    time_nano: tn,
    container,
  };
}

export function volumeEvent(seq: number): EventRecord {
  const tn = timeNano(seq);
  return {
    kind: 'event',
    schema: 1,
    time: rfc3339(tn),
    host: HOST,
    type: 'volume',
    action: 'create',
    action_detail: null,
    actor: { id: `vol-${seq}`, attributes: { driver: 'local' } },
    scope: 'local',
    time_nano: tn,
  };
}

export function statsRecord(seq: number, container: ContainerRef): StatsRecord {
  const net = { rx_bytes: 1200 + seq, rx_packets: 12, rx_errors: 0, rx_dropped: 0, tx_bytes: 800, tx_packets: 8, tx_errors: 0, tx_dropped: 0 };
  return {
    kind: 'stats',
    schema: 1,
    time: rfc3339(timeNano(seq)),
    host: HOST,
    container,
    cpu: {
      percent: 99.87,
      total_ns: 1_234_567_890 + seq,
      kernel_ns: 20_000_000,
      user_ns: 1_200_000_000,
      online_cpus: 2,
      throttling: { periods: 0, throttled_periods: 0, throttled_time_ns: 0 },
    },
    memory: {
      usage_bytes: 405_504,
      raw_usage_bytes: 1_089_536,
      limit_bytes: 4_124_954_624,
      percent: 0.00983,
      cache_bytes: 684_032,
      cache_source: 'total_inactive_file',
    },
    network: { ...net, interfaces: { eth0: net } },
    block_io: { read_bytes: 0, write_bytes: 4096 },
    pids: { current: 2, limit: null },
  };
}

export function diskUsageRecord(seq: number): DiskUsageRecord {
  const entry = (total: number, active: number, size: number, reclaimable: number) => ({
    total,
    active,
    size_bytes: size,
    reclaimable_bytes: reclaimable,
    reclaimable_percent: size === 0 ? 0 : Math.floor((reclaimable * 100) / size),
  });
  return {
    kind: 'disk_usage',
    schema: 1,
    time: rfc3339(timeNano(seq)),
    host: HOST,
    types: {
      images: entry(3, 1, 4_862_976, 2_431_488),
      containers: entry(5, 2, 12_288, 4_096),
      volumes: entry(2, 1, 1_048_576, 524_288),
      build_cache: entry(0, 0, 0, 0),
    },
    total: entry(10, 4, 5_923_840, 2_959_872),
    duration_ms: 42,
    reclaimable_source: 'cli_formula',
  };
}
