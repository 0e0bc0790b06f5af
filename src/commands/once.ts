import { createDaemonClient, daemonConnection } from '../agent/components.js';
import { LOCAL_DAEMON, type Config } from '../config/schema.js';
import type { DockerClient } from '../docker/client.js';
import type { ConnectionSpec } from '../docker/host.js';
import { DsError } from '../errors.js';
import type { Logger } from '../log.js';
import { recordJson } from '../pipeline/serialize.js';
import type { SourceContext } from '../pipeline/types.js';
import type { PluginRegistry } from '../plugin.js';
import type { DsRecord, HostInfo } from '../records.js';
import { SelfMetrics } from '../telemetry/metrics.js';

/**
 * One collection round of one source type (`alias`, as `--source` names it)
 * or of every configured one, written as NDJSON to `write`, then return. Uses
 * the configured options of a source of that type when there is one, else the
 * type's defaults.
 */
export async function runOnce(
  config: Config,
  plugins: PluginRegistry,
  log: Logger,
  opts: {
    source?: string;
    sinceMs?: number;
    dockerHost?: string;
    /** The daemons' addresses by name, when already resolved (main.ts); else resolved here. */
    connections?: ReadonlyMap<string, ConnectionSpec>;
  },
  write: (text: string) => Promise<void>,
): Promise<number> {
  const chosen = opts.source === undefined ? undefined : plugins.sourceByAlias(opts.source);
  if (opts.source !== undefined && chosen === undefined)
    throw new DsError('USAGE', `no source type is called ${opts.source}`, { details: { source: opts.source } });
  const types = chosen ? [chosen.type] : [...new Set(Object.values(config.sources).map((s) => s.type))];
  // Each daemon read is negotiated and described once, for every source type that reads it.
  const daemons = new Map<string, { readonly client: DockerClient; host: HostInfo }>();
  const metrics = new SelfMetrics();
  let count = 0;
  try {
    for (const type of types) {
      const plugin = plugins.source(type);
      const configured = Object.entries(config.sources).find(([, s]) => s.type === type);
      // Configured options are already validated and transformed; otherwise take the type's defaults.
      const { type: _t, daemon = LOCAL_DAEMON, ...configuredOptions } = configured?.[1] ?? { type };
      const options = configured ? configuredOptions : plugin.options.parse({});
      const name = configured?.[0] ?? type;
      const d =
        daemons.get(daemon) ??
        (await connect(createDaemonClient(config, daemon, log, opts.connections?.get(daemon) ?? daemonConnection(config, daemon, opts.dockerHost))));
      daemons.set(daemon, d);
      const source = plugin.create(name, options, opts.sinceMs !== undefined ? { sinceMs: opts.sinceMs } : {});
      const pending: DsRecord[] = [];
      const emit = (r: DsRecord): void => {
        pending.push(r);
      };
      const ctx: SourceContext = {
        docker: d.client,
        host: () => d.host,
        setHost: (h) => {
          d.host = h;
        },
        emit,
        emitFollowed: emit,
        onSettled: () => () => undefined,
        hasCapacity: () => true,
        onEvent: () => () => undefined,
        log,
        metrics,
        signal: new AbortController().signal,
      };
      await source.run(ctx);
      if (pending.length > 0) await write(pending.map((r) => recordJson(r) + '\n').join(''));
      count += pending.length;
    }
  } finally {
    await Promise.all([...daemons.values()].map((d) => d.client.close()));
  }
  return count;
}

/** Negotiates with and describes the daemon behind `client`; closes it when that fails. */
async function connect(client: DockerClient): Promise<{ readonly client: DockerClient; host: HostInfo }> {
  try {
    await client.negotiate();
    return { client, host: (await client.describe()).host };
  } catch (err) {
    await client.close();
    throw err;
  }
}
