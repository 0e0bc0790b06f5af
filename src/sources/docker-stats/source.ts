import { setMaxListeners } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { DockerClient } from '../../docker/client.js';
import { errorCode, isAbortError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { containerRef, pickLabels, type ListedContainer } from '../../docker/containers.js';
import type { Source, SourceContext } from '../../pipeline/types.js';
import type { SourceOnceOptions } from '../../plugin.js';
import { componentName, type ContainerRef, type EventRecord } from '../../records.js';
import { ContainerSet } from './container-set.js';
import type { DockerStatsOptions } from './options.js';
import { statsRound, type RoundResult } from './round.js';
import { containerSelector, type ContainerFacts } from './selection.js';
import { everyInterval } from '../../util/ticker.js';

/** `once`: the gap between the priming round and the emitted one (the daemon samples once a second). */
export const ONCE_GAP_MS = 1000;

/**
 * The stats fan-out gets its own pool, sized to `concurrency`: a round must
 * not queue behind a smaller shared pool (on Docker < 25 every pool-full of
 * requests waits for its own daemon tick), nor starve the shared one. Its
 * connections outlive the interval, so a round does not reconnect N sockets.
 */
export function createStatsClient(docker: DockerClient, options: Pick<DockerStatsOptions, 'timeout' | 'concurrency' | 'interval'>, log: Logger): DockerClient {
  return new DockerClient(docker.connection, {
    timeoutMs: options.timeout,
    apiVersion: docker.apiVersion ?? undefined,
    log,
    connections: options.concurrency,
    keepAliveTimeoutMs: Math.min(options.interval + 5_000, 600_000),
  });
}

/** Running containers only: paused ones are not sampled (a `pause` event drops them too). */
function runningFilter(id?: string): string {
  return JSON.stringify(id ? { id: [id], status: ['running'] } : { status: ['running'] });
}

/**
 * Polls `GET /containers/{id}/stats?stream=false&one-shot=true` for every
 * selected running container once per interval and emits one `stats` record
 * per container. The container set comes from a full list at start and every
 * `resync`, kept current in between by lifecycle events (`ctx.onEvent`).
 */
export class DockerStatsSource implements Source {
  readonly type = 'docker_stats';
  readonly name: string;
  private readonly options: DockerStatsOptions;
  private readonly once: SourceOnceOptions | undefined;
  readonly set: ContainerSet;
  private lastListAt = Number.NEGATIVE_INFINITY;
  /** Set when a lookup failed or the daemon was unreachable: list again at the next tick. */
  private listStale = true;
  /** True while polls fail, so a down daemon is reported once, not every tick. */
  private failing = false;

  constructor(name: string, options: DockerStatsOptions, once?: SourceOnceOptions) {
    this.name = name;
    this.options = options;
    this.once = once;
    const keys = options.labels;
    const refOf = (c: ContainerFacts & { id: string }): ContainerRef => {
      return containerRef(c.id, c.name, c.image, c.labels, pickLabels(c.labels, keys));
    };
    this.set = new ContainerSet(containerSelector(options.include, options.exclude), refOf);
  }

  async run(ctx: SourceContext): Promise<void> {
    // Our own signal following ctx.signal: every in-flight request listens on it.
    const controller = new AbortController();
    setMaxListeners(this.options.concurrency + 16, controller.signal);
    const onAbort = (): void => controller.abort();
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    if (ctx.signal.aborted) controller.abort();
    const signal = controller.signal;
    const client = createStatsClient(ctx.docker, this.options, ctx.log);
    const unsubscribe = ctx.onEvent((event) => this.onEvent(ctx, event, signal));
    try {
      if (this.once) await this.runOnce(ctx, client, signal);
      else await this.runForever(ctx, client, signal);
    } finally {
      unsubscribe();
      ctx.signal.removeEventListener('abort', onAbort);
      await client.close();
    }
  }

  private async runForever(ctx: SourceContext, client: DockerClient, signal: AbortSignal): Promise<void> {
    await everyInterval(
      this.options.interval,
      signal,
      async () => {
        if (!ctx.hasCapacity()) {
          ctx.metrics.countSkippedTick(this.name, 'sinks_full');
          return;
        }
        const started = performance.now();
        if (!(await this.prepare(ctx, client, signal))) return;
        try {
          const result = await statsRound(ctx, client, this.set, this.roundOptions(signal, true));
          if (signal.aborted) return;
          ctx.metrics.pollDuration.observe({ source: this.name }, (performance.now() - started) / 1000);
          // A container that stopped may be restarting (restart policy, `docker restart`, a daemon
          // restart), and failed calls may mean the daemon went away: list again at the next tick
          // rather than at the next resync, which also makes a daemon outage show as a failed list.
          if (result.failed > 0 || result.vanished > 0) this.listStale = true;
          this.report(ctx, result);
        } catch (err) {
          // A bug, not a daemon problem: say so loudly, keep polling.
          ctx.metrics.pollErrors.inc({ source: this.name, code: errorCode(err) });
          ctx.log.error({ source: this.name, err }, 'stats round failed unexpectedly');
        }
      },
      () => ctx.metrics.countSkippedTick(this.name, 'busy'),
    );
  }

  /**
   * `dockstream once --source stats`: CPU % needs two samples, so one priming
   * round (not emitted), then after ONCE_GAP_MS the round that is emitted.
   * A container first seen in the second round has `cpu.percent: null`.
   */
  private async runOnce(ctx: SourceContext, client: DockerClient, signal: AbortSignal): Promise<void> {
    await client.negotiate(signal);
    await this.resync(ctx, signal);
    await statsRound(ctx, client, this.set, this.roundOptions(signal, false));
    try {
      await sleep(ONCE_GAP_MS, undefined, { signal });
    } catch {
      return;
    }
    await this.resync(ctx, signal);
    const result = await statsRound(ctx, client, this.set, this.roundOptions(signal, true));
    if (!signal.aborted) this.report(ctx, result);
  }

  private roundOptions(signal: AbortSignal, emit: boolean) {
    return { source: this.name, concurrency: this.options.concurrency, timeoutMs: this.options.timeout, emit, signal };
  }

  /** Negotiates the stats client and lists containers when due. False: skip this round (daemon unreachable). */
  private async prepare(ctx: SourceContext, client: DockerClient, signal: AbortSignal): Promise<boolean> {
    try {
      if (client.apiVersion === null) await client.negotiate(signal);
      if (this.listStale || performance.now() - this.lastListAt >= this.options.resync) await this.resync(ctx, signal);
      return true;
    } catch (err) {
      if (signal.aborted || isAbortError(err)) return false;
      this.listStale = true;
      ctx.metrics.pollErrors.inc({ source: this.name, code: errorCode(err) });
      this.fail(ctx, 'cannot list containers for stats; retrying next interval', err);
      return false;
    }
  }

  /** Full list of running containers; replaces the set (events that raced the list win). */
  private async resync(ctx: SourceContext, signal: AbortSignal): Promise<void> {
    this.set.beginList();
    const listed = await ctx.docker.getJson<ListedContainer[]>('/containers/json', { query: { filters: runningFilter() }, signal });
    const { added, removed } = this.set.applyList(listed);
    this.lastListAt = performance.now();
    this.listStale = false;
    ctx.log.debug({ source: this.name, containers: this.set.size, added, removed }, 'stats container list refreshed');
  }

  /** Lifecycle events: die/destroy/pause drop a container now; start/unpause/rename look it up. */
  private onEvent(ctx: SourceContext, event: EventRecord, signal: AbortSignal): void {
    const token = this.set.onEvent(event);
    if (!token) return;
    const id = event.actor.id;
    ctx.docker
      .getJson<ListedContainer[]>('/containers/json', { query: { filters: runningFilter(id) }, signal })
      .then((listed) =>
        this.set.finishLookup(
          id,
          token,
          listed.find((c) => c.Id === id),
        ),
      )
      .catch((err: unknown) => {
        this.set.finishLookup(id, token, undefined);
        if (signal.aborted || isAbortError(err)) return;
        this.listStale = true; // the next round lists everything again
        ctx.log.debug({ source: this.name, container: id, err }, 'container lookup after event failed');
      });
  }

  private report(ctx: SourceContext, result: RoundResult): void {
    if (result.failed > 0) {
      this.fail(ctx, 'some stats requests failed', result.firstError, { failed: result.failed, sampled: result.sampled });
      return;
    }
    if (this.failing) ctx.log.info({ source: this.name }, 'stats polling recovered');
    this.failing = false;
    ctx.metrics.markSuccess(componentName('source', this.name));
    ctx.log.debug({ source: this.name, sampled: result.sampled, vanished: result.vanished }, 'stats round done');
  }

  /** Warns on the first failing round only; later ones go to debug until a round succeeds. */
  private fail(ctx: SourceContext, message: string, err: unknown, extra: Record<string, unknown> = {}): void {
    const fields = { source: this.name, ...extra, err };
    if (this.failing) ctx.log.debug(fields, message);
    else ctx.log.warn(fields, message);
    this.failing = true;
  }
}
