import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../src/records.js';
import { removeDir, startAgent, waitFor, type RunningAgent } from '../../harness/agent.js';
import { daemonEvents } from '../../harness/daemon-events.js';
import { BUSYBOX_IMAGE, DOCKER_ENGINES, startDockerd, type DockerCli, type PrivateDockerd } from '../../harness/dockerd.js';
import { ofKind } from '../../harness/records.js';
import { startChurn } from '../../faults/churn.js';

const config = (host: string, filters = '') => `
docker:
  host: ${host}
state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
  events:
    type: docker_events
    reconnect: { initial: 200ms, max: 1s }
${filters}
sinks:
  out:
    type: file
    inputs: [events]
    path: \${DIR}/out/records.ndjson
    fsync: batch
    batch: { linger: 20ms }
`;

const key = (e: { type: string; action: string; id: string; timeNano: string }) => `${e.timeNano} ${e.type} ${e.action} ${e.id}`;
const recKey = (e: EventRecord) =>
  key({ type: e.type, action: e.action_detail ? `${e.action}: ${e.action_detail}` : e.action, id: e.actor.id, timeNano: e.time_nano });

describe.each(DOCKER_ENGINES)('docker_events source against a real dockerd (%s)', (engine) => {
  let d: PrivateDockerd;
  let host = '';
  let socketPath = '';
  let cli: DockerCli;
  beforeAll(async () => {
    d = await startDockerd({ name: `events-${engine}`, engine });
    ({ host, socketPath } = d);
    cli = d;
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('emits container, volume and image events whose time_nano equals the daemon digit for digit', async () => {
    const a = startAgent(config(host));
    try {
      await waitFor(() => a.records().some((r) => r.kind === 'inventory'), 20_000, 'inventory');
      const t0 = Date.now() / 1000 - 0.001;
      await cli.dockerOk(['run', '--rm', '--network', 'none', '--name', 'ev-run', BUSYBOX_IMAGE, 'true']);
      await cli.dockerOk(['volume', 'create', 'ev-vol']);
      await cli.dockerOk(['volume', 'rm', 'ev-vol']);
      await cli.dockerOk(['tag', BUSYBOX_IMAGE, 'local/ev-tag:1']);
      await cli.dockerOk(['rmi', 'local/ev-tag:1']);
      const t1 = Date.now() / 1000 + 0.001;
      const fromDaemon = await daemonEvents(socketPath, t0, t1);
      expect(fromDaemon.length).toBeGreaterThanOrEqual(9);
      await waitFor(() => ofKind(a.records(), 'event').length >= fromDaemon.length, 20_000, 'all events in the file');
      await a.stop();
      const got = ofKind(a.records(), 'event').filter((e) => {
        const t = Number(BigInt(e.time_nano) / 1000n) / 1e6;
        return t >= t0 && t <= t1;
      });
      expect(got.map(recKey)).toEqual(fromDaemon.map(key));
      const actions = new Set(got.map((e) => `${e.type}:${e.action}`));
      for (const want of [
        'container:create',
        'container:start',
        'container:die',
        'container:destroy',
        'volume:create',
        'volume:destroy',
        'image:tag',
        'image:untag',
      ]) {
        expect(actions).toContain(want);
      }
      const die = got.find((e) => e.action === 'die');
      expect(die?.container).toMatchObject({ name: 'ev-run', image: BUSYBOX_IMAGE });
      expect(die?.actor.attributes['exitCode']).toBe('0');
      expect(die?.host.api_version).toMatch(/^1\.\d+$/);
    } finally {
      await a.stop();
      removeDir(a.dir);
    }
  });

  it('sends config filters to the daemon: only the asked-for types arrive', async () => {
    const a = startAgent(config(host, '    filters:\n      type: [volume]\n      event: [create]'));
    try {
      await waitFor(() => a.records().some((r) => r.kind === 'inventory'), 20_000, 'inventory');
      await cli.dockerOk(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
      await cli.dockerOk(['volume', 'create', 'flt-vol']);
      await cli.dockerOk(['volume', 'rm', 'flt-vol']);
      await waitFor(() => ofKind(a.records(), 'event').length >= 1, 20_000, 'volume event');
      // Give any wrongly unfiltered events time to show up before judging.
      await new Promise((r) => setTimeout(r, 500));
      await a.stop();
      expect(ofKind(a.records(), 'event').map((e) => `${e.type}:${e.action}:${e.actor.id}`)).toEqual(['volume:create:flt-vol']);
    } finally {
      await a.stop();
      removeDir(a.dir);
    }
  });
});

describe.each(DOCKER_ENGINES)('docker_events across a daemon restart (%s)', (engine) => {
  let d: PrivateDockerd;
  let a: RunningAgent | undefined;
  beforeAll(async () => {
    d = await startDockerd({ name: 'events-restart', engine });
  });
  afterAll(async () => {
    await a?.stop();
    if (a) removeDir(a.dir);
    await d?.stop();
  });

  it('resumes by itself while containers churn: exactly once, and a gap + inventory mark the restart', async () => {
    await d.runContainer(['--name', 'long', BUSYBOX_IMAGE, 'sleep', '3600']);
    a = startAgent(config(d.host));
    const agent = a;
    await waitFor(() => agent.records().some((r) => r.kind === 'inventory'), 20_000, 'inventory');
    const t0 = Date.now() / 1000;
    for (let i = 0; i < 3; i++) await d.dockerOk(['run', '--rm', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    // Churn keeps going through the restart (its calls fail while the daemon is down).
    const churn = startChurn(d, 'rs-', { maxSteps: 60 });
    await new Promise((r) => setTimeout(r, 500));
    const before = await daemonEvents(d.socketPath, t0, Date.now() / 1000);
    await waitFor(() => ofKind(agent.records(), 'event').length >= before.length, 20_000, 'pre-restart events');

    await d.restart();
    const tRestart = Date.now() / 1000;
    await waitFor(() => ofKind(agent.records(), 'inventory').length >= 2, 30_000, 'reconnect inventory');
    await new Promise((r) => setTimeout(r, 1000));
    await churn.stop();
    await d.dockerOk(['volume', 'create', 'after-restart']);
    const after = await daemonEvents(d.socketPath, tRestart - 30, Date.now() / 1000);
    expect(after.length).toBeGreaterThanOrEqual(3);
    expect(after.length).toBeLessThan(256);
    await waitFor(() => ofKind(agent.records(), 'event').some((e) => e.actor.id === 'after-restart'), 20_000, 'post-restart events');
    await agent.stop();

    const all = agent.records();
    const evs = ofKind(all, 'event');
    const counts = new Map<string, number>();
    for (const e of evs) counts.set(recKey(e), (counts.get(recKey(e)) ?? 0) + 1);
    // every event the daemon reported, before and after the restart, arrived exactly once
    for (const e of [...before, ...after]) expect([key(e), counts.get(key(e))]).toEqual([key(e), 1]);
    // and nothing at all arrived twice
    expect([...counts.values()].filter((n) => n > 1)).toEqual([]);
    // a gap and a reconnect inventory mark the restart, in that order, before post-restart events
    const gapIdx = all.findIndex((r) => r.kind === 'gap');
    expect(gapIdx).toBeGreaterThan(0);
    expect(all[gapIdx]).toMatchObject({ kind: 'gap', reason: 'daemon_restarted', component: 'source:events' });
    const inv = all[gapIdx + 1];
    expect(inv).toMatchObject({ kind: 'inventory', reason: 'reconnect' });
    if (inv?.kind !== 'inventory') throw new Error('no inventory');
    expect(inv.containers.map((c) => c.name)).toContain('long');
    const firstAfter = all.findIndex((r) => r.kind === 'event' && r.actor.id === 'after-restart');
    expect(firstAfter).toBeGreaterThan(gapIdx);
    expect(ofKind(all, 'gap')).toHaveLength(1);
  });
});
