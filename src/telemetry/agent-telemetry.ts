import { collectDefaultMetrics, type Registry } from 'prom-client';
import type { DockerClient } from '../docker/client.js';
import { DsError } from '../errors.js';
import type { Logger } from '../log.js';
import { componentName } from '../records.js';
import { DaemonProbe, type DaemonProbeOptions } from './daemon-probe.js';
import { formatListen, parseListen } from './listen.js';
import type { SelfMetrics } from './metrics.js';
import { readiness, type SinkHealth } from './readiness.js';
import { TelemetryServer } from './server.js';

/** The parts of the agent the endpoint reads; read at request time, so a reload is followed. */
export interface TelemetrySubject {
  readonly config: { readonly telemetry: { readonly listen: string | false } };
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  /** The daemons in use, by configured name (their clients change on reload). */
  readonly daemons: ReadonlyMap<string, { readonly name: string; readonly client: DockerClient }>;
  readonly pipeline: { readonly runners: readonly SinkHealth[] };
  readonly sources: readonly { readonly name: string; readonly type: string }[];
  /** The daemon a source reads, by the source's name. */
  daemonOf(source: string): string;
  /** Sources that stopped on an error (until a reload restarts them), with why. */
  readonly failedSources: ReadonlyMap<string, string>;
}

/** The running endpoint and the daemon probe behind /readyz. */
export class AgentTelemetry {
  readonly server: TelemetryServer;
  readonly probe: DaemonProbe;

  constructor(server: TelemetryServer, probe: DaemonProbe) {
    this.server = server;
    this.probe = probe;
  }

  async close(): Promise<void> {
    await Promise.all([this.probe.stop(), this.server.close()]);
  }
}

/**
 * Starts /metrics, /healthz and /readyz on `telemetry.listen` (null when it
 * is `false`). A bad address or a port in use is logged as an error and the
 * agent runs on without the endpoint: losing self-metrics must not stop the
 * records. `stopping` aborts when shutdown begins (/readyz turns 503).
 */
export async function startTelemetry(agent: TelemetrySubject, stopping: AbortSignal, probeOptions?: DaemonProbeOptions): Promise<AgentTelemetry | null> {
  const listen = agent.config.telemetry.listen;
  if (listen === false) return null;
  const log = agent.log.child({ component: componentName('telemetry') });
  const probe = new DaemonProbe(() => agent.daemons.values(), agent.metrics, log, probeOptions);
  let server: TelemetryServer;
  try {
    server = await TelemetryServer.listen(
      parseListen(listen),
      {
        registry: () => agent.metrics.registry,
        readiness: () => readiness(probe.states, agent.pipeline.runners, stopping.aborted, agent.failedSources),
      },
      log,
    );
  } catch (err) {
    log.error(
      { listen, code: err instanceof DsError ? err.code : undefined, err },
      'telemetry endpoint not started; the agent runs on without /metrics, /healthz, /readyz',
    );
    return null;
  }
  withProcessMetrics(agent.metrics.registry);
  agent.metrics.observeHealth(() => ({
    sinks: agent.pipeline.runners.map((r) => ({ name: r.name, ok: r.status.ok })),
    sources: agent.sources.map((s) => ({ name: s.name, type: s.type, daemon: agent.daemonOf(s.name) })),
    failedSources: agent.failedSources,
  }));
  probe.start();
  log.info({ listen: formatListen(server.address), endpoints: ['/metrics', '/healthz', '/readyz'] }, 'telemetry endpoint listening');
  return new AgentTelemetry(server, probe);
}

const processMetrics = new WeakSet<Registry>();

/**
 * Node's own process metrics (CPU, memory, event loop lag, GC), once per
 * registry. The lag monitor samples every 100 ms, not prom-client's 10 ms:
 * at 10 ms its timer alone woke an idle agent 100 times a second (~0.5 % of a
 * core on our test VMs), and lag that matters is tens of ms anyway.
 */
export const EVENT_LOOP_MONITORING_PRECISION_MS = 100;

function withProcessMetrics(registry: Registry): void {
  if (processMetrics.has(registry)) return;
  processMetrics.add(registry);
  collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: EVENT_LOOP_MONITORING_PRECISION_MS });
}
