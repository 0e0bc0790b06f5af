/**
 * Container facts every source shares: Compose / Swarm identity from labels,
 * Docker's state words, and a container's status from its inspect body.
 * Checked against recordings of every engine (test/fixtures/engines/*
 * inspect-*.json; findings in test/fixtures/README.md).
 */
import { DockerHttpError } from '../errors.js';
import type { ComposeIdentity, ContainerHealth, ContainerRef, ContainerStatus, InventoryContainer, SwarmIdentity } from '../records.js';
import { forEachLimit } from '../util/limit.js';
import type { DockerClient } from './client.js';

/** `com.docker.compose.*` and `com.docker.swarm.*` labels, as Compose and Swarm set them. */
const COMPOSE_PROJECT = 'com.docker.compose.project';
const COMPOSE_SERVICE = 'com.docker.compose.service';
const COMPOSE_NUMBER = 'com.docker.compose.container-number';
const SWARM_SERVICE = 'com.docker.swarm.service.name';
const SWARM_TASK = 'com.docker.swarm.task.name';
const SWARM_NODE = 'com.docker.swarm.node.id';

interface ContainerIdentity {
  readonly compose?: ComposeIdentity;
  readonly swarm?: SwarmIdentity;
}

/** Compose and Swarm identity from a container's labels (event attributes carry them too). */
export function identityOf(labels: Readonly<Record<string, string>>): ContainerIdentity {
  const project = labels[COMPOSE_PROJECT];
  const service = labels[COMPOSE_SERVICE];
  const swarmService = labels[SWARM_SERVICE];
  const number = Number.parseInt(labels[COMPOSE_NUMBER] ?? '', 10);
  return {
    ...(project !== undefined && service !== undefined ? { compose: { project, service, number: Number.isNaN(number) ? null : number } } : {}),
    ...(swarmService !== undefined ? { swarm: { service: swarmService, task: labels[SWARM_TASK] ?? null, node_id: labels[SWARM_NODE] ?? null } } : {}),
  };
}

/** A container reference with its identity; `labels` are the ones a source was asked to copy. */
export function containerRef(
  id: string,
  name: string,
  image: string,
  allLabels: Readonly<Record<string, string>>,
  labels?: Readonly<Record<string, string>>,
): ContainerRef {
  return { id, name: name.startsWith('/') ? name.slice(1) : name, image, ...(labels ? { labels } : {}), ...identityOf(allLabels) };
}

/** The labels named in `keys` that the container has; undefined when no keys are configured. */
export function pickLabels(labels: Readonly<Record<string, string>>, keys: readonly string[]): Record<string, string> | undefined {
  if (keys.length === 0) return undefined;
  const picked: Record<string, string> = {};
  // Own keys only: a configured key such as `constructor` must not pick up Object.prototype's.
  for (const key of keys) if (Object.hasOwn(labels, key)) picked[key] = labels[key] as string;
  return picked;
}

/** Docker's state words: Podman 5 lists an exited container as `stopped`. */
export function dockerState(state: string): string {
  return state === 'stopped' ? 'exited' : state;
}

/** What the agent reads of `GET /containers/{id}/json`. */
export interface RawInspect {
  readonly Id?: string;
  readonly Name?: string;
  readonly Image?: string;
  readonly RestartCount?: number;
  readonly State?: {
    readonly Status?: string;
    readonly OOMKilled?: boolean;
    readonly ExitCode?: number;
    readonly StartedAt?: string;
    readonly FinishedAt?: string;
    readonly Health?: { readonly Status?: string; readonly FailingStreak?: number } | null;
  };
  readonly Config?: { readonly Image?: string; readonly Labels?: Readonly<Record<string, string>> | null };
}

/** Docker's zero time (`0001-01-01T00:00:00Z`) means never. */
function timeOrNull(value: string | undefined): string | null {
  return value === undefined || value === '' || value.startsWith('0001-01-01') ? null : value;
}

function healthOf(raw: NonNullable<RawInspect['State']>['Health']): ContainerHealth | null {
  // Podman 4 puts an empty Health ({Status: ""}) on every container without a check.
  const status = raw?.Status;
  if (status !== 'starting' && status !== 'healthy' && status !== 'unhealthy') return null;
  return { status, failing_streak: raw?.FailingStreak ?? 0 };
}

/** A container's status from its inspect body, in Docker's words. */
export function statusOf(raw: RawInspect): ContainerStatus {
  const state = raw.State ?? {};
  const status = dockerState(state.Status ?? '');
  const finishedAt = timeOrNull(state.FinishedAt);
  return {
    state: status,
    health: healthOf(state.Health),
    restart_count: raw.RestartCount ?? 0,
    oom_killed: state.OOMKilled === true,
    // A container that never ran to an end has no exit code worth reporting (Docker says 0).
    exit_code: finishedAt === null && status !== 'exited' && status !== 'dead' ? null : (state.ExitCode ?? null),
    started_at: timeOrNull(state.StartedAt),
    finished_at: finishedAt,
  };
}

/** The inspect body of a container, or null when it is gone (404). */
export async function inspectContainer(docker: DockerClient, id: string, signal: AbortSignal): Promise<RawInspect | null> {
  try {
    return await docker.getJson<RawInspect>(`/containers/${encodeURIComponent(id)}/json`, { signal });
  } catch (err) {
    if (err instanceof DockerHttpError && err.status === 404) return null;
    throw err;
  }
}

/** One entry of `GET /containers/json`. */
export interface ListedContainer {
  readonly Id: string;
  readonly Names?: readonly string[] | null;
  readonly Image?: string;
  readonly State?: string;
  readonly Labels?: Readonly<Record<string, string>> | null;
}

/** Every container, running or not. */
export function listContainers(docker: DockerClient, signal: AbortSignal): Promise<ListedContainer[]> {
  return docker.getJson<ListedContainer[]>('/containers/json', { query: { all: 1 }, signal });
}

/** Inspects at a time while taking an inventory: a few, so that a large host is not a burst on the daemon. */
const INSPECT_CONCURRENCY = 8;

/**
 * Every container with its identity and status: the list, then each one
 * inspected (bounded). A container gone between the two keeps its list state
 * only.
 */
export async function inventoryOf(docker: DockerClient, signal: AbortSignal): Promise<InventoryContainer[]> {
  const list = await listContainers(docker, signal);
  const statuses = new Map<string, ContainerStatus>();
  await forEachLimit(list, INSPECT_CONCURRENCY, async (c) => {
    const raw = await inspectContainer(docker, c.Id, signal);
    if (raw) statuses.set(c.Id, statusOf(raw));
  });
  return list.map((c) => {
    const labels = c.Labels ?? {};
    const ref = containerRef(c.Id, c.Names?.[0] ?? '', c.Image ?? '', labels);
    const { state, ...status } = statuses.get(c.Id) ?? { state: dockerState(c.State ?? '') };
    return {
      id: ref.id,
      name: ref.name,
      image: ref.image,
      state,
      labels,
      ...status,
      ...(ref.compose ? { compose: ref.compose } : {}),
      ...(ref.swarm ? { swarm: ref.swarm } : {}),
    };
  });
}
