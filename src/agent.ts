import { hostname } from 'node:os';
import { join } from 'node:path';
import pRetry from 'p-retry';
import type { Config } from './config/schema.js';
import { DockerClient } from './docker/client.js';
import { resolveConnection } from './docker/host.js';
import { describeError, isAbortError } from './errors.js';
import type { Logger } from './log.js';
import { EventsCursor, loadCursor } from './pipeline/cursor.js';
import { Pipeline } from './pipeline/pipeline.js';
import { prepareStateDir } from './state-dir.js';
import type { Sink, Source, SourceContext, SourceOnceOptions } from './pipeline/types.js';
import type { DsRecord, HostInfo } from './records.js';
import { SINK_PLUGINS } from './sinks/index.js';
import { SOURCE_PLUGINS } from './sources/index.js';
import { SelfMetrics } from './telemetry/metrics.js';
import { startTelemetry, type AgentTelemetry } from './telemetry/agent-telemetry.js';

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
  const connection = resolveConnection({ host: dockerHost ?? config.docker.host, tls: config.docker.tls });
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

/**
 * Wiring and lifecycle: sinks start first, sources last; shutdown stops the
 * sources, drains the sinks within the deadline, and closes everything.
 */
export class Agent {
  readonly config: Config;
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  readonly docker: DockerClient;
  readonly pipeline: Pipeline;
  readonly sources: readonly Source[];
  private host: HostInfo = provisionalHost();
  /** One at-least-once cursor per events source. */
  readonly cursors = new Map<string, EventsCursor>();
  /** /metrics, /healthz, /readyz once `run()` started them; null when off or the address could not be bound. */
  telemetry: AgentTelemetry | null = null;
  private readonly sourcesStop = new AbortController();
  private readonly drainStop = new AbortController();
  private running: Promise<void> | null = null;
  private stopping = false;

  constructor(config: Config, log: Logger, options: AgentOptions = {}) {
    this.config = config;
    this.log = log;
    this.metrics = options.metrics ?? new SelfMetrics();
    this.docker = createDockerClient(config, log.child({ component: 'docker' }), options.dockerHost);
    const sinks = Object.entries(config.sinks).map(([name, sc]) => createSink(name, sc, log, this.metrics, () => this.host));
    this.pipeline = new Pipeline(config, sinks, {
      log,
      metrics: this.metrics,
      host: () => this.host,
      onSettled: (sink, records) => {
        for (const cursor of this.cursors.values()) cursor.settled(sink, records);
      },
    });
    this.sources = createSources(config);
  }

  /** Cursors live in `<state_dir>/cursor/<source>.json`. */
  private openCursors(): void {
    for (const source of this.sources) {
      if (source.type !== 'docker_events') continue;
      const options = this.config.sources[source.name] as { cursor_interval?: number };
      const sinks = Object.entries(this.config.sinks)
        .filter(([, sc]) => sc.inputs.includes(source.name) && (!sc.kinds || sc.kinds.includes('event')))
        .map(([name]) => name);
      const path = join(this.config.state_dir, 'cursor', `${source.name}.json`);
      let initial = null;
      try {
        initial = loadCursor(path);
      } catch (err) {
        this.log.error({ source: source.name, path, err: describeError(err) }, 'events cursor unreadable; starting without it');
      }
      this.cursors.set(source.name, new EventsCursor(path, sinks, options.cursor_interval ?? 1000, this.log, initial));
    }
  }

  get hostInfo(): HostInfo {
    return this.host;
  }

  /** Runs until `stop()`; resolves once everything is shut down. */
  run(): Promise<void> {
    this.running ??= this.runInner();
    return this.running;
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
    await this.running;
  }

  private async runInner(): Promise<void> {
    prepareStateDir(this.config.state_dir);
    this.openCursors();
    await this.pipeline.open();
    this.pipeline.start();
    this.telemetry = await startTelemetry(this, this.sourcesStop.signal);
    await this.waitForDaemon();
    const signal = this.sourcesStop.signal;
    const runs = signal.aborted
      ? []
      : this.sources.map((source) =>
          source.run(this.sourceContext(source, signal)).catch((err: unknown) => {
            if (!isAbortError(err)) this.log.error({ source: source.name, err: describeError(err) }, 'source failed');
          }),
        );
    await Promise.all(runs);
    await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
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

  /** A systemd service must survive dockerd starting after it: retry with backoff, log it. */
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
          shouldRetry: ({ error }) => !isAbortError(error),
          onFailedAttempt: ({ error, attemptNumber }) => {
            if (!signal.aborted) this.log.warn({ attempt: attemptNumber, host: this.docker.connection.display, err: describeError(error) }, 'docker daemon unreachable; retrying');
          },
        },
      );
      this.log.info({ host: this.docker.connection.display, engine: this.host.engine, version: this.host.version, apiVersion: this.host.api_version }, 'connected to docker daemon');
    } catch (err) {
      if (!signal.aborted && !isAbortError(err)) throw err;
    }
  }

  private sourceContext(source: Source, signal: AbortSignal): SourceContext {
    const cursor = this.cursors.get(source.name);
    return {
      initialCursor: () => cursor?.current ?? null,
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
