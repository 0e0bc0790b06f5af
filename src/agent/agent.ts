import { hostname } from 'node:os';
import type { Config } from '../config/schema.js';
import type { DockerClient } from '../docker/client.js';
import { describeError, isAbortError } from '../errors.js';
import type { Logger } from '../log.js';
import { Pipeline } from '../pipeline/pipeline.js';
import type { Source, SourceContext } from '../pipeline/types.js';
import type { PluginRegistry } from '../plugin.js';
import { componentName, type HostInfo } from '../records.js';
import { prepareStateDir } from '../state-dir.js';
import { startTelemetry, type AgentTelemetry } from '../telemetry/agent-telemetry.js';
import { SelfMetrics } from '../telemetry/metrics.js';
import { createDockerClient, createSink, createSources } from './components.js';
import { waitForDaemon } from './daemon-wait.js';
import { applyReload, type ReloadTarget } from './reload.js';

export interface AgentOptions {
  /** The source and sink types the config may name. */
  readonly plugins: PluginRegistry;
  /** `-H`: overrides the config's daemon address. */
  readonly dockerHost?: string | undefined;
  readonly metrics?: SelfMetrics;
}

/** Until the daemon answered, records carry the local host name. */
function provisionalHost(): HostInfo {
  return { name: hostname(), daemon_id: '', engine: 'docker', version: '', api_version: '' };
}

interface RunningSource {
  readonly source: Source;
  readonly stop: AbortController;
  readonly done: Promise<void>;
}

/**
 * Lifecycle: sinks start first, sources last; shutdown stops the sources,
 * drains the sinks within the deadline, lets the sources persist what they
 * keep (the events cursor), and closes everything. SIGHUP reloads go through
 * reload.ts one at a time.
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
  readonly dockerHostOverride: string | undefined;
  private currentConfig: Config;
  private currentDocker: DockerClient;
  private readonly initialSources: readonly Source[];
  private readonly running = new Map<string, RunningSource>();
  private host: HostInfo = provisionalHost();
  private readonly sourcesStop = new AbortController();
  private readonly drainStop = new AbortController();
  private runPromise: Promise<void> | null = null;
  private stopping = false;
  private reloading: Promise<void> = Promise.resolve();

  constructor(config: Config, log: Logger, options: AgentOptions) {
    this.currentConfig = config;
    this.log = log;
    this.plugins = options.plugins;
    this.metrics = options.metrics ?? new SelfMetrics();
    this.dockerHostOverride = options.dockerHost;
    this.currentDocker = createDockerClient(config, log.child({ component: componentName('docker') }), options.dockerHost);
    const sinks = Object.entries(config.sinks).map(([name, sc]) => this.createSink(name, sc));
    this.pipeline = new Pipeline(config, sinks, { log, metrics: this.metrics, host: () => this.host });
    this.initialSources = createSources(config, this.plugins);
  }

  get config(): Config {
    return this.currentConfig;
  }

  set config(next: Config) {
    this.currentConfig = next;
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
    this.reloading = this.reloading.then(() => applyReload(this, next)).catch((err: unknown) => {
      this.log.error({ err }, 'reload failed part-way; running with what was applied');
    });
    return this.reloading;
  }

  createSink(name: string, sc: Config['sinks'][string]) {
    return createSink(name, sc, this.plugins, this.log, this.metrics, () => this.host);
  }

  /** Reload: a new client for a changed daemon address; the caller closes the old one. */
  replaceDocker(): DockerClient {
    const old = this.currentDocker;
    this.currentDocker = createDockerClient(this.config, this.log.child({ component: componentName('docker') }), this.dockerHostOverride);
    return old;
  }

  private async runInner(): Promise<void> {
    prepareStateDir(this.config.state_dir);
    await this.pipeline.open();
    this.pipeline.start();
    this.telemetry = await startTelemetry(this, this.sourcesStop.signal);
    const signal = this.sourcesStop.signal;
    const host = await waitForDaemon(this.docker, this.log, signal);
    if (host) this.host = host;
    if (!signal.aborted) for (const source of this.initialSources) this.startSource(source);
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
      await this.docker.close();
      await this.telemetry?.close();
      this.log.info('stopped');
    }
  }

  startSource(source: Source, handover?: unknown): void {
    const stop = new AbortController();
    const signal = AbortSignal.any([this.sourcesStop.signal, stop.signal]);
    this.failedSources.delete(source.name);
    const done = source.run(this.sourceContext(source, signal, handover)).catch((err: unknown) => {
      if (isAbortError(err)) return;
      this.failedSources.set(source.name, describeError(err));
      this.log.error({ source: source.name, err }, 'source failed');
    });
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

  private sourceContext(source: Source, signal: AbortSignal, handover: unknown): SourceContext {
    const name = source.name;
    return {
      docker: this.docker,
      host: () => this.host,
      setHost: (h) => {
        this.host = h;
      },
      emit: (record) => this.pipeline.emit(name, record),
      emitFollowed: (record) => this.pipeline.emit(name, record, true),
      onSettled: (listener) => this.pipeline.settlement(name).listen(listener),
      hasCapacity: () => this.pipeline.hasCapacity(name),
      onEvent: (listener) => this.pipeline.onEvent(listener),
      log: this.log.child({ component: componentName('source', name) }),
      metrics: this.metrics,
      signal,
      stateDir: this.config.state_dir,
      ...(handover === undefined ? {} : { handover }),
    };
  }
}
