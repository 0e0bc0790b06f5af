import { LOCAL_DAEMON, type Config, type DaemonConfig, type SinkConfig } from '../config/schema.js';
import { DockerClient } from '../docker/client.js';
import { resolveConnection, type ConnectionSpec } from '../docker/host.js';
import { DsError } from '../errors.js';
import type { Logger } from '../log.js';
import type { BatchDefaults, Sink, Source } from '../pipeline/types.js';
import type { PluginRegistry, SourceOnceOptions } from '../plugin.js';
import { componentName, RECORD_KINDS, type HostInfo } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';

// Builds the agent's parts from a validated config and the plugin registry:
// daemon clients, sources and sinks. Used by `run`, `check` and `once`.

/** The settings of daemon `name`: the `docker:` block for `local`, else `daemons.<name>`. */
export function daemonConfig(config: Config, name: string): DaemonConfig | undefined {
  return name === LOCAL_DAEMON ? config.docker : config.daemons[name];
}

function requireDaemonConfig(config: Config, name: string): DaemonConfig {
  const settings = daemonConfig(config, name);
  if (settings === undefined) throw new DsError('CONFIG_INVALID', `unknown daemon ${name}`, { details: { daemon: name } });
  return settings;
}

/**
 * The address of daemon `name`, resolved like the docker CLI does (`local`:
 * the `docker:` block, which `-H` overrides). Throws DOCKER_BAD_HOST for an
 * address that cannot be used (ssh://, npipe://, a missing context).
 */
export function daemonConnection(config: Config, name: string, cliHost: string | undefined): ConnectionSpec {
  const settings = requireDaemonConfig(config, name);
  return resolveConnection({ cliHost: name === LOCAL_DAEMON ? cliHost : undefined, host: settings.host, tls: settings.tls });
}

/** The client of daemon `name` at `connection` (daemonConnection). */
export function createDaemonClient(config: Config, name: string, log: Logger, connection: ConnectionSpec): DockerClient {
  const settings = requireDaemonConfig(config, name);
  return new DockerClient(connection, { timeoutMs: settings.timeout, apiVersion: settings.api_version, log: log.child({ daemon: name }), daemon: name });
}

/** The configured sources (only those named in `only`, when given). */
export function createSources(config: Config, plugins: PluginRegistry, once?: SourceOnceOptions, only?: readonly string[]): Source[] {
  return Object.entries(config.sources)
    .filter(([name]) => !only || only.includes(name))
    .map(([name, sc]) => {
      const { type, daemon: _daemon, ...options } = sc;
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
