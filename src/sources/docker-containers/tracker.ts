/**
 * What the agent knows of each container and what changed: pure bookkeeping
 * for the docker_containers source (no daemon calls), fed with inspect
 * results and `oom` events, answering with the records to emit.
 */
import { containerRef, pickLabels, statusOf, type RawInspect } from '../../docker/containers.js';
import { RECORD_SCHEMA_VERSION, type ContainerChange, type ContainerStateRecord, type ContainerStatus, type HostInfo } from '../../records.js';

interface Known {
  readonly record: ContainerStateRecord;
  /** `oom` events since the last inspect. */
  oomEvents: number;
  /** OOM kills of the container's earlier runs (a run: one StartedAt). */
  readonly pastKills: number;
  /** `oom` events of the current run, and whether an inspect of it said OOMKilled. */
  readonly runEvents: number;
  readonly runOomKilled: boolean;
}

/** States in which the current run (StartedAt) is over, and OOMKilled speaks of it. */
const RUN_ENDED: ReadonlySet<string> = new Set(['exited', 'dead', 'restarting']);

export class ContainerTracker {
  private readonly known = new Map<string, Known>();

  constructor(private readonly labelKeys: readonly string[]) {}

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
    // OOM kills seen, per run (one StartedAt): its `oom` events, or one when OOMKilled says so at its end
    // without any (Podman 5 sends none). Docker 20.10 sends the event while the container still runs and
    // sets OOMKilled at its exit: the event and the flag are the same kill. OOMKilled speaks of the last
    // exit, so a running container's is its previous run's (20.10 keeps it through a restart): counted
    // only once the run ended. Events pending when a new run shows: one is the new run's when it ended
    // OOM-killed, the others belong to the run before.
    const pending = before?.oomEvents ?? 0;
    const newRun = before !== undefined && before.record.started_at !== status.started_at;
    const ended = RUN_ENDED.has(status.state);
    const runKills = (events: number, flag: boolean): number => Math.max(events, flag ? 1 : 0);
    const toNewRun = newRun && status.oom_killed && ended ? Math.min(pending, 1) : 0;
    const pastKills =
      before === undefined ? 0 : newRun ? before.pastKills + runKills(before.runEvents + pending - toNewRun, before.runOomKilled) : before.pastKills;
    const runEvents = before === undefined ? 0 : newRun ? toNewRun : before.runEvents + pending;
    const runOomKilled = (status.oom_killed && ended) || (before !== undefined && !newRun && before.runOomKilled);
    const oomKills = pastKills + runKills(runEvents, runOomKilled);
    if (oomKills !== (prev?.oom_kills ?? 0) && !changes.includes('oom_killed') && prev !== undefined) changes.push('oom_killed');
    if (changes.length === 0) {
      if (before) this.known.set(id, { ...before, oomEvents: 0, pastKills, runEvents, runOomKilled });
      return null;
    }
    const labels = raw.Config?.Labels ?? {};
    const ref = containerRef(id, raw.Name ?? '', raw.Config?.Image ?? '', labels, pickLabels(labels, this.labelKeys));
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
    this.known.set(id, { record, oomEvents: 0, pastKills, runEvents, runOomKilled });
    return record;
  }

  /**
   * The container's current record again, with nothing changed (`changes: []`):
   * what a resync reports for every container, so that series stay current
   * (uptime) and alive in scrape-based sinks.
   */
  current(id: string, host: HostInfo, time: string): ContainerStateRecord | null {
    const k = this.known.get(id);
    return k ? { ...k.record, time, host, changes: [] } : null;
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
function changesBetween(prev: ContainerStatus, next: ContainerStatus): ContainerChange[] {
  const changes: ContainerChange[] = [];
  if (prev.state !== next.state) changes.push('state');
  if ((prev.health?.status ?? null) !== (next.health?.status ?? null)) changes.push('health');
  if (prev.restart_count !== next.restart_count) changes.push('restart_count');
  if (prev.oom_killed !== next.oom_killed) changes.push('oom_killed');
  if (prev.exit_code !== next.exit_code) changes.push('exit_code');
  return changes;
}
