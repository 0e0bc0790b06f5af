import { LOCAL_DAEMON, type Config } from '../config/schema.js';
import type { DockerClient } from '../docker/client.js';
import type { ConnectionSpec } from '../docker/host.js';
import { describeError, isAbortError } from '../errors.js';
import type { Logger } from '../log.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { Source, SourceContext } from '../pipeline/types.js';
import type { PluginRegistry } from '../plugin.js';
import { componentName, type HostInfo } from '../records.js';
import { prepareStateDir } from '../state-dir.js';
import { abortable } from '../util/abortable.js';
import { startTelemetry, type AgentTelemetry } from '../telemetry/agent-telemetry.js';
import { SelfMetrics } from '../telemetry/metrics.js';
import { createSink, createSources } from './components.js';
import { isConfigProblem } from './daemon-wait.js';
import { DaemonLink, daemonsInUse } from './daemons.js';
import { applyReload, type ReloadTarget } from './reload.js';

export interface AgentOptions {
  /** The source and sink types the config may name. */
  readonly plugins: PluginRegistry;
  /** `-H`: overrides the local daemon's address. */
  readonly dockerHost?: string | undefined;
  /** The addresses of the daemons the config reads, by name, when already resolved (main.ts: for the start log); else resolved here. */
  readonly connections?: ReadonlyMap<string, ConnectionSpec>;
  readonly metrics?: SelfMetrics;
}

interface RunningSource {
  readonly source: Source;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/**
 * Lifecycle: sinks start first; each daemon is waited for on its own and its
 * sources start once it answered; shutdown stops the sources, drains the
 * sinks within the deadline, lets the sources persist what they keep (the
 * events cursor), and closes everything. SIGHUP reloads go through reload.ts
 * one at a time.
 */
export class Agent implements ReloadTarget {
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  readonly pipeline: Pipeline;
  readonly plugins: PluginRegistry;
  /** /metrics, /healthz, /readyz once `run()` started them; null when off or the address could not be bound. */
  telemetry: AgentTelemetry | null = null;
  /** Sources that stopped on an error, with why (/readyz); a reload that restarts one clears it. */
  readonly failedSources = new Map<string, string>();
  /** The daemons some source reads, by configured name. */
  readonly daemons = new Map<string, DaemonLink>();
  readonly dockerHostOverride: string | undefined;
  private currentConfig: Config;
  private readonly initialSources: readonly Source[];
  private readonly running = new Map<string, RunningSource>();
  private readonly sourcesStop = new AbortController();
  private readonly drainStop = new AbortController();
  private runPromise: Promise<void> | null = null;
  private stopping = false;
  private reloading: Promise<void> = Promise.resolve();
  /** A daemon that can never be served as configured (a pinned API version): the run ends with it (exit 78). */
  private fatal: Error | null = null;

  constructor(config: Config, log: Logger, options: AgentOptions) {
    this.currentConfig = config;
    this.log = log;
    this.plugins = options.plugins;
    this.metrics = options.metrics ?? new SelfMetrics();
    this.dockerHostOverride = options.dockerHost;
    for (const name of daemonsInUse(config)) this.linkDaemon(name, options.connections?.get(name));
    const sinks = Object.entries(config.sinks).map(([name, sc]) => this.createSink(name, sc));
    this.pipeline = new Pipeline(config, sinks, { log, metrics: this.metrics, host: () => this.hostInfo });
    this.initialSources = createSources(config, this.plugins);
  }

  get config(): Config {
    return this.currentConfig;
  }

  set config(next: Config) {
    this.currentConfig = next;
  }

  /** The identity stamped on what no daemon's source made (sink gap records): the first daemon's. */
  get hostInfo(): HostInfo {
    return this.firstDaemon().host;
  }

  /** The daemon source `name` reads (its `daemon:`, else the local one). */
  daemonOf(name: string): string {
    return this.config.sources[name]?.daemon ?? LOCAL_DAEMON;
  }

  get sources(): readonly Source[] {
    return this.running.size > 0 ? [...this.running.values()].map((r) => r.source) : this.initialSources;
  }

  get isStopping(): boolean {
    return this.stopping;
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
   * SIGHUP: apply a validated config (reload.ts). Unchanged sinks and sources
   * keep running. Reloads are applied one at a time.
   */
  reload(next: Config): Promise<void> {
    this.reloading = this.reloading
      .then(() => applyReload(this, next))
      .catch((err: unknown) => {
        this.log.error({ err }, 'reload failed part-way; running with what was applied');
      });
    return this.reloading;
  }

  createSink(name: string, sc: Config['sinks'][string]) {
    return createSink(name, sc, this.plugins, this.log, this.metrics, () => this.hostInfo);
  }

  /** A daemon's link, created (and waited for in the background) on first use; `connection`: its address, when already resolved. */
  linkDaemon(name: string, connection?: ConnectionSpec): DaemonLink {
    let link = this.daemons.get(name);
    if (!link) {
      const log = this.log.child({ component: componentName('docker', name) });
      link = new DaemonLink(name, this.config, log, this.sourcesStop.signal, this.dockerHostOverride, connection);
      this.watchFatal(link);
      this.daemons.set(name, link);
    }
    return link;
  }

  /** Reload: a daemon's settings changed; its sources must have been stopped. Returns the old client to close. */
  relinkDaemon(name: string): DockerClient | null {
    const link = this.daemons.get(name);
    if (!link) return null;
    const old = link.reconnect(this.config);
    this.watchFatal(link);
    return old;
  }

  /** Reload: a daemon no source reads any more. Returns its client to close. */
  unlinkDaemon(name: string): DockerClient | null {
    const link = this.daemons.get(name);
    if (!link) return null;
    this.daemons.delete(name);
    return link.unlink();
  }

  private firstDaemon(): DaemonLink {
    return this.daemons.values().next().value as DaemonLink;
  }

  private watchFatal(link: DaemonLink): void {
    link.ready.catch((err: unknown) => {
      if (!isConfigProblem(err)) return;
      this.fatal ??= err as Error;
      this.sourcesStop.abort();
    });
  }

  private async runInner(): Promise<void> {
    prepareStateDir(this.config.state_dir);
    await this.pipeline.open();
    this.pipeline.start();
    this.telemetry = await startTelemetry(this, this.sourcesStop.signal);
    const signal = this.sourcesStop.signal;
    for (const source of this.initialSources) this.startSource(source);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
    await this.reloading;
    const sources = [...this.running.values()];
    await Promise.all(sources.map((r) => r.done));
    const deadline = setTimeout(() => this.drainStop.abort(), this.config.shutdown_timeout);
    try {
      await this.pipeline.drain(this.drainStop.signal);
    } finally {
      clearTimeout(deadline);
      await Promise.all(sources.map((r) => this.closeSource(r.source)));
      await Promise.all([...this.daemons.values()].map((d) => d.client.close()));
      await this.telemetry?.close();
      this.log.info('stopped');
    }
    if (this.fatal !== null) throw this.fatal;
  }

  /** Runs `source` once its daemon answered (at once when it already did). */
  startSource(source: Source, handover?: unknown): void {
    const link = this.linkDaemon(this.daemonOf(source.name));
    const stop = new AbortController();
    const signal = AbortSignal.any([this.sourcesStop.signal, stop.signal]);
    this.failedSources.delete(source.name);
    const failed = (err: unknown): void => {
      if (isAbortError(err)) return;
      this.failedSources.set(source.name, describeError(err));
      this.log.error({ source: source.name, err }, 'source failed');
    };
    // Stopped while its daemon has not answered yet (a reload, shutdown): done at once, without waiting for the daemon.
    const done = abortable(link.ready, signal, 'waiting for the docker daemon').then(
      (host) => (host === null || signal.aborted ? undefined : source.run(this.sourceContext(source, link, signal, handover)).catch(failed)),
      () => undefined, // stopped first, or the daemon cannot be served as configured: watchFatal ends the run
    );
    this.running.set(source.name, { source, stop, done });
  }

  /** Stops a running source and lets it persist; returns what it hands over to a replacement. */
  async stopSource(name: string): Promise<unknown> {
    const r = this.running.get(name);
    if (!r) return undefined;
    r.stop.abort();
    await r.done;
    const handover = r.source.handover?.();
    await this.closeSource(r.source);
    this.running.delete(name);
    this.failedSources.delete(name);
    return handover;
  }

  private async closeSource(source: Source): Promise<void> {
    await source.close?.().catch((err: unknown) => this.log.error({ source: source.name, err }, 'source close failed'));
  }

  private sourceContext(source: Source, link: DaemonLink, signal: AbortSignal, handover: unknown): SourceContext {
    const name = source.name;
    return {
      docker: link.client,
      host: () => link.host,
      setHost: (h) => {
        link.host = h;
      },
      emit: (record) => this.pipeline.emit(name, record),
      emitFollowed: (record) => this.pipeline.emit(name, record, true),
      onSettled: (listener) => this.pipeline.settlement(name).listen(listener),
      hasCapacity: () => this.pipeline.hasCapacity(name),
      // Container lifecycle of this source's daemon only: another daemon's container is another container.
      onEvent: (listener) =>
        this.pipeline.onEvent((event) => {
          if (event.host.daemon === link.name) listener(event);
        }),
      log: this.log.child({ component: componentName('source', name) }),
      metrics: this.metrics,
      signal,
      stateDir: this.config.state_dir,
      ...(handover === undefined ? {} : { handover }),
    };
  }
}
