// Several daemons from one agent: two private dockerds (20.10 and 28) and a
// Podman service at once. Each record's host names its daemon, each events
// source keeps its own cursor, /readyz and dockstream_daemon_up follow each
// daemon, and one daemon going down (then coming back) holds up none of the others.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ContainerStateRecord, DsRecord, EventRecord, GapRecord, InventoryRecord } from '../../src/records.js';
import { removeDir, startAgent, waitFor } from '../harness/agent.js';
import { BUSYBOX_IMAGE, startDockerd, type PrivateDockerd } from '../harness/dockerd.js';
import { engineJson } from '../harness/engine-http.js';
import { startPodman, type PrivatePodman } from '../harness/podman.js';
import { ofKind } from '../harness/records.js';
import { parsePrometheusText, sampleValue } from '../telemetry/prom-text.js';

const config = (a: string, b: string, pm: string) => `
docker:
  host: ${a}
  timeout: 3s
daemons:
  b: { host: ${b}, timeout: 3s }
  pm: { host: ${pm} }
state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
  events_a: { type: docker_events, reconnect: { initial: 200ms, max: 1s } }
  events_b: { type: docker_events, daemon: b, reconnect: { initial: 200ms, max: 1s } }
  events_pm: { type: docker_events, daemon: pm }
  containers_b: { type: docker_containers, daemon: b, resync: 2s }
sinks:
  out:
    type: file
    inputs: [events_a, events_b, events_pm, containers_b]
    path: \${DIR}/out/records.ndjson
    fsync: never
    batch: { linger: 20ms }
telemetry:
  listen: 127.0.0.1:0
`;

const volumeEvent = (rs: readonly DsRecord[], name: string) =>
  rs.find((r): r is EventRecord => r.kind === 'event' && r.type === 'volume' && r.action === 'create' && r.actor.id === name);

/** The daemon's /info ID, read here directly. */
const infoId = async (socketPath: string): Promise<string> => (await engineJson<{ ID: string }>(socketPath, 'GET', '/info')).ID;

describe('one agent, three daemons', () => {
  let a: PrivateDockerd;
  let b: PrivateDockerd;
  let pm: PrivatePodman;
  beforeAll(async () => {
    [a, b, pm] = await Promise.all([
      startDockerd({ name: 'multi-a', engine: 'docker-20.10' }),
      startDockerd({ name: 'multi-b', engine: 'docker-28' }),
      startPodman({ engine: 'podman-4' }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop(), pm?.stop()]);
  });

  it('names each daemon on its records, and one daemon down stops none of the others', async () => {
    const ids = { local: await infoId(a.socketPath), b: await infoId(b.socketPath) };
    const agent = startAgent(config(a.host, b.host, pm.host));
    try {
      const t = await waitFor(() => agent.agent.telemetry, 20_000, 'telemetry endpoint');
      const metrics = async () => parsePrometheusText(await (await fetch(t.server.url('/metrics'))).text());
      await waitFor(() => ofKind(agent.records(), 'inventory').length >= 3, 30_000, 'an inventory from each daemon');

      await a.dockerOk(['volume', 'create', 'md-a1']);
      await b.dockerOk(['volume', 'create', 'md-b1']);
      await pm.podmanOk(['volume', 'create', 'md-p1']);
      const first = await waitFor(
        () => {
          const rs = agent.records();
          const found = ['md-a1', 'md-b1', 'md-p1'].map((v) => volumeEvent(rs, v));
          return found.every(Boolean) ? found : null;
        },
        30_000,
        'one volume event from each daemon',
      );
      expect(first.map((e) => [e?.actor.id, e?.host.daemon, e?.host.engine])).toEqual([
        ['md-a1', 'local', 'docker'],
        ['md-b1', 'b', 'docker'],
        ['md-p1', 'pm', 'podman'],
      ]);
      expect(first[0]?.host.daemon_id).toBe(ids.local);
      expect(first[1]?.host.daemon_id).toBe(ids.b);
      expect(first[0]?.host.version).not.toBe(first[1]?.host.version);

      // The containers source of daemon b hears b's container events only.
      const onA = await a.runContainer([BUSYBOX_IMAGE, 'sleep', '600']);
      const onB = await b.runContainer([BUSYBOX_IMAGE, 'sleep', '600']);
      await waitFor(
        () => ofKind(agent.records(), 'container_state').some((r) => r.container.id === onB && r.state === 'running'),
        30_000,
        "b's container running",
      );
      const states: ContainerStateRecord[] = ofKind(agent.records(), 'container_state');
      expect(states.some((r) => r.container.id === onA)).toBe(false);
      expect(new Set(states.map((r) => r.host.daemon))).toEqual(new Set(['b']));

      // Daemon a goes down: b and Podman go on, /readyz and the gauges say which one is down.
      await a.stopDaemon();
      await b.dockerOk(['volume', 'create', 'md-b2']);
      await pm.podmanOk(['volume', 'create', 'md-p2']);
      await waitFor(() => volumeEvent(agent.records(), 'md-b2') && volumeEvent(agent.records(), 'md-p2'), 30_000, 'b and Podman events while a is down');
      const down = await waitFor(
        async () => {
          const m = await metrics();
          return sampleValue(m, 'dockstream_daemon_up', { daemon: 'local' }) === 0 ? m : null;
        },
        20_000,
        'daemon_up{local} 0',
      );
      expect(sampleValue(down, 'dockstream_daemon_up', { daemon: 'b' })).toBe(1);
      expect(sampleValue(down, 'dockstream_daemon_up', { daemon: 'pm' })).toBe(1);
      expect(sampleValue(down, 'dockstream_source_info', { source: 'containers_b', type: 'docker_containers', daemon: 'b' })).toBe(1);
      expect(sampleValue(down, 'dockstream_source_info', { source: 'events_pm', type: 'docker_events', daemon: 'pm' })).toBe(1);
      const ready = await fetch(t.server.url('/readyz'));
      expect(ready.status).toBe(503);
      const reasons = ((await ready.json()) as { reasons: string[] }).reasons.filter((l) => l.startsWith('docker'));
      expect(reasons).toHaveLength(1);
      expect(reasons[0]).toMatch(/^docker: /);

      // It comes back: a gap and an inventory for it alone, then its events again.
      await a.startDaemon();
      await a.dockerOk(['volume', 'create', 'md-a2']);
      await waitFor(() => volumeEvent(agent.records(), 'md-a2'), 30_000, "a's event after its restart");
      await waitFor(async () => sampleValue(await metrics(), 'dockstream_daemon_up', { daemon: 'local' }) === 1, 20_000, 'daemon_up{local} 1');
      const rs = agent.records();
      const gaps: GapRecord[] = ofKind(rs, 'gap');
      expect(gaps.map((g) => [g.component, g.reason, g.host.daemon])).toEqual([[expect.stringMatching(/events_a$/), 'daemon_restarted', 'local']]);
      const inventories: InventoryRecord[] = ofKind(rs, 'inventory');
      const reconnects = inventories.filter((i) => i.reason === 'reconnect');
      expect(reconnects.map((i) => i.host.daemon)).toEqual(['local']);
      expect(reconnects[0]?.containers.map((c) => c.id)).toContain(onA);

      // One cursor per source, each on its own daemon.
      for (const [source, daemonId] of [
        ['events_a', ids.local],
        ['events_b', ids.b],
      ] as const) {
        await waitFor(
          () => {
            try {
              return (JSON.parse(readFileSync(join(agent.dir, 'state', 'cursor', `${source}.json`), 'utf8')) as { daemon_id: string }).daemon_id === daemonId;
            } catch {
              return false;
            }
          },
          10_000,
          `${source} cursor on its daemon`,
        );
      }
    } finally {
      await agent.stop();
      removeDir(agent.dir);
    }
  });
});
