import type { Config, SinkConfig } from '../config/schema.js';
import { DockerClient } from '../docker/client.js';
import { resolveConnection } from '../docker/host.js';
import type { Logger } from '../log.js';
import type { BatchDefaults, Sink, Source } from '../pipeline/types.js';
import type { PluginRegistry, SourceOnceOptions } from '../plugin.js';
import { componentName, RECORD_KINDS, type HostInfo } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';

/**
 * Builds the agent's parts from a validated config and the plugin registry:
 * the Docker client, sources and sinks. Used by `run`, `check` and `once`.
 */
export function createDockerClient(config: Config, log: Logger, dockerHost?: string): DockerClient {
  const connection = resolveConnection({ cliHost: dockerHost, host: config.docker.host, tls: config.docker.tls });
  return new DockerClient(connection, { timeoutMs: config.docker.timeout, apiVersion: config.docker.api_version, log });
}

/** The configured sources (only those named in `only`, when given). */
export function createSources(config: Config, plugins: PluginRegistry, once?: SourceOnceOptions, only?: readonly string[]): Source[] {
  return Object.entries(config.sources)
    .filter(([name]) => !only || only.includes(name))
    .map(([name, sc]) => {
      const { type, ...options } = sc;
      return plugins.source(type).create(name, options, once);
    });
}

export interface SinkParts {
  readonly sink: Sink;
  readonly defaults: BatchDefaults;
  /** The sink's config with `kinds` narrowed to what its type takes, when the config did not say. */
  readonly config: SinkConfig;
}

export function createSink(name: string, sc: SinkConfig, plugins: PluginRegistry, log: Logger, metrics: SelfMetrics, host: () => HostInfo): SinkParts {
  const plugin = plugins.sink(sc.type);
  const { type: _t, inputs: _i, kinds: _k, batch: _b, buffer: _bu, retry: _r, ...options } = sc;
  const sink = plugin.create(name, options, { log: log.child({ component: componentName('sink', name) }), metrics, host });
  // A sink that takes only some kinds (the Prometheus ones: no gaps or inventories) is not offered the others.
  const narrowed = sc.kinds === undefined && plugin.accepts.length < RECORD_KINDS.length ? { ...sc, kinds: [...plugin.accepts] } : sc;
  return { sink, defaults: plugin.batchDefaults, config: narrowed };
}
