/**
 * What the agent knows of each container and what changed: pure bookkeeping
 * for the docker_containers source (no daemon calls), fed with inspect
 * results and `oom` events, answering with the records to emit.
 */
import { containerRef, statusOf, type RawInspect } from '../../docker/containers.js';
import { RECORD_SCHEMA_VERSION, type ContainerChange, type ContainerStateRecord, type ContainerStatus, type HostInfo } from '../../records.js';

interface Known {
  readonly record: ContainerStateRecord;
  /** `oom` events since the last inspect: an OOMKilled turning true that they explain is not counted twice. */
  oomEvents: number;
}

export class ContainerTracker {
  private readonly known = new Map<string, Known>();

  constructor(private readonly labelKeys: readonly string[]) {}

  get size(): number {
    return this.known.size;
  }

  has(id: string): boolean {
    return this.known.has(id);
  }

  ids(): string[] {
    return [...this.known.keys()];
  }

  stateOf(id: string): ContainerStatus | undefined {
    return this.known.get(id)?.record;
  }

  /** An `oom` event: one kill more (Docker sends one per kill; Podman none). */
  oom(id: string): void {
    const k = this.known.get(id);
    if (k) k.oomEvents++;
  }

  /** An inspect answer: the record to emit when something changed (or the container is new), else null. */
  observe(raw: RawInspect, host: HostInfo, time: string): ContainerStateRecord | null {
    const id = raw.Id ?? '';
    const status = statusOf(raw);
    const before = this.known.get(id);
    const prev = before?.record;
    const changes: ContainerChange[] = prev === undefined ? ['first_seen'] : changesBetween(prev, status);
    // OOM kills seen: `oom` events, or OOMKilled turning true without one (Podman 5 sends none).
    const turnedOom = status.oom_killed && (prev === undefined || !prev.oom_killed);
    const oomKills = (prev?.oom_kills ?? 0) + Math.max(before?.oomEvents ?? 0, turnedOom ? 1 : 0);
    if (oomKills !== (prev?.oom_kills ?? 0) && !changes.includes('oom_killed') && prev !== undefined) changes.push('oom_killed');
    if (changes.length === 0) {
      if (before) before.oomEvents = 0;
      return null;
    }
    const labels = raw.Config?.Labels ?? {};
    const picked = this.labelKeys.length === 0 ? undefined : Object.fromEntries(this.labelKeys.flatMap((k) => (labels[k] === undefined ? [] : [[k, labels[k]]])));
    const ref = containerRef(id, raw.Name ?? '', raw.Config?.Image ?? '', labels, picked);
    const record: ContainerStateRecord = {
      kind: 'container_state',
      schema: RECORD_SCHEMA_VERSION,
      time,
      host,
      container: { ...ref, image_id: raw.Image ?? '' },
      ...status,
      changes,
      oom_kills: oomKills,
    };
    this.known.set(id, { record, oomEvents: 0 });
    return record;
  }

  /** The container is gone (destroy event, or missing from a list): its last record, marked removed. */
  remove(id: string, host: HostInfo, time: string): ContainerStateRecord | null {
    const k = this.known.get(id);
    if (!k) return null;
    this.known.delete(id);
    return { ...k.record, time, host, state: 'removed', changes: ['removed'] };
  }
}

/** What differs between two states, in the record's words. */
export function changesBetween(prev: ContainerStatus, next: ContainerStatus): ContainerChange[] {
  const changes: ContainerChange[] = [];
  if (prev.state !== next.state) changes.push('state');
  if ((prev.health?.status ?? null) !== (next.health?.status ?? null)) changes.push('health');
  if (prev.restart_count !== next.restart_count) changes.push('restart_count');
  if (prev.oom_killed !== next.oom_killed) changes.push('oom_killed');
  if (prev.exit_code !== next.exit_code) changes.push('exit_code');
  return changes;
}
