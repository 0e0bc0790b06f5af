/**
 * One set of record builders for every test: realistic records (values as a
 * dockerd 20.10 / cgroup v1 host produces them), each overridable field by
 * field. `time` follows `time_nano` for events unless given. Tests that need
 * deliberately odd records (a `time` the sink cannot parse, a record cast from
 * a partial object) build those themselves.
 */
import { nullLogger, type Logger } from '../../src/log.js';
import type { SinkContext } from '../../src/pipeline/types.js';
import type {
  AlertRecord,
  ContainerRef,
  DiskUsageEntry,
  DiskUsageRecord,
  DsRecord,
  EventRecord,
  GapRecord,
  HostInfo,
  InventoryRecord,
  RecordKind,
  StatsRecord,
} from '../../src/records.js';
import { SelfMetrics } from '../../src/telemetry/metrics.js';
import { nanosToRfc3339 } from '../../src/util/units.js';

export const HOST: HostInfo = {
  name: 'build-07',
  daemon: 'local',
  daemon_id: 'ZQ4V:3XKM:7NWS:QK2R:5TBL:Y6HC:RKAW:2D4J:OM5Q:XG7H:PUVB:LJ3E',
  engine: 'docker',
  version: '20.10.24+dfsg1',
  api_version: '1.41',
};

/** The daemon identity of the envelope: HOST with the fields a test cares about changed. */
export function host(over: Partial<HostInfo> = {}): HostInfo {
  return { ...HOST, ...over };
}

/** A SinkContext for a sink under test (quiet log, fresh metrics, HOST). */
export function sinkContext(log: Logger = nullLogger(), metrics = new SelfMetrics()): SinkContext {
  return { log, metrics, host: () => HOST };
}

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

/** A numbered container (`web-<i>`, a 64-hex id derived from `i`). */
export function containerRef(i: number): ContainerRef {
  const id = (i.toString(16).padStart(4, '0') + 'a1b2c3d4e5f6').repeat(4).slice(0, 64);
  return { id, name: `web-${i}`, image: 'local/busybox:1', labels: { 'com.docker.compose.service': `web-${i}` } };
}

/** Nanoseconds chosen so that float64 would round them (…876 is not what a double keeps). */
export const T0 = '1795432795302202876';

/** T0 plus `offset` nanoseconds, as exact digits. */
export function nanosAfter(offset: number | bigint, from = T0): string {
  return (BigInt(from) + BigInt(offset)).toString();
}

/** RFC 3339 with nanoseconds of a `time_nano`. */
export const rfc3339 = nanosToRfc3339;

/** A container `start` event of WEB's id at T0; `time` follows `time_nano` unless given. */
export function eventRecord(over: Partial<EventRecord> = {}): EventRecord {
  const timeNano = over.time_nano ?? T0;
  return {
    kind: 'event',
    schema: 1,
    time: nanosToRfc3339(timeNano),
    host: HOST,
    type: 'container',
    action: 'start',
    action_detail: null,
    actor: { id: WEB.id, attributes: {} },
    scope: 'local',
    time_nano: timeNano,
    ...over,
  };
}

/** An event of `container` with the attributes dockerd puts on container events (name, image). */
export function containerEvent(container: ContainerRef, over: Partial<EventRecord> = {}): EventRecord {
  return eventRecord({ actor: { id: container.id, attributes: { image: container.image, name: container.name } }, container, ...over });
}

export interface StatsOverrides extends Partial<Omit<StatsRecord, 'kind'>> {
  /** `cpu.total_ns` (user time follows it). */
  readonly cpuTotal?: number;
  /** `cpu.percent` (null: no previous sample). */
  readonly cpuPercent?: number | null;
}

/** One stats sample of WEB at T0: 2 CPUs, 452 KiB of 256 MiB, two interfaces, a pids limit. */
export function statsRecord(over: StatsOverrides = {}): StatsRecord {
  const { cpuTotal = 1_055_946_861, cpuPercent = 49.87, ...rest } = over;
  return {
    kind: 'stats',
    schema: 1,
    time: nanosToRfc3339(T0),
    host: HOST,
    container: WEB,
    cpu: {
      percent: cpuPercent,
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
      rx_bytes: 1500,
      rx_packets: 12,
      rx_errors: 0,
      rx_dropped: 1,
      tx_bytes: 900,
      tx_packets: 8,
      tx_errors: 0,
      tx_dropped: 2,
      interfaces: {
        eth0: { rx_bytes: 1000, rx_packets: 8, rx_errors: 0, rx_dropped: 1, tx_bytes: 600, tx_packets: 5, tx_errors: 0, tx_dropped: 2 },
        eth1: { rx_bytes: 500, rx_packets: 4, rx_errors: 0, rx_dropped: 0, tx_bytes: 300, tx_packets: 3, tx_errors: 0, tx_dropped: 0 },
      },
    },
    block_io: { read_bytes: 8_192_000, write_bytes: 4_096 },
    pids: { current: 3, limit: 512 },
    ...rest,
  };
}

/** A `system df` row with the CLI's integer percentage. */
function diskEntry(total: number, active: number, size: number, reclaimable: number): DiskUsageEntry {
  return {
    total,
    active,
    size_bytes: size,
    reclaimable_bytes: reclaimable,
    reclaimable_percent: size === 0 ? 0 : Math.floor((reclaimable * 100) / size),
  };
}

/** One `system df` poll at T0: images, containers, volumes, an empty build cache. */
export function diskUsageRecord(over: Partial<Omit<DiskUsageRecord, 'kind'>> = {}): DiskUsageRecord {
  return {
    kind: 'disk_usage',
    schema: 1,
    time: nanosToRfc3339(T0),
    host: HOST,
    types: {
      images: diskEntry(5, 2, 1_843_200_000, 921_600_000),
      containers: diskEntry(7, 3, 41_943_040, 10_485_760),
      volumes: diskEntry(4, 1, 3_221_225_472, 2_147_483_648),
      build_cache: diskEntry(0, 0, 0, 0),
    },
    total: diskEntry(16, 6, 5_106_368_512, 3_079_569_408),
    duration_ms: 412,
    reclaimable_source: 'cli_formula',
    ...over,
  };
}

/** A firing volumes-reclaimable alert at T0. */
export function alertRecord(over: Partial<Omit<AlertRecord, 'kind'>> = {}): AlertRecord {
  return {
    kind: 'alert',
    schema: 1,
    time: nanosToRfc3339(T0),
    host: HOST,
    state: 'firing',
    rule: 'volumes-reclaimable',
    object: 'volumes',
    metric: 'reclaimable_bytes',
    value: 2_147_483_648,
    threshold: 1_073_741_824,
    ...over,
  };
}

/** A ring-overflow gap of the events source, ending at `time` (T0). */
export function gapRecord(over: Partial<Omit<GapRecord, 'kind'>> = {}): GapRecord {
  const time = over.time ?? nanosToRfc3339(T0);
  return {
    kind: 'gap',
    schema: 1,
    time,
    host: HOST,
    from: '2026-11-23T09:00:00.000000000Z',
    to: time,
    reason: 'ring_overflow',
    component: 'source:events',
    detail: 'resume cursor older than the daemon ring',
    ...over,
  };
}

/** The inventory after a reconnect: WEB running, DB exited. */
export function inventoryRecord(over: Partial<Omit<InventoryRecord, 'kind'>> = {}): InventoryRecord {
  return {
    kind: 'inventory',
    schema: 1,
    time: nanosToRfc3339(T0),
    host: HOST,
    reason: 'reconnect',
    containers: [
      { id: WEB.id, name: WEB.name, image: WEB.image, state: 'running', labels: WEB.labels ?? {} },
      { id: DB.id, name: DB.name, image: DB.image, state: 'exited', labels: DB.labels ?? {} },
    ],
    ...over,
  };
}

/** The records of one kind, typed as records of that kind (`ofKind(rs, 'stats')`: StatsRecord[]). */
export function ofKind<K extends RecordKind>(records: readonly DsRecord[], kind: K): Extract<DsRecord, { kind: K }>[] {
  return records.filter((r): r is Extract<DsRecord, { kind: K }> => r.kind === kind);
}
