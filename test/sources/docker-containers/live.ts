// The docker_containers live tests' agent on any engine of the live matrix
// (harness/live-engine.ts): the config they run (events + containers + stats
// into a file sink), the flags they use and their record filters.
import { afterAll, beforeAll } from 'vitest';
import type { ContainerStateRecord, DsRecord, EventRecord, StatsRecord } from '../../../src/records.js';
import { outSink, removeDir, startAgent, waitFor, type RunningAgent } from '../../harness/agent.js';
import type { EngineName } from '../../harness/engines.js';
import { startEngine, type LiveEngine } from '../../harness/live-engine.js';
import { ofKind } from '../../harness/records.js';

/**
 * Podman has no health timer here (its timer is a systemd unit): a check runs
 * when asked. `healthcheck run` exits 1 for a failing check, which is an answer.
 */
export async function runHealthcheck(e: LiveEngine, id: string): Promise<void> {
  if (e.podman) await e.cli(['healthcheck', 'run', id]);
}

/** `run` flags: hand-set Compose labels of container 2 of service web in project shop. */
export const SHOP_WEB_LABELS = [
  '--label',
  'com.docker.compose.project=shop',
  '--label',
  'com.docker.compose.service=web',
  '--label',
  'com.docker.compose.container-number=2',
];
/** `run` flags: a health check that fails every second, unhealthy after two failures. */
export const FAILING_HEALTH = ['--health-cmd', 'false', '--health-interval', '1s', '--health-retries', '2'];

/**
 * The agent under test: events (which feed the containers source through
 * ctx.onEvent), containers, and stats of the containers labelled
 * `statsLabel`, all into the file sink `out`. The resync is long: what the
 * tests see comes from events, not from catching up.
 */
export const agentConfig = (host: string, statsLabel: string, extraSinks = '') => `
docker:
  host: ${host}
state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
  events:
    type: docker_events
    reconnect: { initial: 200ms, max: 1s }
  containers:
    type: docker_containers
    resync: 10m
  stats:
    type: docker_stats
    interval: 1s
    resync: 10m
    include: { labels: ["${statsLabel}"] }
sinks:
${outSink(['events', 'containers', 'stats'])}
${extraSinks}`;

export interface LiveAgent {
  /** The engine; only inside tests and later hooks. */
  readonly engine: LiveEngine;
  /** The agent, its start inventory written; only inside tests and later hooks. */
  readonly agent: RunningAgent;
}

/**
 * For a describe block: beforeAll starts the engine, runs `before` on it (e.g.
 * a container that must be in the start inventory), starts the agent on
 * agentConfig(host, statsLabel, extraSinks) and waits for its first
 * inventory; afterAll stops the agent, removes its folder and stops the engine.
 */
export function useLiveAgent(
  name: EngineName,
  label: string,
  statsLabel: string,
  opts: { extraSinks?: string; before?: (e: LiveEngine) => Promise<void> } = {},
): LiveAgent {
  let e: LiveEngine | undefined;
  let a: RunningAgent | undefined;
  beforeAll(async () => {
    e = await startEngine(name, label);
    await opts.before?.(e);
    const agent = (a = startAgent(agentConfig(e.host, statsLabel, opts.extraSinks)));
    await waitFor(() => ofKind(agent.records(), 'inventory').length > 0, 60_000, 'inventory');
  });
  afterAll(async () => {
    await a?.stop();
    if (a) removeDir(a.dir);
    await e?.stop();
  });
  const started = <T>(v: T | undefined, what: string): T => {
    if (v === undefined) throw new Error(`the ${what} has not started (beforeAll failed?)`);
    return v;
  };
  return {
    get engine() {
      return started(e, 'engine');
    },
    get agent() {
      return started(a, 'agent');
    },
  };
}

export const statesOf = (rs: readonly DsRecord[], id: string): ContainerStateRecord[] => ofKind(rs, 'container_state').filter((r) => r.container.id === id);
export const eventsOf = (rs: readonly DsRecord[], id: string): EventRecord[] => ofKind(rs, 'event').filter((r) => r.actor.id === id);
export const statsOf = (rs: readonly DsRecord[], id: string): StatsRecord[] => ofKind(rs, 'stats').filter((r) => r.container.id === id);

/** The values in order, each run of equal neighbours once: [0, 0, 1, 1, 2] → [0, 1, 2]. */
export function distinctRuns<T>(values: readonly T[]): T[] {
  return values.filter((v, i) => i === 0 || v !== values[i - 1]);
}
