// Pure parts of the OTLP sink: timestamps, endpoint/protocol precedence, the catalog, series start times.
import { describe, expect, test } from 'vitest';
import { statsPoints } from '../../../src/sinks/otlp/catalog.js';
import { SeriesStarts, toResourceMetrics } from '../../../src/sinks/otlp/metrics.js';
import { labelAttributes } from '../../../src/sinks/otlp/attributes.js';
import { otlpOptions, resolveTarget } from '../../../src/sinks/otlp/options.js';
import { ResourceCatalog } from '../../../src/sinks/otlp/resource.js';
import { hrTimeToNanos, nanosToHrTime, rfc3339ToHrTime } from '../../../src/sinks/otlp/time.js';
import { createOtlpSink } from '../../../src/sinks/otlp/create.js';
import { DB, eventRecord, gapRecord, sinkContext, statsRecord, WEB } from '../../harness/records.js';

describe('time', () => {
  test('nanosecond strings become [seconds, nanos] without rounding', () => {
    expect(nanosToHrTime('1795432795302202876')).toEqual([1795432795, 302202876]);
    expect(hrTimeToNanos(nanosToHrTime('1795432795302202876'))).toBe('1795432795302202876');
    expect(nanosToHrTime('1000000000')).toEqual([1, 0]);
  });

  test('RFC 3339 with nanoseconds, fewer digits and offsets', () => {
    expect(rfc3339ToHrTime('2026-11-23T09:06:35.302202876Z')).toEqual([1795424795, 302202876]);
    expect(rfc3339ToHrTime('2026-11-23T09:06:35.3Z')).toEqual([1795424795, 300000000]);
    expect(rfc3339ToHrTime('2026-11-23T11:06:35.000000001+02:00')).toEqual([1795424795, 1]);
    expect(rfc3339ToHrTime('2026-11-23T09:06:35Z')).toEqual([1795424795, 0]);
    expect(() => rfc3339ToHrTime('yesterday')).toThrow(/RFC 3339/);
  });
});

describe('endpoint and protocol precedence', () => {
  const opts = (o: Record<string, unknown> = {}) => otlpOptions.parse(o);

  test('defaults follow the OTel SDK: http/protobuf to localhost:4318', () => {
    expect(resolveTarget(opts(), 'logs', {})).toEqual({ protocol: 'http/protobuf', url: undefined, describe: 'http://localhost:4318/v1/logs' });
    expect(resolveTarget(opts({ protocol: 'grpc' }), 'metrics', {}).describe).toBe('http://localhost:4317');
  });

  test('signal-specific env beats general env; config beats both', () => {
    const env = {
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_METRICS_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_METRICS_ENDPOINT: 'http://metrics:4318/custom',
    };
    expect(resolveTarget(opts(), 'logs', env)).toEqual({ protocol: 'grpc', url: undefined, describe: 'http://collector:4318' });
    expect(resolveTarget(opts(), 'metrics', env)).toEqual({ protocol: 'http/json', url: undefined, describe: 'http://metrics:4318/custom' });
    const configured = opts({ protocol: 'http/protobuf', endpoint: 'https://otel.example:4318/' });
    expect(resolveTarget(configured, 'metrics', env)).toMatchObject({ protocol: 'http/protobuf', url: 'https://otel.example:4318/v1/metrics' });
    expect(resolveTarget(opts({ logs_endpoint: 'http://l:1/x' }), 'logs', {}).url).toBe('http://l:1/x');
    expect(() => resolveTarget(opts(), 'logs', { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/xml' })).toThrow(/unsupported OTLP protocol/);
  });

  test('container labels: a list maps to container.label.<key>, a map names the attribute', () => {
    expect(labelAttributes(opts({ container_labels: ['app'] }).container_labels)).toEqual({ app: 'container.label.app' });
    expect(labelAttributes(opts({ container_labels: { 'com.docker.compose.service': 'service.name.compose' } }).container_labels)).toEqual({
      'com.docker.compose.service': 'service.name.compose',
    });
  });
});

describe('catalog', () => {
  test('totals without per-interface counters carry no interface attribute; pids 0 means unavailable', () => {
    const base = statsRecord({ container: WEB, time: '2026-11-23T09:06:35Z' });
    const podmanLike = { ...base, network: { ...base.network, interfaces: {} }, pids: { current: 0, limit: null } };
    const points = statsPoints(podmanLike);
    const rx = points.filter((p) => p.spec.name === 'container.network.io.usage.rx_bytes');
    expect(rx.map((p) => [p.value, p.attributes])).toEqual([[1500, {}]]);
    expect(points.some((p) => p.spec.name.startsWith('container.pids'))).toBe(false);
  });
});

describe('series start times', () => {
  const resources = new ResourceCatalog({ serviceVersion: 'test', containerLabels: {}, extra: {} });
  const scope = { name: 'dockstream' };
  const cpuStart = (rm: ReturnType<typeof toResourceMetrics>, containerId: string) => {
    const r = rm.find((x) => x.resource.attributes['container.id'] === containerId)!;
    const m = r.scopeMetrics[0]!.metrics.find((x) => x.descriptor.name === 'container.cpu.usage.total')!;
    return m.dataPoints.map((p) => hrTimeToNanos(p.startTime));
  };

  test('first sample per container; renewed when counters go backwards or after the container is forgotten', () => {
    const starts = new SeriesStarts();
    const t = (s: number) => `2026-11-23T09:06:${String(s).padStart(2, '0')}.000000001Z`;
    const ns = (s: number) => `${1795424760 + s}000000001`; // 09:06:00Z is 1795424760 s
    let rm = toResourceMetrics(
      [
        statsRecord({ container: WEB, time: t(10), cpuTotal: 500 }),
        statsRecord({ container: DB, time: t(11) }),
        statsRecord({ container: WEB, time: t(12), cpuTotal: 900 }),
      ],
      resources,
      scope,
      starts,
    );
    expect(cpuStart(rm, WEB.id)).toEqual([ns(10), ns(10)]);
    expect(cpuStart(rm, DB.id)).toEqual([ns(11)]);
    // Restarted container: fresh cgroup counters, fresh start.
    rm = toResourceMetrics(
      [statsRecord({ container: WEB, time: t(20), cpuTotal: 100 }), statsRecord({ container: WEB, time: t(21), cpuTotal: 200 })],
      resources,
      scope,
      starts,
    );
    expect(cpuStart(rm, WEB.id)).toEqual([ns(20), ns(20)]);
    starts.forgetContainer(DB.id);
    rm = toResourceMetrics([statsRecord({ container: DB, time: t(30) })], resources, scope, starts);
    expect(cpuStart(rm, DB.id)).toEqual([ns(30)]);
  });

  test('one Resource object per container, reused across records', () => {
    const a = resources.forRecord(statsRecord({ container: WEB, time: '2026-11-23T09:06:35Z' }));
    const b = resources.forRecord(statsRecord({ container: WEB, time: '2026-11-23T09:06:36Z' }));
    const c = resources.forRecord(statsRecord({ container: DB, time: '2026-11-23T09:06:36Z' }));
    expect(a).toBe(b);
    expect(a).not.toBe(c);
  });
});

test('reject(): records whose timestamps cannot be encoded are dead-lettered, not sent', () => {
  const sink = createOtlpSink('otlp', otlpOptions.parse({}), sinkContext(), {});
  expect(sink.reject(eventRecord({ type: 'container', action: 'start', time_nano: '1795432795302202876' }))).toBeNull();
  expect(sink.reject({ ...eventRecord({ type: 'container', action: 'start', time_nano: '1' }), time_nano: '1.5e18' })).toMatch(/time_nano/);
  expect(sink.reject(gapRecord({ time: '2026-11-23T09:06:35.302202876Z' }))).toBeNull();
  expect(sink.reject(gapRecord({ time: '23/11/2026' }))).toMatch(/RFC 3339/);
});
