/**
 * The daemon's `GET /containers/{id}/stats` body, as far as we read it.
 * Shapes: moby `api/types` (StatsJSON / StatsResponse), cgroup v1 and v2 as
 * built in moby `daemon/stats_linux.go`, and Podman's compat handler
 * (`pkg/api/handlers/compat/containers_stats_linux.go`). Every field is
 * optional: stopped containers, cgroup v2 and Podman each leave some out.
 */
import { assertShape, type Shape } from '../../docker/shape.js';

export interface RawCpuStats {
  readonly cpu_usage?: {
    readonly total_usage?: number;
    /** cgroup v1 only; v2 and newer daemons leave it out. */
    readonly percpu_usage?: readonly number[] | null;
    readonly usage_in_kernelmode?: number;
    readonly usage_in_usermode?: number;
  };
  /** Host CPU time in ns (from /proc/stat), the denominator of CPU %. */
  readonly system_cpu_usage?: number;
  readonly online_cpus?: number;
  readonly throttling_data?: {
    readonly periods?: number;
    readonly throttled_periods?: number;
    readonly throttled_time?: number;
  };
}

export interface RawBlkioEntry {
  readonly major?: number;
  readonly minor?: number;
  /** cgroup v1: `Read`, `Write`, `Sync`, `Async`, `Discard`, `Total`; v2: `read`, `write`. */
  readonly op?: string;
  readonly value?: number;
}

export interface RawNetworkStats {
  readonly rx_bytes?: number;
  readonly rx_packets?: number;
  readonly rx_errors?: number;
  readonly rx_dropped?: number;
  readonly tx_bytes?: number;
  readonly tx_packets?: number;
  readonly tx_errors?: number;
  readonly tx_dropped?: number;
}

export interface RawStats {
  /** Sample time, RFC 3339 with nanoseconds; `0001-01-01T00:00:00Z` for a stopped container. */
  readonly read?: string;
  readonly preread?: string;
  readonly name?: string;
  readonly id?: string;
  readonly pids_stats?: { readonly current?: number; readonly limit?: number };
  readonly blkio_stats?: { readonly io_service_bytes_recursive?: readonly RawBlkioEntry[] | null };
  readonly cpu_stats?: RawCpuStats;
  /** Empty with `one-shot=true`, all zero on Podman: never used (see normalize.ts). */
  readonly precpu_stats?: RawCpuStats;
  readonly memory_stats?: {
    readonly usage?: number;
    readonly max_usage?: number;
    readonly limit?: number;
    /** cgroup v1 and v2 keys differ; Podman sends none. */
    readonly stats?: Readonly<Record<string, number>> | null;
  };
  /** Absent with `--network none`. */
  readonly networks?: Readonly<Record<string, RawNetworkStats>> | null;
}

/** What we keep of a container's previous sample to compute CPU %. */
export interface CpuSample {
  readonly total_ns: number;
  readonly system_ns: number;
}

/**
 * Parses a stats response body. An empty body is "no sample": Podman answers
 * a stopped container with 200 and nothing (Docker sends a zero-time record).
 * Throws SyntaxError on anything that is not a JSON object.
 */
export function parseStatsBody(body: string): RawStats | null {
  if (/^\s*$/.test(body)) return null;
  const parsed: unknown = JSON.parse(body);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new SyntaxError('stats body is not a JSON object');
  return parsed;
}

const CPU: Shape = {
  cpu_usage: { total_usage: 'number', percpu_usage: 'numbers', usage_in_kernelmode: 'number', usage_in_usermode: 'number' },
  system_cpu_usage: 'number',
  online_cpus: 'number',
  throttling_data: { periods: 'number', throttled_periods: 'number', throttled_time: 'number' },
};
const NETWORK: Shape = {
  rx_bytes: 'number',
  rx_packets: 'number',
  rx_errors: 'number',
  rx_dropped: 'number',
  tx_bytes: 'number',
  tx_packets: 'number',
  tx_errors: 'number',
  tx_dropped: 'number',
};

/** Every field normalize.ts reads, with its type (src/docker/shape.ts); `precpu_stats`, `name`, `id` are not read. */
const STATS = {
  read: 'string',
  pids_stats: { current: 'number', limit: 'number' },
  blkio_stats: { io_service_bytes_recursive: [{ op: 'string', value: 'number' }] },
  cpu_stats: CPU,
  memory_stats: { usage: 'number', limit: 'number', stats: { '*': 'number' } },
  networks: { '*': NETWORK },
} as const satisfies Partial<Record<keyof RawStats, Shape>>;

/** A sample of another shape is a `DOCKER_MALFORMED` error naming the field (the round counts and skips it). */
export function assertStats(raw: unknown): asserts raw is RawStats {
  assertShape(raw, STATS, 'stats sample');
}
