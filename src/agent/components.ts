import { LOCAL_DAEMON, type Config, type DaemonConfig, type SinkConfig } from '../config/schema.js';
import { DockerClient } from '../docker/client.js';
import { resolveConnection } from '../docker/host.js';
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

/** The client of daemon `name` (`local`: the `docker:` block, which `-H` overrides). */
export function createDaemonClient(config: Config, name: string, log: Logger, cliHost?: string): DockerClient {
  const settings = daemonConfig(config, name);
  if (settings === undefined) throw new DsError('CONFIG_INVALID', `unknown daemon ${name}`, { details: { daemon: name } });
  const connection = resolveConnection({ cliHost: name === LOCAL_DAEMON ? cliHost : undefined, host: settings.host, tls: settings.tls });
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
