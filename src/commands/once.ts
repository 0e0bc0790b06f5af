import { hostname } from 'node:os';
import { createDockerClient } from '../agent.js';
import type { Config } from '../config/schema.js';
import { DsError } from '../errors.js';
import type { Logger } from '../log.js';
import { recordJson } from '../pipeline/serialize.js';
import type { SourceContext } from '../pipeline/types.js';
import type { DsRecord, HostInfo } from '../records.js';
import { SOURCE_PLUGINS } from '../sources/index.js';
import { SelfMetrics } from '../telemetry/metrics.js';

export const ONCE_SOURCES = { events: 'docker_events', stats: 'docker_stats', df: 'docker_df' } as const;
export type OnceSource = keyof typeof ONCE_SOURCES;

/**
 * One collection round of one source (or of every configured one), written as
 * NDJSON to `write`, then return. Uses the configured options of a source of
 * that type when there is one, else the type's defaults.
 */
export async function runOnce(
  config: Config,
  log: Logger,
  opts: { source?: OnceSource; sinceMs?: number; dockerHost?: string },
  write: (text: string) => Promise<void>,
): Promise<number> {
  const types = opts.source ? [ONCE_SOURCES[opts.source]] : [...new Set(Object.values(config.sources).map((s) => s.type))];
  const docker = createDockerClient(config, log, opts.dockerHost);
  let host: HostInfo = { name: hostname(), daemon_id: '', engine: 'docker', version: '', api_version: '' };
  const metrics = new SelfMetrics();
  let count = 0;
  try {
    await docker.negotiate();
    host = (await docker.describe()).host;
    for (const type of types) {
      const plugin = SOURCE_PLUGINS.find((p) => p.type === type);
      if (!plugin) throw new DsError('CONFIG_INVALID', `source type ${type} is not available in this build`);
      const configured = Object.entries(config.sources).find(([, s]) => s.type === type);
      // Configured options are already validated and transformed; otherwise take the type's defaults.
      const { type: _t, ...configuredOptions } = configured?.[1] ?? { type };
      const options = configured ? configuredOptions : plugin.options.parse({});
      const name = configured?.[0] ?? type;
      const source = plugin.create(name, options, opts.sinceMs !== undefined ? { sinceMs: opts.sinceMs } : {});
      const pending: DsRecord[] = [];
      const ctx: SourceContext = {
        docker,
        host: () => host,
        setHost: (h) => {
          host = h;
        },
        emit: (r) => {
          pending.push(r);
        },
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
    await docker.close();
  }
  return count;
}
