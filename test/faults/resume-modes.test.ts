// Paths that had no test: start_from now | cursor | -10m, a gap with reason
// ring_overflow (agent down for more than the daemon's 256-event ring), and a
// daemon that comes up after the agent. Each on its own private dockerd, with
// in-process agents writing NDJSON files.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadCursor } from '../../src/sources/docker-events/cursor.js';
import type { DsRecord, EventRecord, GapRecord } from '../../src/records.js';
import { nanosToRfc3339 } from '../../src/util/units.js';
import { removeDir, startAgent, waitFor, type RunningAgent } from '../harness/agent.js';
import { startDockerd, type PrivateDockerd } from '../harness/dockerd.js';
import { ofKind } from '../harness/records.js';

const config = (host: string, stateDir: string, startFrom: string) => `
docker: { host: "${host}" }
state_dir: ${stateDir}
sources:
  events: { type: docker_events, start_from: "${startFrom}", cursor_interval: 100ms, filters: { type: [volume] }, reconnect: { initial: 200ms, max: 1s } }
sinks:
  out: { type: file, inputs: [events], path: "\${DIR}/out/records.ndjson", fsync: batch }
`;

const volumeEvents = (records: DsRecord[]) =>
  ofKind(records, 'event')
    .filter((e) => e.type === 'volume')
    .map((e) => `${e.actor.id}:${e.action}`);

describe('events resume modes on a private dockerd', () => {
  let d: PrivateDockerd;
  const dirs: string[] = [];
  const agents: RunningAgent[] = [];
  const stateDir = () => {
    const s = mkdtempSync(join(tmpdir(), 'ds-resume-state-'));
    dirs.push(s);
    return s;
  };
  const run = (startFrom: string, state: string): RunningAgent => {
    const a = startAgent(config(d.host, state, startFrom));
    agents.push(a);
    return a;
  };
  const streamOpen = (a: RunningAgent) => waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 30_000, 'stream open');
  const stop = (a: RunningAgent) => a.stop();

  beforeAll(async () => {
    d = await startDockerd({ name: 'resume-modes' });
  }, 180_000);
  afterAll(async () => {
    for (const a of agents) await a.stop().catch(() => undefined);
    for (const a of agents) removeDir(a.dir);
    for (const s of dirs) rmSync(s, { recursive: true, force: true });
    await d?.stop();
  }, 120_000);

  it('start_from: -10m replays the recent past, cursor resumes, now skips what happened while down', async () => {
    await d.dockerOk(['volume', 'create', 'sf-before']);
    const back = stateDir();
    const fresh = stateDir();
    const a = run('-10m', back); // no cursor: starts 10 minutes back
    const b = run('cursor', fresh); // no cursor: starts now
    await Promise.all([streamOpen(a), streamOpen(b)]);
    await d.dockerOk(['volume', 'create', 'sf-live']);
    await waitFor(() => volumeEvents(a.records()).includes('sf-live:create') && volumeEvents(b.records()).includes('sf-live:create'), 20_000, 'sf-live');
    expect(volumeEvents(a.records())).toEqual(['sf-before:create', 'sf-live:create']);
    expect(volumeEvents(b.records())).toEqual(['sf-live:create']);
    await stop(a);
    await stop(b);
    expect(loadCursor(join(back, 'cursor', 'events.json'))?.time_nano).toBe(ofKind(a.records(), 'event').at(-1)?.time_nano);

    await d.dockerOk(['volume', 'create', 'sf-down']); // no agent runs

    // `now` ignores the cursor it has: sf-down is not replayed, and nothing announces a gap.
    const c = run('now', fresh);
    await streamOpen(c);
    await d.dockerOk(['volume', 'create', 'sf-after-now']);
    await waitFor(() => volumeEvents(c.records()).includes('sf-after-now:create'), 20_000, 'sf-after-now');
    expect(volumeEvents(c.records())).toEqual(['sf-after-now:create']);
    expect(ofKind(c.records(), 'gap')).toEqual([]);
    await stop(c);

    // `cursor` (and -10m with a cursor) resumes exactly after what was settled: sf-down once, nothing older again.
    const e = run('-10m', back);
    await waitFor(() => volumeEvents(e.records()).includes('sf-after-now:create'), 20_000, 'resumed');
    expect(volumeEvents(e.records())).toEqual(['sf-down:create', 'sf-after-now:create']);
    expect(ofKind(e.records(), 'gap')).toEqual([]);
    await stop(e);
  }, 120_000);

  it('announces ring_overflow with the window when more than 256 events happened while the agent was down', async () => {
    const state = stateDir();
    const a = run('cursor', state);
    await streamOpen(a);
    await d.dockerOk(['volume', 'create', 'ring-first']);
    await waitFor(() => volumeEvents(a.records()).includes('ring-first:create'), 20_000, 'ring-first');
    await stop(a);
    const cursor = loadCursor(join(state, 'cursor', 'events.json'));
    expect(cursor?.time_nano).toBe((a.records().find((r) => r.kind === 'event') as EventRecord).time_nano);

    // 300 events while down (8 at a time): more than the ring's 256.
    const names = Array.from({ length: 150 }, (_, i) => `ring-${i}`);
    for (let i = 0; i < names.length; i += 8) {
      await Promise.all(
        names.slice(i, i + 8).map(async (n) => {
          await d.dockerOk(['volume', 'create', n]);
          await d.dockerOk(['volume', 'rm', n]);
        }),
      );
    }
    const b = run('cursor', state);
    await waitFor(() => volumeEvents(b.records()).includes('ring-149:destroy'), 30_000, 'replay of what the ring still holds');
    const records = b.records();
    const gaps = ofKind(records, 'gap');
    expect(gaps.map((g) => [g.reason, g.component, g.from])).toEqual([['ring_overflow', 'source:events', nanosToRfc3339(cursor?.time_nano as string)]]);
    expect(Date.parse(gaps[0]?.to as string)).toBeGreaterThanOrEqual(Date.parse(gaps[0]?.from as string));
    // the gap (and an inventory) come before the first replayed event; what the ring still held follows
    const firstEvent = records.findIndex((r) => r.kind === 'event');
    expect(records.indexOf(gaps[0] as GapRecord)).toBeLessThan(firstEvent);
    expect(records.slice(0, firstEvent).some((r) => r.kind === 'inventory')).toBe(true);
    const replayed = volumeEvents(records);
    expect(replayed).not.toContain('ring-first:create');
    // the last batch of 8 ran in parallel: its events come in any order, all after the gap
    for (const n of names.slice(144)) expect(replayed).toContain(`${n}:destroy`);
    expect(replayed.length).toBeLessThanOrEqual(256);
    await stop(b);
  }, 180_000);

  it('waits for a daemon that comes up after the agent, then streams', async () => {
    await d.stopDaemon();
    const a = run('cursor', stateDir());
    try {
      await waitFor(() => a.logs.some((l) => l.msg === 'docker daemon unreachable; retrying'), 20_000, 'unreachable logged');
      expect(a.logs.some((l) => l.msg === 'docker events stream open')).toBe(false);
    } finally {
      await d.startDaemon();
    }
    await waitFor(() => a.logs.some((l) => l.msg === 'connected to docker daemon'), 60_000, 'connected');
    await streamOpen(a);
    await d.dockerOk(['volume', 'create', 'late-daemon']);
    await waitFor(() => volumeEvents(a.records()).includes('late-daemon:create'), 20_000, 'event after the late start');
    expect(ofKind(a.records(), 'gap')).toEqual([]);
    await stop(a);
  }, 120_000);
});
