// End to end on a real Prometheus (Debian's 2.42): it scrapes the
// prometheus_exporter sink and the agent's /metrics, receives the
// prometheus_remote_write sink, and evaluates a test copy of the shipped
// rules; the shipped dashboard's queries run against it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pino } from 'pino';
import type { StatsRecord } from '../../../src/records.js';
import { remoteWriteSinkPlugin } from '../../../src/sinks/prometheus_remote_write/plugin.js';
import { SelfMetrics } from '../../../src/telemetry/metrics.js';
import { removeDir, startAgent, waitFor, type RunningAgent } from '../../harness/agent.js';
import { BUSYBOX_IMAGE, startDockerd, type PrivateDockerd } from '../../harness/dockerd.js';
import { freePort, startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';
import { dashboardQueries, exporterLines, testRules } from './fixtures.js';

const config = (dockerHost: string, promUrl: string, exporterPort: number, telemetryPort: number) => `
docker: { host: ${dockerHost} }
state_dir: \${DIR}/state
shutdown_timeout: 5s
telemetry: { listen: 127.0.0.1:${telemetryPort} }
sources:
  events: { type: docker_events }
  stats: { type: docker_stats, interval: 1s, labels: [suite] }
  df:
    type: docker_df
    interval: 1s
    rules: [{ name: volumes-big, object: volumes, reclaimable_bytes: 1MiB }]
sinks:
  exporter:
    type: prometheus_exporter
    inputs: [events, stats, df]
    listen: 127.0.0.1:${exporterPort}
    container_labels: [suite]
  remote:
    type: prometheus_remote_write
    inputs: [events, stats, df]
    endpoint: ${promUrl}/api/v1/write
    container_labels: [suite]
    labels: { path: remote_write }
    batch: { linger: 200ms }
  # A wrong path: Prometheus answers 404, a permanent failure (dead-lettered).
  misrouted:
    type: prometheus_remote_write
    inputs: [df]
    endpoint: ${promUrl}/api/v1/nowhere
  # Too small for one container's series: the rest is dropped and counted.
  tiny:
    type: prometheus_exporter
    inputs: [stats]
    listen: 127.0.0.1:0
    max_series: 5
  out:
    type: file
    inputs: [stats]
    path: \${DIR}/out/records.ndjson
    fsync: never
`;

interface Alert {
  readonly labels: Record<string, string>;
  readonly state: string;
}

describe('Prometheus sinks, rules and dashboard on a real Prometheus', () => {
  let d: PrivateDockerd;
  let prom: PrometheusServer;
  let agent: RunningAgent;
  let exporterUrl: string;

  beforeAll(async () => {
    d = await startDockerd({ name: 'prometheus' });
    const [exporterPort, telemetryPort] = [await freePort(), await freePort()];
    exporterUrl = `http://127.0.0.1:${exporterPort}/metrics`;
    prom = await startPrometheus({
      scrape: { exporter: [`127.0.0.1:${exporterPort}`], dockstream: [`127.0.0.1:${telemetryPort}`] },
      rules: { 'dockstream.rules.yml': testRules() },
      interval: '1s',
    });
    agent = startAgent(config(d.host, prom.url, exporterPort, telemetryPort));
  });

  afterAll(async () => {
    await agent?.stop();
    if (agent) removeDir(agent.dir);
    await prom?.stop();
    await d?.stop();
  });

  const alerts = async (name: string): Promise<Alert[]> => (await prom.api<{ alerts: Alert[] }>('alerts')).alerts.filter((a) => a.labels.alertname === name);
  const value = async (expr: string): Promise<number | undefined> => {
    const r = await prom.query(expr);
    return r.length === 1 ? Number(r[0]?.value[1]) : undefined;
  };

  it('an unused volume over the threshold fires the reclaimable alert on both paths; prune resolves it', async () => {
    await d.dockerOk(['volume', 'create', 'big']);
    await d.dockerOk(['run', '--rm', '--network', 'none', '-v', 'big:/data', BUSYBOX_IMAGE, 'dd', 'if=/dev/zero', 'of=/data/f', 'bs=1048576', 'count=4']);
    const firing = await waitFor(
      async () => {
        const a = (await alerts('DockerDiskReclaimableHigh')).filter((x) => x.state === 'firing' && x.labels.docker_disk_object_type === 'volumes');
        return a.length === 2 ? a : null;
      },
      60_000,
      'DockerDiskReclaimableHigh firing for volumes from the scrape and from remote write',
    );
    expect(firing.map((a) => a.labels.job ?? a.labels.path).sort()).toEqual(['exporter', 'remote_write']);
    // Both scrape targets are up: the exporter sink and the agent's own /metrics.
    expect(await value('up{job="exporter"}')).toBe(1);
    expect(await value('up{job="dockstream"}')).toBe(1);
    expect(await value('dockstream_daemon_up{job="dockstream"}')).toBe(1);
    // The scraped and the pushed figure are the same number, at least the 4 MiB written.
    const scraped = await value('docker_disk_reclaimable_bytes{docker_disk_object_type="volumes",job="exporter"}');
    const pushed = await value('docker_disk_reclaimable_bytes{docker_disk_object_type="volumes",path="remote_write"}');
    expect(scraped).toBeGreaterThanOrEqual(4 * 1024 * 1024);
    expect(pushed).toBe(scraped);
    // The agent's own rule is a series too, and DockstreamDiskRuleFiring routes it.
    expect(await value('dockstream_alert_firing{rule="volumes-big",job="exporter"}')).toBe(1);
    await waitFor(
      async () => (await alerts('DockstreamDiskRuleFiring')).some((a) => a.state === 'firing' && a.labels.rule === 'volumes-big'),
      30_000,
      'DockstreamDiskRuleFiring',
    );

    await d.dockerOk(['volume', 'prune', '-f']);
    expect(await d.dockerOk(['volume', 'ls', '-q'])).toBe('');
    await waitFor(
      async () => (await alerts('DockerDiskReclaimableHigh')).every((a) => a.labels.docker_disk_object_type !== 'volumes'),
      60_000,
      'the volumes alert to resolve',
    );
    await waitFor(
      async () => (await value('dockstream_alert_firing{rule="volumes-big",path="remote_write"}')) === 0,
      30_000,
      'the agent rule resolved (0) via remote write',
    );
    expect(await value('docker_disk_reclaimable_bytes{docker_disk_object_type="volumes",job="exporter"}')).toBe(0);
  });

  it('every query of the shipped dashboard returns data', async () => {
    const id = await d.runContainer(['--label', 'suite=prom', BUSYBOX_IMAGE, 'sleep', '1000']);
    // Series with the container's labels arrive by both paths.
    await waitFor(
      async () => (await prom.query(`container_memory_usage_total_bytes{container_id="${id}",container_label_suite="prom"}`)).length === 2,
      30_000,
      'container series from both paths',
    );
    // Prometheus 2.42 scrapes OpenMetrics (counters as <name>_total): same names as remote write.
    const cpu = await prom.query(`container_cpu_usage_nanoseconds_total{container_id="${id}"}`);
    expect(cpu.map((x) => x.metric.job ?? x.metric.path).sort()).toEqual(['exporter', 'remote_write']);
    // Containers run with --network none here, so the daemon reports no interfaces:
    // push two samples of a real stats record with an eth0 through the remote-write sink.
    const real = await waitFor(() => agent.records().find((r): r is StatsRecord => r.kind === 'stats' && r.container.id === id), 20_000, 'a stats record');
    const withNet = (ageMs: number, bytes: number): StatsRecord => {
      const eth0 = { rx_bytes: bytes, rx_packets: 10, rx_errors: 0, rx_dropped: 0, tx_bytes: bytes / 2, tx_packets: 5, tx_errors: 0, tx_dropped: 0 };
      return { ...real, time: new Date(Date.now() - ageMs).toISOString(), network: { ...eth0, interfaces: { eth0 } } };
    };
    const sink = remoteWriteSinkPlugin.create('recorded', remoteWriteSinkPlugin.options.parse({ endpoint: `${prom.url}/api/v1/write` }), {
      log: pino({ level: 'silent' }),
      metrics: new SelfMetrics(),
      host: () => real.host,
    });
    await sink.start(AbortSignal.timeout(5000));
    await sink.send([withNet(10_000, 1000), withNet(0, 6000)], AbortSignal.timeout(10_000));
    await sink.close();
    const hosts = await prom.api<string[]>('label/host_name/values');
    const instances = await prom.api<string[]>('label/instance/values');
    expect(hosts).toEqual([real.host.name]);
    const queries = dashboardQueries({ host: hosts.join('|'), instance: instances.join('|'), __rate_interval: '1m' });
    expect(queries.length).toBeGreaterThanOrEqual(20);
    const empty: string[] = [];
    // The annotation needs a firing disk alert: a fresh volume over the test threshold.
    await d.dockerOk(['volume', 'create', 'again']);
    await d.dockerOk(['run', '--rm', '--network', 'none', '-v', 'again:/data', BUSYBOX_IMAGE, 'dd', 'if=/dev/zero', 'of=/data/f', 'bs=1048576', 'count=2']);
    await waitFor(async () => (await alerts('DockerDiskReclaimableHigh')).some((a) => a.state === 'firing'), 60_000, 'a firing disk alert');
    for (const q of queries) {
      const ok = await waitFor(async () => (await prom.query(q.expr)).length > 0 || null, 15_000, q.panel).catch(() => false);
      if (!ok) empty.push(`${q.panel}: ${q.expr}`);
    }
    expect(empty).toEqual([]);
    // Values beside presence: the two recorded eth0 samples, as sent.
    expect(await value(`container_network_io_usage_rx_bytes_total{container_id="${id}",interface="eth0"}`)).toBe(6000);
    expect(await value(`count_over_time(container_network_io_usage_tx_bytes_total{container_id="${id}",interface="eth0"}[1m])`)).toBe(2);
    expect(await value(`min_over_time(container_network_io_usage_tx_bytes_total{container_id="${id}",interface="eth0"}[1m])`)).toBe(500);
    // The drops and dead letters the health panels show are the configured ones.
    expect(await value('sum(dockstream_dropped_records_total{component="sink:tiny",reason="max_series"}) > 0')).toBeGreaterThan(0);
    expect(await value('sum(dockstream_dead_lettered_records_total{sink="misrouted"}) > 0')).toBeGreaterThan(0);
    expect(await value('dockstream_sink_up{sink="misrouted"}')).toBe(0);
    expect(await value('dockstream_sink_up{sink="remote"}')).toBe(1);
    // The health rules fire on the agent's real metrics: the misrouted sink fails and dead-letters, tiny drops.
    for (const [alertname, label, want] of [
      ['DockstreamSinkFailing', 'sink', 'misrouted'],
      ['DockstreamDeadLettered', 'sink', 'misrouted'],
      ['DockstreamRecordsDropped', 'component', 'sink:tiny'],
    ] as const) {
      await waitFor(async () => (await alerts(alertname)).some((a) => a.state === 'firing' && a.labels[label] === want), 30_000, `${alertname} for ${want}`);
    }
    expect((await alerts('DockstreamSinkFailing')).map((a) => a.labels.sink)).toEqual(['misrouted']);
    expect(await alerts('DockstreamDaemonUnreachable')).toEqual([]);
    expect(await alerts('DockstreamSourceStopped')).toEqual([]);
    await d.dockerOk(['rm', '-f', id]);
  });

  it('a container removed mid-run leaves no series behind in the exporter', async () => {
    const id = await d.runContainer(['--label', 'suite=prom', BUSYBOX_IMAGE, 'sleep', '1000']);
    const lines = await waitFor(
      async () => {
        const l = await exporterLines(exporterUrl, id);
        return l.some((x) => x.startsWith('container_pids_count{')) ? l : null;
      },
      30_000,
      'the container in the exporter',
    );
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(lines.every((l) => l.includes(`container_label_suite="prom"`))).toBe(true);
    await d.dockerOk(['rm', '-f', id]);
    await waitFor(async () => (await exporterLines(exporterUrl, id)).length === 0, 15_000, 'the container series to go');
    // And Prometheus sees them end (staleness): nothing left for the container from the scrape.
    await waitFor(async () => (await prom.query(`container_pids_count{container_id="${id}",job="exporter"}`)).length === 0, 15_000, 'stale in Prometheus');
  });
});
