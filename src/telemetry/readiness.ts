import { componentName } from '../records.js';
import type { DaemonState } from './daemon-probe.js';

/** What /readyz needs to know about one sink (the pipeline's SinkRunner fits). */
export interface SinkHealth {
  readonly name: string;
  readonly status: { readonly ok: boolean; readonly reason: string | null };
}

export interface Readiness {
  readonly ready: boolean;
  /** One line per problem, prefixed with the component (componentName): `docker: …`, `sink:kafka: …`. */
  readonly reasons: readonly string[];
}

/**
 * Ready = every daemon in use answers, no source has stopped on an error, every sink
 * delivers (started, and its last delivery attempt did not fail), and the
 * agent is not shutting down.
 */
export function readiness(
  daemons: ReadonlyMap<string, DaemonState>,
  sinks: readonly SinkHealth[],
  stopping: boolean,
  failedSources: ReadonlyMap<string, string> = new Map(),
): Readiness {
  const reasons: string[] = [];
  if (stopping) reasons.push('agent: shutting down');
  for (const [name, daemon] of daemons) if (daemon.reachable !== true) reasons.push(`${componentName('docker', name)}: ${daemon.reason ?? 'unreachable'}`);
  for (const [name, reason] of failedSources) reasons.push(`${componentName('source', name)}: stopped: ${reason}`);
  for (const sink of sinks) {
    if (!sink.status.ok) reasons.push(`${componentName('sink', sink.name)}: ${sink.status.reason ?? 'not delivering'}`);
  }
  return { ready: reasons.length === 0, reasons };
}
