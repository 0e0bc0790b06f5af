/**
 * The record model (docs/design.md §2): one self-describing record per
 * observation, discriminated on `kind`. Every record carries the same envelope.
 */

export const RECORD_SCHEMA_VERSION = 1;

export type Engine = 'docker' | 'podman';

/** Daemon identity from `/info` and `/version`, stamped on every record. */
export interface HostInfo {
  readonly name: string;
  /** The configured name of the daemon (`local`, or a key of `daemons:`): which daemon of an agent reading several. */
  readonly daemon: string;
  readonly daemon_id: string;
  readonly engine: Engine;
  readonly version: string;
  readonly api_version: string;
}

interface Envelope {
  readonly schema: number;
  /** RFC 3339 with nanoseconds: when the daemon observed it. */
  readonly time: string;
  readonly host: HostInfo;
}

/** Docker Compose identity, from the labels Compose sets (`com.docker.compose.*`). */
export interface ComposeIdentity {
  readonly project: string;
  readonly service: string;
  /** `com.docker.compose.container-number`: which replica. */
  readonly number: number | null;
}

/** Swarm identity, from the labels the orchestrator sets (`com.docker.swarm.*`). */
export interface SwarmIdentity {
  readonly service: string;
  readonly task: string | null;
  readonly node_id: string | null;
}

export interface ContainerRef {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Present when the container belongs to a Compose project: dashboards group by service. */
  readonly compose?: ComposeIdentity;
  /** Present when the container is a Swarm task. */
  readonly swarm?: SwarmIdentity;
}

/** A health check's state: Docker's `State.Health`, null when the container has none. */
export interface ContainerHealth {
  readonly status: 'starting' | 'healthy' | 'unhealthy';
  /** Consecutive failed checks. */
  readonly failing_streak: number;
}

/** What a container is doing, from `GET /containers/{id}/json`. */
export interface ContainerStatus {
  /** Docker's words: created, running, paused, restarting, removing, exited, dead (Podman's `stopped` is `exited`). */
  readonly state: string;
  readonly health: ContainerHealth | null;
  /** Restarts by its restart policy (Docker's `RestartCount`). */
  readonly restart_count: number;
  /** The kernel's OOM killer ended its last run (Podman 4 never says so). */
  readonly oom_killed: boolean;
  /** Of its last run; null while it never exited. */
  readonly exit_code: number | null;
  /** RFC 3339, null when it never started / finished. */
  readonly started_at: string | null;
  readonly finished_at: string | null;
}

export interface EventRecord extends Envelope {
  readonly kind: 'event';
  /** `container`, `image`, `volume`, `network`, `daemon`, `plugin`, ... */
  readonly type: string;
  /** Base action: `exec_start`, `health_status`, `die`. */
  readonly action: string;
  /** The suffix after `: ` (`healthy`, the exec command), or null. */
  readonly action_detail: string | null;
  readonly actor: { readonly id: string; readonly attributes: Readonly<Record<string, string>> };
  readonly scope: string | null;
  /** Exact decimal digits of the daemon's `timeNano` (beyond Number precision). */
  readonly time_nano: string;
  /** Present when the actor is a container. */
  readonly container?: ContainerRef;
  /** Bytes reclaimed, on `prune` events (API >= 1.41). */
  readonly reclaimed_bytes?: number;
  /** Set when the event came from a non-Docker engine and was renamed to Docker's vocabulary. */
  readonly normalized_from?: { readonly action: string };
}

export interface CpuStats {
  /** CPU % as `docker stats` computes it; null when there is no previous sample. */
  readonly percent: number | null;
  readonly total_ns: number;
  readonly kernel_ns: number;
  readonly user_ns: number;
  readonly online_cpus: number;
  readonly throttling: {
    readonly periods: number;
    readonly throttled_periods: number;
    readonly throttled_time_ns: number;
  };
}

export interface MemoryStats {
  /** Usage without cache, exactly as `docker stats` shows it. */
  readonly usage_bytes: number;
  /** Raw `memory_stats.usage`. */
  readonly raw_usage_bytes: number;
  readonly limit_bytes: number;
  /** usage_bytes / limit_bytes * 100, or null when the limit is 0. */
  readonly percent: number | null;
  /** The figure subtracted: `total_inactive_file` (cgroup v1), `inactive_file` (v2), or null. */
  readonly cache_bytes: number | null;
  readonly cache_source: 'total_inactive_file' | 'inactive_file' | null;
}

export interface NetCounters {
  readonly rx_bytes: number;
  readonly rx_packets: number;
  readonly rx_errors: number;
  readonly rx_dropped: number;
  readonly tx_bytes: number;
  readonly tx_packets: number;
  readonly tx_errors: number;
  readonly tx_dropped: number;
}

export interface StatsRecord extends Envelope {
  readonly kind: 'stats';
  readonly container: ContainerRef;
  readonly cpu: CpuStats;
  readonly memory: MemoryStats;
  readonly network: NetCounters & { readonly interfaces: Readonly<Record<string, NetCounters>> };
  readonly block_io: { readonly read_bytes: number; readonly write_bytes: number };
  readonly pids: { readonly current: number; readonly limit: number | null };
}

export const DISK_OBJECT_TYPES = ['images', 'containers', 'volumes', 'build_cache'] as const;
export type DiskObjectType = (typeof DISK_OBJECT_TYPES)[number];

export interface DiskUsageEntry {
  readonly total: number;
  readonly active: number;
  readonly size_bytes: number;
  readonly reclaimable_bytes: number;
  /** Integer percent as the CLI prints it (integer division). */
  readonly reclaimable_percent: number;
}

export interface DiskObjectDetail {
  readonly id: string;
  readonly name: string;
  readonly size_bytes: number;
  readonly reclaimable: boolean;
}

export interface DiskUsageRecord extends Envelope {
  readonly kind: 'disk_usage';
  readonly types: Readonly<Partial<Record<DiskObjectType, DiskUsageEntry>>>;
  readonly total: DiskUsageEntry;
  readonly duration_ms: number;
  /** Where reclaimable figures come from: the daemon (API >= 1.52) or the CLI's pre-29 formulas. */
  readonly reclaimable_source: 'daemon' | 'cli_formula';
  /** Largest objects per type, when `verbose` is on. */
  readonly largest?: Readonly<Partial<Record<DiskObjectType, readonly DiskObjectDetail[]>>>;
}

export interface InventoryContainer extends Partial<Omit<ContainerStatus, 'state'>> {
  readonly id: string;
  readonly name: string;
  readonly image: string;
  readonly state: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly compose?: ComposeIdentity;
  readonly swarm?: SwarmIdentity;
}

export interface InventoryRecord extends Envelope {
  readonly kind: 'inventory';
  /** Why it was taken: first connect, reconnect, or after a gap. */
  readonly reason: 'start' | 'reconnect';
  readonly containers: readonly InventoryContainer[];
}

/**
 * How every part of the agent names a component, in gap records, the
 * `component` label of the agent's metrics, the `component` field of log
 * lines, `check` output and /readyz reasons (docs/metrics.md, "Components").
 */
export type ComponentName = `source:${string}` | `sink:${string}` | 'docker' | `docker:${string}` | 'telemetry';

/**
 * The one way to spell a component's name: `componentName('sink', 'kafka')` is
 * `sink:kafka`; the local daemon is `docker`, another one `docker:<name>`.
 */
export function componentName(kind: 'source' | 'sink', name: string): ComponentName;
export function componentName(kind: 'docker', daemon?: string): ComponentName;
export function componentName(kind: 'telemetry'): ComponentName;
export function componentName(kind: 'source' | 'sink' | 'docker' | 'telemetry', name?: string): ComponentName {
  if (kind === 'source' || kind === 'sink') return `${kind}:${name ?? ''}`;
  if (kind === 'docker') return name === undefined || name === 'local' ? 'docker' : `docker:${name}`;
  return kind;
}

/**
 * Why a `gap` says records may be missing (docs/metrics.md, "Reasons"): the
 * events source's `daemon_restarted` and `ring_overflow`, a sink buffer's
 * `queue_full` and `spool_full` (the same words as the drop counter's).
 */
export const GAP_REASONS = ['daemon_restarted', 'ring_overflow', 'queue_full', 'spool_full'] as const;
export type GapReason = (typeof GAP_REASONS)[number];

export interface GapRecord extends Envelope {
  readonly kind: 'gap';
  /** RFC 3339: the last point known to be complete (null when unknown). */
  readonly from: string | null;
  /** RFC 3339: the first point known to be complete again. */
  readonly to: string;
  readonly reason: GapReason;
  /** Which source or sink the gap concerns: `source:<name>` or `sink:<name>` (componentName). */
  readonly component: ComponentName;
  /** Records known to be lost, when countable. */
  readonly dropped?: number;
  readonly detail?: string;
}

/** What a `gap` says; the envelope's `time` is `to`, when the gap was noticed to end. */
export type GapFields = Omit<GapRecord, 'kind' | 'schema' | 'time'>;

/**
 * The one way sources and sinks build a `gap`, so every gap has the same
 * fields in the same order (consumers see the same JSON from either).
 */
export function gapRecord(gap: GapFields): GapRecord {
  return {
    kind: 'gap',
    schema: RECORD_SCHEMA_VERSION,
    time: gap.to,
    host: gap.host,
    from: gap.from,
    to: gap.to,
    reason: gap.reason,
    component: gap.component,
    ...(gap.dropped !== undefined ? { dropped: gap.dropped } : {}),
    ...(gap.detail !== undefined ? { detail: gap.detail } : {}),
  };
}

export interface AlertRecord extends Envelope {
  readonly kind: 'alert';
  readonly state: 'firing' | 'resolved';
  readonly rule: string;
  readonly object: DiskObjectType | 'total';
  readonly metric: 'size_bytes' | 'reclaimable_bytes' | 'reclaimable_percent';
  readonly value: number;
  readonly threshold: number;
}

/** What changed since this container's previous `container_state` record. */
export type ContainerChange = 'first_seen' | 'state' | 'health' | 'restart_count' | 'oom_killed' | 'exit_code' | 'removed';

/** A container's state, health, restarts or OOM changed (and the first time the agent sees it). */
export interface ContainerStateRecord extends Envelope, ContainerStatus {
  readonly kind: 'container_state';
  readonly container: ContainerRef & { readonly image_id: string };
  readonly changes: readonly ContainerChange[];
  /** OOM kills this agent saw (`oom` events and OOMKilled turning true) since it started watching. */
  readonly oom_kills: number;
}

export type DsRecord = EventRecord | StatsRecord | DiskUsageRecord | InventoryRecord | GapRecord | AlertRecord | ContainerStateRecord;

export type RecordKind = DsRecord['kind'];
export const RECORD_KINDS: readonly RecordKind[] = ['event', 'stats', 'disk_usage', 'inventory', 'gap', 'alert', 'container_state'];

/** Compile-time exhaustiveness check for `switch (record.kind)`. */
export function assertNever(value: never): never {
  throw new Error(`unexpected value: ${JSON.stringify(value)}`);
}

/** The container a record is about, if any (Kafka keys, OTLP resources). */
export function containerOf(record: DsRecord): ContainerRef | undefined {
  switch (record.kind) {
    case 'event':
      return record.container;
    case 'stats':
    case 'container_state':
      return record.container;
    case 'disk_usage':
    case 'inventory':
    case 'gap':
    case 'alert':
      return undefined;
    default:
      return assertNever(record);
  }
}
