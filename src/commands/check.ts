import { createDaemonClient, createSink, daemonConnection } from '../agent/components.js';
import { isConfigProblem } from '../agent/daemon-wait.js';
import { daemonsInUse } from '../agent/daemons.js';
import { LOCAL_DAEMON, type Config } from '../config/schema.js';
import type { ConnectionSpec } from '../docker/host.js';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { PluginRegistry } from '../plugin.js';
import { componentName, type ComponentName, type HostInfo } from '../records.js';
import { SelfMetrics } from '../telemetry/metrics.js';

export interface CheckLine {
  readonly component: ComponentName;
  readonly ok: boolean;
  readonly detail: string;
  /** A configuration the daemon cannot serve (exit 78 rather than 69). */
  readonly configProblem?: boolean;
}

export interface CheckOptions {
  /** Per daemon and sink. */
  readonly timeoutMs?: number;
  /** The daemons' addresses by name, when already resolved (main.ts); else resolved here. */
  readonly connections?: ReadonlyMap<string, ConnectionSpec>;
}

/** Validate connectivity: the daemon and every sink, one line each. Fails fast (no retry loops). */
export async function runCheck(
  config: Config,
  plugins: PluginRegistry,
  log: Logger,
  dockerHost: string | undefined,
  { timeoutMs = 10_000, connections }: CheckOptions = {},
): Promise<CheckLine[]> {
  const lines: CheckLine[] = [];
  const hosts = new Map<string, HostInfo>();
  for (const daemon of daemonsInUse(config)) {
    const component = componentName('docker', daemon);
    const docker = createDaemonClient(config, daemon, log, connections?.get(daemon) ?? daemonConnection(config, daemon, dockerHost));
    try {
      const signal = AbortSignal.timeout(timeoutMs);
      await docker.negotiate(signal);
      const host = (await docker.describe(signal)).host;
      hosts.set(daemon, host);
      const note = docker.apiVersionNote === null ? '' : ` (${docker.apiVersionNote})`;
      lines.push({
        component,
        ok: true,
        detail: `${docker.connection.display} ${host.engine} ${host.version} (api ${host.api_version}) host=${host.name} from=${docker.connection.source}${note}`,
      });
    } catch (err) {
      // A pinned api_version outside the daemon's range is a configuration problem (exit 78).
      const configProblem = isConfigProblem(err);
      lines.push({
        component,
        ok: false,
        detail: `${docker.connection.display} (from ${docker.connection.source}): ${describeError(err)}`,
        ...(configProblem ? { configProblem } : {}),
      });
    } finally {
      await docker.close();
    }
  }
  for (const [name, sc] of Object.entries(config.sources)) {
    try {
      // What the engine cannot do shows up here rather than as a source failing at run time.
      const { type, daemon, ...options } = sc;
      plugins.source(type).checkAgainst?.(options, hosts.get(daemon)?.engine ?? 'docker', name);
      lines.push({ component: componentName('source', name), ok: true, detail: type });
    } catch (err) {
      lines.push({ component: componentName('source', name), ok: false, detail: `${sc.type}: ${describeError(err)}`, configProblem: true });
    }
  }
  const host = hosts.values().next().value ?? { name: '', daemon: LOCAL_DAEMON, daemon_id: '', engine: 'docker' as const, version: '', api_version: '' };
  const metrics = new SelfMetrics();
  await Promise.all(
    Object.entries(config.sinks).map(async ([name, sc]) => {
      const { sink } = createSink(name, sc, plugins, log, metrics, () => host);
      try {
        const detail = await sink.check(AbortSignal.timeout(timeoutMs));
        lines.push({ component: componentName('sink', name), ok: true, detail: `${sc.type}: ${detail}` });
      } catch (err) {
        lines.push({ component: componentName('sink', name), ok: false, detail: `${sc.type}: ${describeError(err)}` });
      } finally {
        await sink.close().catch(() => undefined);
      }
    }),
  );
  const order = (c: string): number => (c.startsWith('docker') ? 0 : c.startsWith('source:') ? 1 : 2);
  return lines.sort((a, b) => order(a.component) - order(b.component) || a.component.localeCompare(b.component));
}

export function formatCheckLine(line: CheckLine): string {
  return `${line.ok ? 'ok  ' : 'FAIL'}  ${line.component.padEnd(22)} ${line.detail}`;
}
