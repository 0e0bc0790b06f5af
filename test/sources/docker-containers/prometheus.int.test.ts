// What the prometheus_exporter sink serves from the container_state records of
// a real engine (one is enough: the series come from the records the other
// live tests check on every engine): restarts, health state set and Compose
// labels, as docs/metrics.md names them (issue #20).
import { beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../../harness/agent.js';
import { BUSYBOX_IMAGE } from '../../harness/busybox.js';
import { DOCKER_ENGINES } from '../../harness/engines.js';
import { ofKind } from '../../harness/records.js';
import { parsePrometheusText, sampleValue, type Family } from '../../telemetry/prom-text.js';
import { eventsOf, FAILING_HEALTH, SHOP_WEB_LABELS, statesOf, useLiveAgent } from './live.js';

const PROM_SINK = `  prom:
    type: prometheus_exporter
    inputs: [events, containers, stats]
    listen: 127.0.0.1:0
`;

// The newest Docker engine of the run.
describe.each(DOCKER_ENGINES.slice(-1))('container_state series on the Prometheus exporter (%s)', (engine) => {
  const live = useLiveAgent(engine, 'cprom', 'com.docker.compose.project=shop', { extraSinks: PROM_SINK });
  let url = '';

  beforeAll(async () => {
    // Port 0: the sink logs the address it bound.
    const listen = await waitFor(() => live.agent.logs.find((l) => l.msg === 'prometheus_exporter listening')?.['listen'], 10_000, 'the exporter address');
    url = `http://${String(listen)}/metrics`;
  });

  const scrape = async (): Promise<Map<string, Family>> => {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    return parsePrometheusText(await res.text());
  };

  it('serves container_restarts_total, the health state set and the Compose labels of these containers', async () => {
    const agent = live.agent;
    const web = await live.engine.run(['--name', 'shop-web-2', ...SHOP_WEB_LABELS, ...FAILING_HEALTH, BUSYBOX_IMAGE, 'sleep', '3600']);
    const crashing = await live.engine.run(['--name', 'cs-crashloop', '--restart', 'on-failure:3', BUSYBOX_IMAGE, 'sh', '-c', 'exit 1']);
    await waitFor(() => statesOf(agent.records(), web).some((r) => r.health?.status === 'unhealthy'), 60_000, 'an unhealthy record');
    await waitFor(
      () => statesOf(agent.records(), crashing).at(-1)?.state === 'exited' && statesOf(agent.records(), crashing).at(-1)?.restart_count === 3,
      60_000,
      'restarts exhausted',
    );

    const webLabels = {
      container_id: web,
      container_name: 'shop-web-2',
      docker_compose_project: 'shop',
      docker_compose_service: 'web',
      dockstream_daemon_name: 'local',
    };
    const crashLabels = { container_id: crashing, container_name: 'cs-crashloop' };
    // The records are in the file sink; the exporter takes the same batches on its own runner.
    const f = await waitFor(
      async () => {
        const families = await scrape();
        const done =
          sampleValue(families, 'container_health_status', { ...webLabels, status: 'unhealthy' }) === 1 &&
          sampleValue(families, 'container_restarts_total', crashLabels) === 3;
        return done ? families : null;
      },
      30_000,
      'the series of both containers',
    );

    expect(f.get('container_restarts_total')?.type).toBe('counter');
    expect(sampleValue(f, 'container_restarts_total', webLabels)).toBe(0);
    expect(sampleValue(f, 'container_status', { ...crashLabels, status: 'exited' })).toBe(1);
    expect(sampleValue(f, 'container_status', { ...crashLabels, status: 'running' })).toBe(0);
    // A state set: the current status 1, the others 0.
    expect(sampleValue(f, 'container_health_status', { ...webLabels, status: 'starting' })).toBe(0);
    expect(sampleValue(f, 'container_health_status', { ...webLabels, status: 'healthy' })).toBe(0);
    expect(sampleValue(f, 'container_health_failing_streak', webLabels)).toBeGreaterThanOrEqual(2);
    expect(sampleValue(f, 'container_status', { ...webLabels, status: 'running' })).toBe(1);
    // Compose labels only on the Compose container's series.
    const crashSeries = [...f.values()].flatMap((fam) => fam.samples).filter((s) => s.labels['container_id'] === crashing);
    expect(crashSeries.length).toBeGreaterThan(0);
    expect(crashSeries.filter((s) => 'docker_compose_service' in s.labels)).toEqual([]);
    // The Compose container's stats series carry them too.
    await waitFor(async () => sampleValue(await scrape(), 'container_pids_count', webLabels) !== undefined, 30_000, 'stats series of shop-web-2');
    // Removed: every series of the container goes.
    await live.engine.remove(web);
    await waitFor(
      async () => [...(await scrape()).values()].every((fam) => fam.samples.every((x) => x.labels['container_id'] !== web)),
      30_000,
      'shop-web-2 series gone',
    );
    await live.engine.remove(crashing);
  });

  it('containers that exited on their own keep container_status{status="exited"} 1 after their die events', async () => {
    const agent = live.agent;
    const dies = () => ofKind(agent.records(), 'event').filter((r) => r.type === 'container' && r.action === 'die').length;
    // At once: the inspect after start often finds them exited already, so the record saying so passes before die.
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await live.engine.run(['--name', `cs-exit-${i}`, BUSYBOX_IMAGE, 'sh', '-c', 'exit 3']));
    await waitFor(
      () => ids.every((id) => statesOf(agent.records(), id).at(-1)?.state === 'exited' && eventsOf(agent.records(), id).some((r) => r.action === 'die')),
      30_000,
      'exited records and die events',
    );
    // The exporter counted every die the file holds: it has seen them all.
    const f = await waitFor(
      async () => {
        const families = await scrape();
        return sampleValue(families, 'docker_events_total', { type: 'container', action: 'die' }) === dies() ? families : null;
      },
      30_000,
      'the exporter to count every die event',
    );
    for (const id of ids) expect([id, sampleValue(f, 'container_status', { container_id: id, status: 'exited' })]).toEqual([id, 1]);
    for (const id of ids) expect([id, sampleValue(f, 'container_restarts_total', { container_id: id })]).toEqual([id, 0]);
    // Their stats series ended with die (a stopped container has no current CPU or memory).
    for (const id of ids) expect(sampleValue(f, 'container_pids_count', { container_id: id })).toBeUndefined();
    for (const id of ids) await live.engine.remove(id);
  });
});
