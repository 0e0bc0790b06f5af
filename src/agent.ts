import { hostname } from 'node:os';
import { join } from 'node:path';
import pRetry from 'p-retry';
import type { Config } from './config/schema.js';
import { DockerClient } from './docker/client.js';
import { resolveConnection } from './docker/host.js';
import { describeError, DsError, isAbortError } from './errors.js';

import type { Logger } from './log.js';
import { EventsCursor, loadCursor, type CursorState } from './pipeline/cursor.js';
import { Pipeline } from './pipeline/pipeline.js';
import { planReload } from './reload-plan.js';
import { prepareStateDir } from './state-dir.js';
import type { Sink, Source, SourceContext, SourceOnceOptions } from './pipeline/types.js';
import type { DsRecord, HostInfo } from './records.js';
import { SINK_PLUGINS } from './sinks/index.js';
import { SOURCE_PLUGINS } from './sources/index.js';
import { SelfMetrics } from './telemetry/metrics.js';
import { startTelemetry, type AgentTelemetry } from './telemetry/agent-telemetry.js';

/** A pinned API version the daemon cannot serve (negotiate.ts): not healed by retrying. */
const isConfigProblem = (err: unknown): boolean => err instanceof DsError && err.code === 'CONFIG_INVALID';

export interface AgentOptions {
  /** `-H`: overrides the config's daemon address. */
  readonly dockerHost?: string | undefined;
  readonly metrics?: SelfMetrics;
}

/** Until the daemon answered, records carry the local host name. */
function provisionalHost(): HostInfo {
  return { name: hostname(), daemon_id: '', engine: 'docker', version: '', api_version: '' };
}

export function createDockerClient(config: Config, log: Logger, dockerHost?: string): DockerClient {
  const connection = resolveConnection({ cliHost: dockerHost, host: config.docker.host, tls: config.docker.tls });
  return new DockerClient(connection, { timeoutMs: config.docker.timeout, apiVersion: config.docker.api_version, log });
}

export function createSources(config: Config, once?: SourceOnceOptions, only?: readonly string[]): Source[] {
  return Object.entries(config.sources)
    .filter(([name]) => !only || only.includes(name))
    .map(([name, sc]) => {
      const plugin = SOURCE_PLUGINS.find((p) => p.type === sc.type);
      if (!plugin) throw new Error(`unknown source type ${sc.type}`);
      const { type: _type, ...options } = sc;
      return plugin.create(name, options, once);
    });
}

interface RunningSource {
  readonly source: Source;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/**
 * Wiring and lifecycle: sinks start first, sources last; shutdown stops the
 * sources, drains the sinks within the deadline, and closes everything.
 * `reload` applies a new config without losing queued records or the cursor.
 */
export class Agent {
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  readonly pipeline: Pipeline;
  /** /metrics, /healthz, /readyz once `run()` started them; null when off or the address could not be bound. */
  telemetry: AgentTelemetry | null = null;
  /** Sources that stopped on an error, with why (/readyz); a reload that restarts one clears it. */
  readonly failedSources = new Map<string, string>();
  /** One at-least-once cursor per events source. */
  readonly cursors = new Map<string, EventsCursor>();
  private currentConfig: Config;
  private currentDocker: DockerClient;
  private readonly dockerHostOverride: string | undefined;
  private readonly initialSources: readonly Source[];
  private readonly running = new Map<string, RunningSource>();
  private host: HostInfo = provisionalHost();
  private readonly sourcesStop = new AbortController();
  private readonly drainStop = new AbortController();
  private runPromise: Promise<void> | null = null;
  private stopping = false;
  private reloading: Promise<void> = Promise.resolve();

  constructor(config: Config, log: Logger, options: AgentOptions = {}) {
    this.currentConfig = config;
    this.log = log;
    this.metrics = options.metrics ?? new SelfMetrics();
    this.dockerHostOverride = options.dockerHost;
    this.currentDocker = createDockerClient(config, log.child({ component: 'docker' }), options.dockerHost);
    const sinks = Object.entries(config.sinks).map(([name, sc]) => createSink(name, sc, log, this.metrics, () => this.host));
    this.pipeline = new Pipeline(config, sinks, {
      log,
      metrics: this.metrics,
      host: () => this.host,
      onSettled: (sink, records) => {
        for (const cursor of this.cursors.values()) cursor.settled(sink, records);
      },
    });
    this.initialSources = createSources(config);
  }

  get config(): Config {
    return this.currentConfig;
  }

  get docker(): DockerClient {
    return this.currentDocker;
  }

  get hostInfo(): HostInfo {
    return this.host;
  }

  get sources(): readonly Source[] {
    return this.running.size > 0 ? [...this.running.values()].map((r) => r.source) : this.initialSources;
  }

  /** Runs until `stop()`; resolves once everything is shut down. */
  run(): Promise<void> {
    this.runPromise ??= this.runInner();
    return this.runPromise;
  }

  /** First call: graceful shutdown within `shutdown_timeout`. Second call: abort the drain. */
  async stop(): Promise<void> {
    if (this.stopping) {
      this.log.warn('second stop request; aborting drain');
      this.drainStop.abort();
      return;
    }
    this.stopping = true;
    this.log.info({ deadline_ms: this.config.shutdown_timeout }, 'stopping');
    this.sourcesStop.abort();
    await this.runPromise;
  }

  /**
   * SIGHUP: apply a validated config. Unchanged sinks and sources keep running;
   * a changed sink gets a new instance behind the same buffer (queued records
   * go to it); a changed events source resumes exactly where the old one
   * stopped. Reloads are applied one at a time.
   */
  reload(next: Config): Promise<void> {
    this.reloading = this.reloading.then(() => this.applyReload(next)).catch((err: unknown) => {
      this.log.error({ err: describeError(err) }, 'reload failed part-way; running with what was applied');
    });
    return this.reloading;
  }

  private async applyReload(requested: Config): Promise<void> {
    if (this.stopping) return;
    const before = this.currentConfig;
    const plan = planReload(before, requested);
    if (plan.needsRestart.length > 0) this.log.warn({ settings: plan.needsRestart }, 'these settings change at the next restart; keeping the current values');
    const next: Config = { ...requested, state_dir: before.state_dir, telemetry: before.telemetry };
    this.log.level = next.log_level;

    const restart = new Set([...plan.sources.restart, ...plan.sources.remove]);
    const checkpoints = new Map<string, CursorState | null>();
    await Promise.all(
      [...restart].map(async (name) => {
        const r = this.running.get(name);
        checkpoints.set(name, this.checkpoint(r?.source));
        await this.stopSource(name);
      }),
    );
    const oldDocker = plan.dockerChanged ? this.currentDocker : null;
    if (plan.dockerChanged) this.currentDocker = createDockerClient(next, this.log.child({ component: 'docker' }), this.dockerHostOverride);

    const deadline = AbortSignal.timeout(next.shutdown_timeout);
    await Promise.all(plan.sinks.remove.map((name) => this.pipeline.removeSink(name, deadline)));
    for (const name of plan.sinks.add) {
      const { sink, defaults } = createSink(name, next.sinks[name] as Config['sinks'][string], this.log, this.metrics, () => this.host);
      await this.pipeline.addSink(sink, next.sinks[name] as Config['sinks'][string], defaults);
    }
    await Promise.all(
      plan.sinks.replace.map(async (name) => {
        const runner = this.pipeline.runners.find((r) => r.name === name);
        const { sink, defaults } = createSink(name, next.sinks[name] as Config['sinks'][string], this.log, this.metrics, () => this.host);
        await runner?.replace(sink, next.sinks[name] as Config['sinks'][string], defaults);
      }),
    );
    this.currentConfig = next;
    this.pipeline.setRoutes(next);

    for (const name of plan.sources.remove) {
      await this.cursors.get(name)?.flush();
      this.cursors.delete(name);
    }
    this.openCursors();
    const toStart = [...plan.sources.add, ...plan.sources.restart];
    for (const source of createSources(next, undefined, toStart)) {
      const resume = checkpoints.get(source.name);
      this.startSource(source, resume ?? undefined);
    }
    await oldDocker?.close();
    this.log.info({ sinks: plan.sinks, sources: plan.sources, docker: plan.dockerChanged }, 'configuration reloaded');
  }

  /** Where a running events source stands (what it emitted), to resume a replacement without duplicates. */
  private checkpoint(source: Source | undefined): CursorState | null {
    const snap = source?.checkpoint?.();
    return snap ? { time_nano: snap.time_nano, keys: snap.keys, daemon_id: this.host.daemon_id, saved_at: '' } : null;
  }

  /** Cursors live in `<state_dir>/cursor/<source>.json`; their sink lists follow the config. */
  private openCursors(): void {
    for (const [name, sc] of Object.entries(this.config.sources)) {
      if (sc.type !== 'docker_events') continue;
      const sinks = Object.entries(this.config.sinks)
        .filter(([, k]) => k.inputs.includes(name) && (!k.kinds || k.kinds.includes('event')))
        .map(([sinkName]) => sinkName);
      const existing = this.cursors.get(name);
      if (existing) {
        existing.setSinks(sinks);
        continue;
      }
      const path = join(this.config.state_dir, 'cursor', `${name}.json`);
      let initial = null;
      try {
        initial = loadCursor(path);
      } catch (err) {
        this.log.error({ source: name, path, err: describeError(err) }, 'events cursor unreadable; starting without it');
      }
      const interval = (sc as { cursor_interval?: number }).cursor_interval ?? 1000;
      this.cursors.set(name, new EventsCursor(path, sinks, interval, this.log, initial));
    }
  }

  private async runInner(): Promise<void> {
    prepareStateDir(this.config.state_dir);
    this.openCursors();
    await this.pipeline.open();
    this.pipeline.start();
    this.telemetry = await startTelemetry(this, this.sourcesStop.signal);
    await this.waitForDaemon();
    const signal = this.sourcesStop.signal;
    if (!signal.aborted) for (const source of this.initialSources) this.startSource(source);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    await this.reloading;
    await Promise.all([...this.running.values()].map((r) => r.done));
    const deadline = setTimeout(() => this.drainStop.abort(), this.config.shutdown_timeout);
    try {
      await this.pipeline.drain(this.drainStop.signal);
    } finally {
      clearTimeout(deadline);
      await Promise.all([...this.cursors.values()].map((c) => c.flush()));
      await this.docker.close();
      await this.telemetry?.close();
      this.log.info('stopped');
    }
  }

  private startSource(source: Source, resumeFrom?: CursorState): void {
    const stop = new AbortController();
    const signal = AbortSignal.any([this.sourcesStop.signal, stop.signal]);
    this.failedSources.delete(source.name);
    const done = source.run(this.sourceContext(source, signal, resumeFrom)).catch((err: unknown) => {
      if (isAbortError(err)) return;
      this.failedSources.set(source.name, describeError(err));
      this.log.error({ source: source.name, err: describeError(err) }, 'source failed');
    });
    this.running.set(source.name, { source, stop, done });
  }

  private async stopSource(name: string): Promise<void> {
    const r = this.running.get(name);
    if (!r) return;
    r.stop.abort();
    await r.done;
    this.running.delete(name);
    this.failedSources.delete(name);
  }

  /**
   * A systemd service must survive dockerd starting after it: retry with
   * backoff, log it. A pinned API version the daemon cannot serve will not
   * heal by waiting: it fails the start (exit 78, main.ts).
   */
  private async waitForDaemon(): Promise<void> {
    const signal = this.sourcesStop.signal;
    try {
      await pRetry(
        async () => {
          await this.docker.negotiate(signal);
          this.host = (await this.docker.describe(signal)).host;
        },
        {
          retries: Number.POSITIVE_INFINITY,
          minTimeout: 500,
          maxTimeout: 30_000,
          randomize: true,
          signal,
          shouldRetry: ({ error }) => !isAbortError(error) && !isConfigProblem(error),
          onFailedAttempt: ({ error, attemptNumber }) => {
            if (!signal.aborted && !isConfigProblem(error)) this.log.warn({ attempt: attemptNumber, host: this.docker.connection.display, err: describeError(error) }, 'docker daemon unreachable; retrying');
          },
        },
      );
      this.log.info({ host: this.docker.connection.display, engine: this.host.engine, version: this.host.version, apiVersion: this.host.api_version }, 'connected to docker daemon');
    } catch (err) {
      if (!signal.aborted && !isAbortError(err)) throw err;
    }
  }

  private sourceContext(source: Source, signal: AbortSignal, resumeFrom?: CursorState): SourceContext {
    const cursor = this.cursors.get(source.name);
    return {
      initialCursor: () => resumeFrom ?? cursor?.current ?? null,
      docker: this.docker,
      host: () => this.host,
      setHost: (h) => {
        this.host = h;
      },
      emit: cursor
        ? (record: DsRecord) => {
            if (record.kind === 'event') cursor.track(record);
            this.pipeline.emit(source.name, record);
          }
        : (record: DsRecord) => this.pipeline.emit(source.name, record),
      hasCapacity: () => this.pipeline.hasCapacity(source.name),
      onEvent: (listener) => this.pipeline.onEvent(listener),
      log: this.log.child({ component: `source:${source.name}` }),
      metrics: this.metrics,
      signal,
      stateDir: this.config.state_dir,
    };
  }
}

export function createSink(name: string, sc: Config['sinks'][string], log: Logger, metrics: SelfMetrics, host: () => HostInfo) {
  const plugin = SINK_PLUGINS.find((p) => p.type === sc.type);
  if (!plugin) throw new Error(`unknown sink type ${sc.type}`);
  const { type: _t, inputs: _i, kinds: _k, batch: _b, buffer: _bu, retry: _r, ...options } = sc;
  const sink: Sink = plugin.create(name, options, { log: log.child({ component: `sink:${name}` }), metrics, host });
  return { sink, defaults: plugin.batchDefaults };
}
