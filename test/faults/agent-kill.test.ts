// Fault case 2: the agent is killed with SIGKILL while events flow and is
// started again within the daemon's ring: every event arrives at least once,
// and no event before the persisted cursor arrives twice.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCursor } from '../../src/sources/docker-events/cursor.js';
import type { EventRecord } from '../../src/records.js';
import { eventKey } from '../../src/sources/docker-events/normalize.js';
import { readRecords, waitFor } from '../harness/agent.js';
import { spawnAgent, type AgentProcess } from '../harness/agent-process.js';
import { daemonEvents } from '../harness/daemon-events.js';
import { DOCKER_ENGINES, startDockerd, type PrivateDockerd } from '../harness/dockerd.js';
import { ofKind } from '../harness/records.js';
import { startChurn } from './churn.js';

const config = (host: string) => `
docker: { host: "${host}" }
state_dir: \${DIR}/state
log_level: debug
sources:
  events:
    type: docker_events
    cursor_interval: 100ms
sinks:
  out:
    type: file
    inputs: [events]
    path: \${DIR}/\${RUN}/records.ndjson
    fsync: batch
    batch: { linger: 10ms }
telemetry: { listen: false }
`;

const eventsIn = (dir: string): EventRecord[] => ofKind(readRecords(dir), 'event');
const daemonKey = (e: { type: string; action: string; id: string; timeNano: string }) => `${e.timeNano}|${e.type}|${e.id}|${e.action}|`;

describe.each(DOCKER_ENGINES)('fault: agent SIGKILL and restart within the ring (%s)', (engine) => {
  let d: PrivateDockerd;
  let dir: string;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    d = await startDockerd({ name: 'agent-kill', engine });
    dir = mkdtempSync(join(tmpdir(), 'ds-kill-'));
  });
  afterAll(async () => {
    for (const a of agents) await a.stop();
    await d?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every event at least once and nothing before the cursor twice', async () => {
    const t0 = Date.now() / 1000;
    const run1 = spawnAgent(dir, config(d.host), ['run'], { RUN: 'run1' });
    agents.push(run1);
    await waitFor(() => run1.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'run1 stream open');
    const churn = startChurn(d, 'k');
    await waitFor(() => eventsIn(join(dir, 'run1')).length >= 30, 30_000, 'events in run1');
    run1.kill('SIGKILL');
    await run1.exited;
    const cursor = loadCursor(join(dir, 'state', 'cursor', 'events.json'));
    expect(cursor).not.toBeNull();
    // events keep happening while the agent is down
    await new Promise((r) => setTimeout(r, 1000));
    const run2 = spawnAgent(dir, config(d.host), ['run'], { RUN: 'run2' });
    agents.push(run2);
    await waitFor(() => run2.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'run2 stream open');
    await new Promise((r) => setTimeout(r, 1000));
    const last = await churn.stop();
    await waitFor(() => eventsIn(join(dir, 'run2')).some((e) => e.actor.id === last && e.action === 'destroy'), 20_000, 'last event in run2');
    expect(await run2.stop()).toBe(0);

    const fromDaemon = await daemonEvents(d.socketPath, t0, Date.now() / 1000);
    expect(fromDaemon.length).toBeGreaterThan(40);
    expect(fromDaemon.length).toBeLessThan(256); // within the ring by construction
    const first = eventsIn(join(dir, 'run1'));
    const second = eventsIn(join(dir, 'run2'));
    const got = new Set([...first, ...second].map(eventKey));
    const missing = fromDaemon.map(daemonKey).filter((k) => !got.has(k));
    expect(missing).toEqual([]);

    const cut = BigInt(cursor!.time_nano);
    const boundaryKeys = new Set(cursor!.keys);
    const replayedBeforeCursor = second.filter((e) => BigInt(e.time_nano) < cut || boundaryKeys.has(eventKey(e)));
    expect(replayedBeforeCursor).toEqual([]);
    // everything up to the cursor was in run1 exactly once
    const run1Keys = first.map(eventKey);
    expect(new Set(run1Keys).size).toBe(run1Keys.length);
    // the resume saw the daemon still holding the cursor: no gap
    expect(ofKind(readRecords(join(dir, 'run2')), 'gap')).toEqual([]);
    expect(run2.logs.some((l) => l.msg === 'resuming from events cursor')).toBe(true);
  });
});
