// The OTLP sink through the Sink interface, against a real OTLP receiver that
// decodes with the official opentelemetry-proto schema, for each protocol.
import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { SinkError } from '../../../src/errors.js';
import { SelfMetrics } from '../../../src/telemetry/metrics.js';
import type { DsRecord } from '../../../src/records.js';
import { createOtlpSink } from '../../../src/sinks/otlp/create.js';
import { otlpOptions, type OtlpProtocol } from '../../../src/sinks/otlp/options.js';
import type { OtlpSink } from '../../../src/sinks/otlp/sink.js';
import { OtlpReceiver, type ReceivedPoint } from '../../harness/otlp-receiver.js';
import { alertRecord, DB, diskUsageRecord, gapRecord, HOST, inventoryRecord, sinkContext, statsRecord, WEB } from '../../harness/records.js';
import { events } from './fixtures.js';

const ctx = sinkContext();
const T1 = '2026-11-23T09:06:35.302202876Z';
const T1_NANOS = '1795424795302202876';
const T2 = '2026-11-23T09:06:36.302954011Z';
const T2_NANOS = '1795424796302954011';

/** What the Collector's docker_stats receiver declares (metadata.yaml), restated independently of the sink's catalog. */
const DOCKER_STATS: Record<string, { unit: string; type: 'gauge' | 'sum'; monotonic?: boolean; valueType: 'int' | 'double' }> = {
  'container.cpu.utilization': { unit: '1', type: 'gauge', valueType: 'double' },
  'container.cpu.usage.total': { unit: 'ns', type: 'sum', monotonic: true, valueType: 'int' },
  'container.cpu.usage.kernelmode': { unit: 'ns', type: 'sum', monotonic: true, valueType: 'int' },
  'container.cpu.usage.usermode': { unit: 'ns', type: 'sum', monotonic: true, valueType: 'int' },
  'container.cpu.logical.count': { unit: '{cpus}', type: 'gauge', valueType: 'int' },
  'container.cpu.throttling_data.periods': { unit: '{periods}', type: 'sum', monotonic: true, valueType: 'int' },
  'container.cpu.throttling_data.throttled_periods': { unit: '{periods}', type: 'sum', monotonic: true, valueType: 'int' },
  'container.cpu.throttling_data.throttled_time': { unit: 'ns', type: 'sum', monotonic: true, valueType: 'int' },
  'container.memory.usage.total': { unit: 'By', type: 'sum', monotonic: false, valueType: 'int' },
  'container.memory.usage.limit': { unit: 'By', type: 'sum', monotonic: false, valueType: 'int' },
  'container.memory.percent': { unit: '1', type: 'gauge', valueType: 'double' },
  'container.memory.total_inactive_file': { unit: 'By', type: 'sum', monotonic: false, valueType: 'int' },
  'container.network.io.usage.rx_bytes': { unit: 'By', type: 'sum', monotonic: true, valueType: 'int' },
  'container.network.io.usage.tx_bytes': { unit: 'By', type: 'sum', monotonic: true, valueType: 'int' },
  'container.network.io.usage.rx_dropped': { unit: '{packets}', type: 'sum', monotonic: true, valueType: 'int' },
  'container.network.io.usage.tx_dropped': { unit: '{packets}', type: 'sum', monotonic: true, valueType: 'int' },
  'container.network.io.usage.rx_packets': { unit: '{packets}', type: 'sum', monotonic: true, valueType: 'int' },
  'container.network.io.usage.tx_packets': { unit: '{packets}', type: 'sum', monotonic: true, valueType: 'int' },
  'container.network.io.usage.rx_errors': { unit: '{errors}', type: 'sum', monotonic: true, valueType: 'int' },
  'container.network.io.usage.tx_errors': { unit: '{errors}', type: 'sum', monotonic: true, valueType: 'int' },
  'container.blockio.io_service_bytes_recursive': { unit: 'By', type: 'sum', monotonic: true, valueType: 'int' },
  'container.pids.count': { unit: '{pids}', type: 'sum', monotonic: false, valueType: 'int' },
  'container.pids.limit': { unit: '{pids}', type: 'sum', monotonic: false, valueType: 'int' },
};

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function expectSinkError(err: unknown): SinkError {
  expect(err).toBeInstanceOf(SinkError);
  return err as SinkError;
}

const PROTOCOLS: [OtlpProtocol, 'none' | 'gzip'][] = [
  ['http/protobuf', 'gzip'],
  ['http/json', 'none'],
  ['grpc', 'gzip'],
];

describe.each(PROTOCOLS)('otlp sink over %s (compression %s)', (protocol, compression) => {
  let receiver: OtlpReceiver;
  const sinks: OtlpSink[] = [];
  const abort = new AbortController();

  function sinkTo(endpoint: string): OtlpSink {
    const options = otlpOptions.parse({
      protocol,
      endpoint,
      compression,
      timeout: '5s',
      headers: { 'x-tenant': 'shop' },
      container_labels: ['com.docker.compose.service'],
    });
    const sink = createOtlpSink('otlp-test', options, ctx);
    sinks.push(sink);
    return sink;
  }
  const endpoint = () => (protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl);

  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterEach(async () => {
    await Promise.all(sinks.splice(0).map((s) => s.close()));
    receiver.reset();
  });
  afterAll(async () => {
    await receiver.close();
  });

  test('every event arrives as one log record with its exact nanosecond timestamp and attributes', async () => {
    const sink = sinkTo(endpoint());
    await sink.start(abort.signal);
    const batch = events();
    await sink.send(batch, abort.signal);

    expect(receiver.requests.map((r) => [r.signal, r.accepted, r.decodeError])).toEqual([['logs', true, null]]);
    const req = receiver.requests[0]!;
    expect(req.headers['x-tenant']).toBe('shop');
    if (protocol !== 'grpc') expect(req.gzip).toBe(compression === 'gzip');
    // Records of the container and of the host go to different resources of one export.
    expect((req.decoded?.['resourceLogs'] as unknown[]).length).toBe(2);

    const logs = receiver.logs();
    expect(logs).toHaveLength(batch.length);
    for (const [i, e] of batch.entries()) {
      const got = logs[i]!;
      expect(got.timeUnixNano).toBe(e.time_nano); // digit for digit
      expect(got.attributes['event.name']).toBe(`docker.${e.type}.${e.action}`);
      expect(got.attributes['docker.event.type']).toBe(e.type);
      expect(got.attributes['docker.event.action']).toBe(e.action);
      expect(got.attributes['docker.event.actor.id']).toBe(e.actor.id);
      expect(got.attributes['docker.event.time_nano']).toBe(e.time_nano);
      for (const [k, v] of Object.entries(e.actor.attributes)) expect(got.attributes[`docker.event.actor.attributes.${k}`]).toBe(v);
      expect((got.body as Record<string, unknown>)['time_nano']).toBe(e.time_nano);
      expect((got.body as Record<string, unknown>)['action']).toBe(e.action);
      expect(got.scope.name).toBe('dockstream');
      expect(got.resource['host.name']).toBe(HOST.name);
      expect(got.resource['service.name']).toBe('dockstream');
      expect(got.resource['container.runtime']).toBe('docker');
      expect(got.resource['container.runtime.version']).toBe(HOST.version);
      expect(got.resource['dockstream.daemon.id']).toBe(HOST.daemon_id);
      expect(got.resource['container.id']).toBe(e.container?.id);
    }
    const byAction = new Map(logs.map((l) => [l.attributes['docker.event.action'], l]));
    expect(byAction.get('exec_start')!.attributes['docker.event.action_detail']).toBe('sh -c echo hi');
    expect(byAction.get('die')!.attributes['docker.event.exit_code']).toBe('137');
    expect(byAction.get('die')!.severityNumber).toBe('SEVERITY_NUMBER_WARN');
    expect(byAction.get('kill')!.attributes['docker.event.signal']).toBe('15');
    expect(byAction.get('prune')!.attributes['docker.event.reclaimed_bytes']).toBe('1048576');
    expect(byAction.get('start')!.resource).toMatchObject({
      'container.id': WEB.id,
      'container.name': WEB.name,
      'container.image.name': WEB.image,
      'container.label.com.docker.compose.service': 'web',
    });
    if (protocol === 'http/json') {
      // eventName (OTLP >= 1.5) is newer than the receiver's schema: read it from the raw JSON.
      const raw = req.json as { resourceLogs: { scopeLogs: { logRecords: { eventName: string }[] }[] }[] };
      const names = raw.resourceLogs.flatMap((rl) => rl.scopeLogs.flatMap((sl) => sl.logRecords.map((lr) => lr.eventName)));
      expect(names.sort()).toEqual(batch.map((e) => `docker.${e.type}.${e.action}`).sort());
    }
  });

  test('alerts, gaps and inventories arrive as log records', async () => {
    const sink = sinkTo(endpoint());
    await sink.send([alertRecord({ time: T1 }), gapRecord({ time: T1 }), inventoryRecord({ time: T2 })], abort.signal);
    const logs = receiver.logs();
    expect(logs.map((l) => l.attributes['event.name'])).toEqual(['dockstream.alert', 'dockstream.gap', 'dockstream.inventory']);
    expect(logs.map((l) => l.timeUnixNano)).toEqual([T1_NANOS, T1_NANOS, T2_NANOS]);
    expect(logs[0]!.attributes).toMatchObject({
      'dockstream.alert.state': 'firing',
      'dockstream.alert.rule': 'volumes-reclaimable',
      'docker.disk.object_type': 'volumes',
      'dockstream.alert.value': '2147483648',
    });
    expect(logs[1]!.attributes).toMatchObject({ 'dockstream.gap.reason': 'ring_overflow', 'dockstream.gap.component': 'source:events' });
    expect((logs[2]!.body as { containers: unknown[] }).containers).toHaveLength(2);
    expect(logs.every((l) => l.resource['container.id'] === undefined && l.resource['host.name'] === HOST.name)).toBe(true);
  });

  test('stats and disk usage arrive with docker_stats names, units, types and resources', async () => {
    const sink = sinkTo(endpoint());
    const batch: DsRecord[] = [
      statsRecord({ container: WEB, time: T1 }),
      statsRecord({ container: DB, time: T1, cpuPercent: null }),
      statsRecord({ container: WEB, time: T2, cpuTotal: 2_111_893_722 }),
      diskUsageRecord({ time: T2 }),
    ];
    await sink.send(batch, abort.signal);
    // One metric export per resource: web, db, the host's disk usage.
    expect(receiver.requests.map((r) => [r.signal, r.accepted])).toEqual([
      ['metrics', true],
      ['metrics', true],
      ['metrics', true],
    ]);
    const points = receiver.points();
    const find = (name: string, containerId: string | undefined, attrs: Record<string, unknown> = {}): ReceivedPoint[] =>
      points.filter((p) => p.name === name && p.resource['container.id'] === containerId && Object.entries(attrs).every(([k, v]) => p.attributes[k] === v));

    for (const [name, want] of Object.entries(DOCKER_STATS)) {
      const got = find(name, WEB.id);
      expect(got.length, name).toBeGreaterThan(0);
      for (const p of got) {
        expect({ name, unit: p.unit, type: p.type, valueType: p.valueType }).toEqual({ name, unit: want.unit, type: want.type, valueType: want.valueType });
        if (want.type === 'sum') {
          expect(p.isMonotonic, name).toBe(want.monotonic);
          expect(p.aggregationTemporality, name).toBe('AGGREGATION_TEMPORALITY_CUMULATIVE');
        }
      }
    }
    // Cumulative counters: start time = the container's first sample seen by the sink; exact values.
    const cpu = find('container.cpu.usage.total', WEB.id);
    expect(cpu.map((p) => [p.startTimeUnixNano, p.timeUnixNano, p.value])).toEqual([
      [T1_NANOS, T1_NANOS, '1055946861'],
      [T1_NANOS, T2_NANOS, '2111893722'],
    ]);
    expect(find('container.cpu.utilization', WEB.id)[0]!.value).toBe(49.87);
    expect(find('container.cpu.utilization', DB.id)).toHaveLength(0); // unknown CPU % is left out, not 0
    expect(find('container.memory.percent', WEB.id)[0]!.value).toBeCloseTo((462_848 / 268_435_456) * 100, 12);
    expect(find('container.network.io.usage.rx_bytes', WEB.id, { interface: 'eth0' }).map((p) => p.value)).toEqual(['1000', '1000']);
    expect(find('container.network.io.usage.tx_bytes', WEB.id, { interface: 'eth1' }).map((p) => p.value)).toEqual(['300', '300']);
    expect(find('container.blockio.io_service_bytes_recursive', WEB.id, { operation: 'read' })[0]!.value).toBe('8192000');
    expect(find('container.blockio.io_service_bytes_recursive', WEB.id, { operation: 'write' })[0]!.value).toBe('4096');
    expect(find('container.pids.count', DB.id)[0]!.value).toBe('3');
    const web = find('container.memory.usage.total', WEB.id)[0]!;
    expect(web.resource).toMatchObject({
      'container.id': WEB.id,
      'container.name': 'web-1',
      'container.image.name': 'local/busybox:1',
      'container.runtime': 'docker',
      'container.label.com.docker.compose.service': 'web',
      'host.name': HOST.name,
      'service.name': 'dockstream',
    });
    expect(find('container.memory.usage.total', DB.id)[0]!.resource['container.name']).toBe('db-1');

    // Disk usage: per object type, bytes and object counts, on the host resource.
    for (const [type, size, reclaimable, total, active] of [
      ['images', '1843200000', '921600000', '5', '2'],
      ['containers', '41943040', '10485760', '7', '3'],
      ['volumes', '3221225472', '2147483648', '4', '1'],
      ['build_cache', '0', '0', '0', '0'],
    ] as const) {
      const t = { 'docker.disk.object_type': type };
      expect(find('docker.disk.size', undefined, t).map((p) => [p.value, p.unit, p.type, p.isMonotonic])).toEqual([[size, 'By', 'sum', false]]);
      expect(find('docker.disk.reclaimable', undefined, t).map((p) => [p.value, p.unit])).toEqual([[reclaimable, 'By']]);
      expect(find('docker.disk.objects', undefined, { ...t, state: 'total' }).map((p) => p.value)).toEqual([total]);
      expect(find('docker.disk.objects', undefined, { ...t, state: 'active' }).map((p) => p.value)).toEqual([active]);
    }
    const disk = find('docker.disk.size', undefined)[0]!;
    expect(disk.timeUnixNano).toBe(T2_NANOS);
    expect(disk.resource['host.name']).toBe(HOST.name);
  });

  test('503 with Retry-After: retryable SinkError after one request; the same batch then goes through', async () => {
    const sink = sinkTo(endpoint());
    const batch = events();
    receiver.failNext(1, 503, 7);
    const err = expectSinkError(await sink.send(batch, abort.signal).catch((e: unknown) => e));
    expect(err.retryable).toBe(true);
    expect(err.retryAfterMs).toBe(7000);
    // The exporter did not retry behind the pipeline's back.
    expect(receiver.requests).toHaveLength(1);
    expect(receiver.requests[0]!.answered).toBe(protocol === 'grpc' ? 14 : 503);

    receiver.failNext(1, 503);
    const bare = expectSinkError(await sink.send(batch, abort.signal).catch((e: unknown) => e));
    expect([bare.retryable, bare.retryAfterMs]).toEqual([true, undefined]);

    await sink.send(batch, abort.signal); // receiver recovered
    expect(receiver.requests.map((r) => r.accepted)).toEqual([false, false, true]);
    expect(receiver.logs().map((l) => l.timeUnixNano)).toEqual(batch.map((e) => e.time_nano));
  });

  test('start reports the single-attempt transport of each HTTP exporter (gRPC has none to replace)', async () => {
    const metrics = new SelfMetrics();
    const sink = createOtlpSink('otlp-gauge', otlpOptions.parse({ protocol, endpoint: endpoint(), timeout: '5s' }), { ...ctx, metrics });
    sinks.push(sink);
    await sink.start(abort.signal);
    const values = (await metrics.otlpExporterReplacement.get()).values.map(({ labels, value }) => [labels.sink, labels.signal, labels.replacement, value]);
    expect(values).toEqual(
      protocol === 'grpc'
        ? []
        : [
            ['otlp-gauge', 'logs', 'single_attempt_transport', 1],
            ['otlp-gauge', 'metrics', 'single_attempt_transport', 1],
          ],
    );
  });

  test('400: permanent SinkError, exactly one request, no retry', async () => {
    const sink = sinkTo(endpoint());
    receiver.failNext(1, 400);
    const err = expectSinkError(await sink.send([statsRecord({ container: WEB, time: T1 })], abort.signal).catch((e: unknown) => e));
    expect(err.retryable).toBe(false);
    expect(err.code).toBe('SINK_PERMANENT');
    expect(receiver.requests).toHaveLength(1);
    await sink.send(events().slice(0, 1), abort.signal);
    // Nothing re-sent the rejected batch in between.
    expect(receiver.requests.map((r) => [r.signal, r.accepted])).toEqual([
      ['metrics', false],
      ['logs', true],
    ]);
  });

  test('check() sends an empty export; an unreachable endpoint is a retryable error', async () => {
    const sink = sinkTo(endpoint());
    expect(await sink.check(abort.signal)).toContain('empty export accepted');
    expect(receiver.requests.map((r) => [r.signal, r.accepted])).toEqual([['logs', true]]);
    expect(receiver.logs()).toHaveLength(0);

    const port = await closedPort();
    const down = sinkTo(`http://127.0.0.1:${port}`);
    const err = expectSinkError(await down.check(abort.signal).catch((e: unknown) => e));
    expect(err.retryable).toBe(true);
    const sendErr = expectSinkError(await down.send(events(), abort.signal).catch((e: unknown) => e));
    expect(sendErr.retryable).toBe(true);
  });
});
