import { errorCode, isAbortError } from '../../errors.js';
import { dockerState, inspectContainer, listContainers } from '../../docker/containers.js';
import type { Source, SourceContext } from '../../pipeline/types.js';
import type { EventRecord } from '../../records.js';
import { forEachLimit } from '../../util/limit.js';
import { everyInterval } from '../../util/ticker.js';
import { nowRfc3339 } from '../../util/units.js';
import type { DockerContainersOptions } from './options.js';
import { ContainerTracker } from './tracker.js';

/** Container events after which a container is inspected again (its state, health or restarts may have moved). */
const REINSPECT = new Set(['create', 'start', 'restart', 'die', 'kill', 'stop', 'pause', 'unpause', 'oom', 'health_status', 'update', 'rename']);

/**
 * `container_state` records: every container once when first seen, then on
 * each change of state, health, restart count, exit code or OOM kills.
 * Events of this daemon (from its events source, when one is configured)
 * mark a container for inspection; a periodic list catches up with what no
 * event said. Inspections run a few at a time (`concurrency`, the list's and
 * the events' together): a burst of events for one container while it waits
 * costs one inspect, and an event during its inspect one more after it, so
 * restarts are not merged away; the list leaves a container an event already
 * queued or is inspecting to that inspect.
 */
export class DockerContainersSource implements Source {
  readonly type = 'docker_containers';
  readonly name: string;
  private readonly options: DockerContainersOptions;
  private readonly once: boolean;
  private readonly tracker: ContainerTracker;
  /** Waiting for an inspect slot, in order (a Set keeps insertion order). */
  private readonly queued = new Set<string>();
  /** Being inspected; true when an event came meanwhile (inspect again after). */
  private readonly inspecting = new Map<string, boolean>();
  /** Inspects in flight, the resync's and the queue's together: at most `concurrency`. */
  private slots = 0;
  /** The resync's inspects waiting for a slot. */
  private readonly slotWaiters: Array<() => void> = [];

  constructor(name: string, options: DockerContainersOptions, once: boolean) {
    this.name = name;
    this.options = options;
    this.once = once;
    this.tracker = new ContainerTracker(options.labels);
  }

  async run(ctx: SourceContext): Promise<void> {
    // The agent starts sources once the daemon link negotiated, `once` too: negotiate only when nothing did.
    if (ctx.docker.apiVersion === null) await ctx.docker.negotiate(ctx.signal);
    if (this.once) {
      await this.sync(ctx);
      return;
    }
    const unsubscribe = ctx.onEvent((event) => this.onEvent(ctx, event));
    try {
      await everyInterval(
        this.options.resync,
        ctx.signal,
        async () => {
          try {
            await this.sync(ctx);
          } catch (err) {
            if (isAbortError(err) || ctx.signal.aborted) return;
            ctx.metrics.pollErrors.inc({ source: this.name, code: errorCode(err) });
            ctx.log.warn({ source: this.name, err }, 'cannot list containers; trying again at the next resync');
          }
        },
        () => ctx.metrics.countSkippedTick(this.name, 'busy'),
      );
    } finally {
      unsubscribe();
    }
  }

  /** The full list: new containers and ones whose listed state moved are inspected; missing ones are gone. */
  private async sync(ctx: SourceContext): Promise<void> {
    // Known before the list was asked for: one an event's inspect adds while the list is in flight
    // may be missing from it without being gone.
    const knownBefore = this.tracker.ids();
    const list = await listContainers(ctx.docker, ctx.signal);
    const seen = new Set(list.map((c) => c.Id));
    for (const id of knownBefore) if (!seen.has(id)) this.emitRemoved(ctx, id);
    // A health check's failing streak grows without an event: containers with one are looked at every resync.
    // A container an event has queued or under inspection is left to that inspect (it emits any change),
    // also when the event comes while this one waits for a slot: no second inspect of it at once.
    const due = list.filter((c) => {
      if (this.eventOwns(c.Id)) return false;
      const known = this.tracker.stateOf(c.Id);
      return known === undefined || known.health !== null || known.state !== dockerState(c.State ?? '');
    });
    const changed = new Set<string>();
    await forEachLimit(due, this.options.concurrency, async (c) => {
      await this.acquireSlot();
      try {
        if (!this.eventOwns(c.Id) && (await this.inspectOne(ctx, c.Id))) changed.add(c.Id);
      } finally {
        this.releaseSlot(ctx);
      }
    });
    if (this.once) return;
    // Every container's state once per resync, changed or not: uptime stays current, scraped series stay alive.
    // One left to an event's inspect too, when known: that inspect emits only if something changed.
    const time = nowRfc3339();
    for (const c of list) {
      if (changed.has(c.Id)) continue;
      const record = this.tracker.current(c.Id, ctx.host(), time);
      if (record) ctx.emit(record);
    }
  }

  private onEvent(ctx: SourceContext, event: EventRecord): void {
    if (event.type !== 'container') return;
    const id = event.actor.id;
    // Podman's `remove` arrives as `destroy` (normalizeEvent maps it before any listener).
    if (event.action === 'destroy') {
      this.emitRemoved(ctx, id);
      return;
    }
    if (!REINSPECT.has(event.action)) return;
    if (event.action === 'oom') this.tracker.oom(id);
    this.schedule(ctx, id);
  }

  private schedule(ctx: SourceContext, id: string): void {
    if (this.inspecting.has(id)) {
      this.inspecting.set(id, true);
      return;
    }
    if (this.queued.has(id)) return;
    this.queued.add(id);
    this.pump(ctx);
  }

  private pump(ctx: SourceContext): void {
    while (this.slots < this.options.concurrency && this.queued.size > 0 && !ctx.signal.aborted) {
      const id = this.queued.values().next().value as string;
      this.queued.delete(id);
      this.slots++;
      void this.inspectOne(ctx, id).finally(() => this.releaseSlot(ctx));
    }
  }

  /** Queued or being inspected. */
  private eventOwns(id: string): boolean {
    return this.inspecting.has(id) || this.queued.has(id);
  }

  /** A slot for one of the resync's inspects, out of the `concurrency` the queue uses too. */
  private acquireSlot(): Promise<void> {
    if (this.slots < this.options.concurrency) {
      this.slots++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.slotWaiters.push(resolve));
  }

  /** An inspect is over: its slot goes to the queue first (events are news), else to a waiting resync inspect. */
  private releaseSlot(ctx: SourceContext): void {
    this.slots--;
    this.pump(ctx);
    while (this.slots < this.options.concurrency && this.slotWaiters.length > 0) {
      this.slots++;
      (this.slotWaiters.shift() as () => void)();
    }
  }

  /** Inspects `id`; true when a record went out. */
  private async inspectOne(ctx: SourceContext, id: string): Promise<boolean> {
    this.inspecting.set(id, false);
    try {
      const raw = await inspectContainer(ctx.docker, id, ctx.signal);
      if (raw === null) {
        this.emitRemoved(ctx, id);
        return true;
      }
      const record = this.tracker.observe(raw, ctx.host(), nowRfc3339());
      if (record) ctx.emit(record);
      return record !== null;
    } catch (err) {
      if (!isAbortError(err) && !ctx.signal.aborted) {
        ctx.metrics.pollErrors.inc({ source: this.name, code: errorCode(err) });
        ctx.log.debug({ source: this.name, container: id, err }, 'container inspect failed; the next resync tries again');
      }
      return false;
    } finally {
      const again = this.inspecting.get(id) === true;
      this.inspecting.delete(id);
      if (again) this.schedule(ctx, id);
    }
  }

  private emitRemoved(ctx: SourceContext, id: string): void {
    const record = this.tracker.remove(id, ctx.host(), nowRfc3339());
    if (record) ctx.emit(record);
  }
}
