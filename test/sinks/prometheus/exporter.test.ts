// The prometheus_exporter sink on recorded records: what a scrape returns in
// both formats, the series bound, and series ending with their container.
import { afterEach, describe, expect, it } from 'vitest';
import type { Sink } from '../../../src/pipeline/types.js';
import type { ContainerRef, ContainerStateRecord } from '../../../src/records.js';
import { prometheusExporterSinkPlugin } from '../../../src/sinks/prometheus_exporter/plugin.js';
import type { PrometheusExporterSink } from '../../../src/sinks/prometheus_exporter/sink.js';
import { SeriesStore } from '../../../src/sinks/prometheus_exporter/store.js';
import { SeriesMapper } from '../../../src/sinks/prometheus/series.js';
import { SelfMetrics } from '../../../src/telemetry/metrics.js';
import { memoryLogger } from '../../harness/agent.js';
import { parsePrometheusText, sampleValue } from '../../telemetry/prom-text.js';
import { alertRecord, DB, diskUsageRecord, eventRecord, HOST, sinkContext, statsRecord, WEB } from '../../harness/records.js';

const T = '2026-11-23T09:15:00.000000000Z';
const signal = AbortSignal.timeout(30_000);
let sink: Sink | undefined;

async function exporter(options: Record<string, unknown> = {}): Promise<{ sink: PrometheusExporterSink; metrics: SelfMetrics; url: string }> {
  const metrics = new SelfMetrics();
  const opts = prometheusExporterSinkPlugin.options.parse({ listen: '127.0.0.1:0', container_labels: ['com.docker.compose.service'], ...options });
  const s = prometheusExporterSinkPlugin.create('prom', opts, sinkContext(memoryLogger().log, metrics)) as PrometheusExporterSink;
  sink = s;
  await s.start(signal);
  return { sink: s, metrics, url: `http://127.0.0.1:${s.address?.port}/metrics` };
}

const state = (container: ContainerRef, restarts: number, health: 'healthy' | 'unhealthy', over: Partial<ContainerStateRecord> = {}): ContainerStateRecord => ({
  kind: 'container_state',
  schema: 1,
  time: T,
  host: HOST,
  container: { ...container, image_id: 'sha256:00' },
  state: 'running',
  health: { status: health, failing_streak: health === 'healthy' ? 0 : 3 },
  restart_count: restarts,
  oom_killed: false,
  exit_code: null,
  started_at: '2026-11-23T09:00:00Z',
  finished_at: null,
  changes: ['first_seen'],
  oom_kills: 0,
  ...over,
});

afterEach(async () => {
  await sink?.close();
  sink = undefined;
});

describe('prometheus_exporter', () => {
  it('serves the latest stats, disk usage, alert and event series in the text format', async () => {
    const { sink: s, url } = await exporter();
    await s.send(
      [
        statsRecord({ container: WEB, time: T, cpuTotal: 1000 }),
        statsRecord({ container: WEB, time: T, cpuTotal: 2000 }),
        statsRecord({ container: DB, time: T }),
        diskUsageRecord({ time: T }),
        alertRecord({ time: T }),
      ],
      signal,
    );
    await s.send(
      [eventRecord({ type: 'container', action: 'start', time_nano: '1795432795302202876', actor: { id: DB.id, attributes: {} }, container: DB })],
      signal,
    );
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const f = parsePrometheusText(await res.text());
    const web = { container_id: WEB.id, container_name: 'web-1', container_image_name: 'local/busybox:1', host_name: 'build-07' };
    expect(sampleValue(f, 'container_cpu_usage_nanoseconds_total', web)).toBe(2000);
    expect(f.get('container_cpu_usage_nanoseconds_total')?.type).toBe('counter');
    expect(sampleValue(f, 'container_memory_usage_total_bytes', { ...web, container_label_com_docker_compose_service: 'web' })).toBe(462_848);
    expect(sampleValue(f, 'container_network_io_usage_rx_bytes_total', { ...web, interface: 'eth1' })).toBe(500);
    expect(sampleValue(f, 'container_blockio_io_service_bytes_recursive_total', { ...web, operation: 'read' })).toBe(8_192_000);
    expect(sampleValue(f, 'docker_disk_reclaimable_bytes', { host_name: 'build-07', docker_disk_object_type: 'volumes' })).toBe(2_147_483_648);
    expect(sampleValue(f, 'docker_disk_objects', { docker_disk_object_type: 'images', state: 'active' })).toBe(2);
    expect(sampleValue(f, 'dockstream_alert_firing', { rule: 'volumes-reclaimable', object: 'volumes', metric: 'reclaimable_bytes' })).toBe(1);
    expect(sampleValue(f, 'docker_events_total', { type: 'container', action: 'start', host_name: 'build-07' })).toBe(1);
    expect(f.get('docker_disk_size_bytes')?.samples).toHaveLength(4);
  });

  it('answers OpenMetrics when the scraper asks for it', async () => {
    const { sink: s, url } = await exporter();
    await s.send([statsRecord({ container: WEB, time: T })], signal);
    const res = await fetch(url, { headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' } });
    expect(res.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const body = await res.text();
    expect(body.endsWith('# EOF\n')).toBe(true);
    expect(body).toContain('# TYPE container_cpu_usage_nanoseconds counter\n');
    expect(body).toMatch(new RegExp(`^container_cpu_usage_nanoseconds_total\\{[^}]*container_id="${WEB.id}"[^}]*\\} 1055946861$`, 'm'));
    // The text format is unchanged after an OpenMetrics scrape (the registries share no objects).
    expect(await (await fetch(url)).text()).toContain('# TYPE container_cpu_usage_nanoseconds_total counter\n');
  });

  it.each(['die', 'destroy'])('a container takes its series with it on %s; other containers stay', async (action) => {
    const { sink: s, url } = await exporter();
    await s.send([statsRecord({ container: WEB, time: T }), statsRecord({ container: DB, time: T })], signal);
    const before = s.seriesCount;
    await s.send([eventRecord({ type: 'container', action, time_nano: '1795432795302202876', actor: { id: WEB.id, attributes: {} }, container: WEB })], signal);
    const body = await (await fetch(url)).text();
    expect(body).not.toContain(WEB.id);
    expect(body).toContain(DB.id);
    // One event series appeared; every WEB series left.
    expect(s.seriesCount).toBe(before / 2 + 1);
    // Other container events leave the series alone.
    await s.send(
      [eventRecord({ type: 'container', action: 'exec_start', time_nano: '1795432795302202877', actor: { id: DB.id, attributes: {} }, container: DB })],
      signal,
    );
    expect(await (await fetch(url)).text()).toContain(`container_pids_count{host_name="build-07",dockstream_daemon_name="local",container_id="${DB.id}"`);
  });

  it('container_state series are per container, with its name and Compose labels', async () => {
    const { sink: s, url } = await exporter();
    await s.send([state({ ...WEB, compose: { project: 'shop', service: 'web', number: 1 } }, 3, 'unhealthy'), state(DB, 0, 'healthy')], signal);
    const f = parsePrometheusText(await (await fetch(url)).text());
    const web = { container_id: WEB.id, container_name: 'web-1', docker_compose_project: 'shop', docker_compose_service: 'web' };
    expect(sampleValue(f, 'container_restarts_total', web)).toBe(3);
    expect(sampleValue(f, 'container_restarts_total', { container_id: DB.id, container_name: 'db-1' })).toBe(0);
    expect(sampleValue(f, 'container_health_status', { ...web, status: 'unhealthy' })).toBe(1);
    expect(sampleValue(f, 'container_health_status', { container_id: DB.id, status: 'unhealthy' })).toBe(0);
    expect(f.get('container_restarts_total')?.samples).toHaveLength(2);
    expect(f.get('container_restarts_total')?.samples.find((x) => x.labels['container_id'] === DB.id)?.labels['docker_compose_service']).toBeUndefined();
  });

  it('a stopped container keeps its container_state series (status exited) after its die event; destroy ends them', async () => {
    const { sink: s, url } = await exporter();
    const die = (action: string) =>
      eventRecord({ type: 'container', action, time_nano: '1795432795302202876', actor: { id: WEB.id, attributes: {} }, container: WEB });
    // The record saying exited can pass before the die event: nothing comes after it to put the series back.
    await s.send([statsRecord({ container: WEB, time: T }), state(WEB, 2, 'healthy', { state: 'exited', exit_code: 1 }), die('die')], signal);
    let f = parsePrometheusText(await (await fetch(url)).text());
    expect(sampleValue(f, 'container_status', { container_id: WEB.id, status: 'exited' })).toBe(1);
    expect(sampleValue(f, 'container_restarts_total', { container_id: WEB.id })).toBe(2);
    expect(sampleValue(f, 'container_cpu_usage_nanoseconds_total', { container_id: WEB.id })).toBeUndefined();
    await s.send([die('destroy')], signal);
    f = parsePrometheusText(await (await fetch(url)).text());
    expect([...f.values()].flatMap((x) => x.samples).filter((x) => x.labels['container_id'] === WEB.id)).toEqual([]);
  });

  it('refuses new series beyond max_series and counts them as dropped', async () => {
    const { sink: s, metrics } = await exporter({ max_series: 10 });
    await s.send([statsRecord({ container: WEB, time: T }), diskUsageRecord({ time: T })], signal);
    expect(s.seriesCount).toBe(10);
    const dropped = Object.fromEntries((await metrics.dropped.get()).values.map((v) => [`${v.labels.component} ${v.labels.kind} ${v.labels.reason}`, v.value]));
    const statsSeries = new SeriesMapper({}).samples(statsRecord({ container: WEB, time: T })).length;
    expect(statsSeries).toBe(32);
    expect(dropped).toEqual({ 'sink:prom stats max_series': statsSeries - 10, 'sink:prom disk_usage max_series': 16 });
    // Known series still update at the bound.
    await s.send([statsRecord({ container: WEB, time: T, cpuTotal: 5 })], signal);
    expect(s.seriesCount).toBe(10);
  });

  it('series not updated within expire_after disappear', () => {
    const store = new SeriesStore(100, 60_000);
    const [a, b] = new SeriesMapper({}).samples(statsRecord({ container: WEB, time: T }));
    store.put(a!, 0);
    store.put(b!, 50_000);
    expect(store.expire(70_000)).toBe(1);
    expect(store.size).toBe(1);
    expect(store.removeContainer(WEB.id)).toBe(1);
    expect(store.size).toBe(0);
  });
});
