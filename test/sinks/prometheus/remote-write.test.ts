// prometheus_remote_write failure mapping and request headers, against a
// loopback HTTP server that answers what a receiver under load or
// misconfigured answers (a real Prometheus is in prometheus.int.test.ts).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors.js';
import type { Sink } from '../../../src/pipeline/types.js';
import { remoteWriteSinkPlugin } from '../../../src/sinks/prometheus_remote_write/plugin.js';
import { toTimeSeries } from '../../../src/sinks/prometheus_remote_write/encode.js';
import { retryAfterMs } from '../../../src/sinks/prometheus_remote_write/transport.js';
import { memoryLogger } from '../../harness/agent.js';
import { DeltaTotals, SeriesMapper } from '../../../src/sinks/prometheus/series.js';
import { diskUsageRecord, eventRecord, gapRecord, sinkContext } from '../../harness/records.js';

const T = '2026-11-23T09:15:00.000000000Z';
let server: Server;
let base: string;
const seen: { url: string; headers: IncomingHttpHeaders; bytes: number }[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    let bytes = 0;
    req.on('data', (b: Buffer) => (bytes += b.length));
    req.on('end', () => {
      seen.push({ url: req.url ?? '', headers: req.headers, bytes });
      const status = Number(/\/(\d{3})/.exec(req.url ?? '')?.[1] ?? 204);
      if (status === 429 || status === 503) res.setHeader('Retry-After', '7');
      res.writeHead(status).end(status >= 400 ? 'out of order sample' : undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

function sink(path: string, extra: Record<string, unknown> = {}): Sink {
  const opts = remoteWriteSinkPlugin.options.parse({ endpoint: `${base}${path}`, ...extra });
  return remoteWriteSinkPlugin.create('rw', opts, sinkContext(memoryLogger().log));
}

async function failure(path: string): Promise<SinkError> {
  const s = sink(path);
  await s.start(AbortSignal.timeout(5000));
  const err = await s.send([diskUsageRecord({ time: T })], AbortSignal.timeout(5000)).then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(SinkError);
  return err as SinkError;
}

describe('prometheus_remote_write', () => {
  it('2xx resolves; sends snappy protobuf with the remote-write headers and the configured auth', async () => {
    const s = sink('/ok', { bearer_token: 's3cret', headers: { 'X-Scope-OrgID': 'team-a' } });
    await s.start(AbortSignal.timeout(5000));
    await s.send([diskUsageRecord({ time: T })], AbortSignal.timeout(5000));
    const req = seen.at(-1);
    expect(req?.headers['content-type']).toBe('application/x-protobuf');
    expect(req?.headers['content-encoding']).toBe('snappy');
    expect(req?.headers['x-prometheus-remote-write-version']).toBe('0.1.0');
    expect(req?.headers.authorization).toBe('Bearer s3cret');
    expect(req?.headers['x-scope-orgid']).toBe('team-a');
    expect(req?.bytes).toBeGreaterThan(100);
    const basic = sink('/ok', { basic_auth: { username: 'u', password: 'p' } });
    await basic.send([diskUsageRecord({ time: T })], AbortSignal.timeout(5000));
    expect(seen.at(-1)?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('a batch without series sends nothing', async () => {
    const n = seen.length;
    await sink('/ok').send([gapRecord({ time: T })], AbortSignal.timeout(5000));
    expect(seen.length).toBe(n);
  });

  it('429 and 5xx are retryable with Retry-After; other 4xx are permanent', async () => {
    const tooMany = await failure('/429');
    expect([tooMany.retryable, tooMany.retryAfterMs]).toEqual([true, 7000]);
    const unavailable = await failure('/503');
    expect([unavailable.retryable, unavailable.retryAfterMs]).toEqual([true, 7000]);
    const bad = await failure('/400');
    expect([bad.retryable, bad.retryAfterMs, bad.details.body]).toEqual([false, undefined, 'out of order sample']);
    expect((await failure('/401')).retryable).toBe(false);
    expect((await failure('/500')).retryable).toBe(true);
  });

  it('no answer is retryable', async () => {
    const s = remoteWriteSinkPlugin.create(
      'rw',
      remoteWriteSinkPlugin.options.parse({ endpoint: 'http://127.0.0.1:1/api/v1/write' }),
      sinkContext(memoryLogger().log),
    );
    const err = await s.send([diskUsageRecord({ time: T })], AbortSignal.timeout(5000)).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
  });

  it('Retry-After takes seconds or an HTTP date', () => {
    expect(retryAfterMs('120')).toBe(120_000);
    expect(retryAfterMs('Wed, 21 Oct 2015 07:28:30 GMT', Date.parse('Wed, 21 Oct 2015 07:28:00 GMT'))).toBe(30_000);
    expect(retryAfterMs('soon')).toBeUndefined();
    expect(retryAfterMs(undefined)).toBeUndefined();
  });

  it('event counts become running totals, kept only once a batch was accepted (a retry does not count twice)', () => {
    const mapper = new SeriesMapper({});
    const start = (n: string) => mapper.samples(eventRecord({ type: 'container', action: 'start', time_nano: n, actor: { id: 'c', attributes: {} } }));
    const totals = new DeltaTotals();
    const batch = [...start('1'), ...start('2')];
    expect(totals.totals(batch).samples.map((x) => x.value)).toEqual([1, 2]);
    const retried = totals.totals(batch);
    expect(retried.samples.map((x) => x.value)).toEqual([1, 2]);
    retried.commit();
    expect(totals.totals(start('3')).samples.map((x) => x.value)).toEqual([3]);
  });

  it('time series: labels sorted with __name__, samples oldest first, one per millisecond (the last, highest total)', () => {
    const mapper = new SeriesMapper({});
    const ev = (ms: number) =>
      mapper.samples({
        ...eventRecord({ type: 'container', action: 'exec_start', time_nano: String(ms * 1e6), actor: { id: 'c', attributes: {} } }),
        time: new Date(ms).toISOString(),
      });
    const { samples } = new DeltaTotals().totals([...ev(1000), ...ev(1000), ...ev(2000)]);
    const [ts] = toTimeSeries(samples);
    expect(ts?.labels.map((l) => l.name)).toEqual(['__name__', 'action', 'dockstream_daemon_name', 'host_name', 'type']);
    expect(ts?.samples).toEqual([
      { value: 2, timestamp: 1000 },
      { value: 3, timestamp: 2000 },
    ]);
    // Gauges arriving out of order are sorted.
    const disk = (ms: number, v: number) =>
      mapper.samples({ ...diskUsageRecord({ time: new Date(ms).toISOString() }), total: diskUsageRecord({ time: T }).total }).map((x) => ({ ...x, value: v }));
    const [first] = toTimeSeries([...disk(3000, 30), ...disk(1000, 10)]);
    expect(first?.samples).toEqual([
      { value: 10, timestamp: 1000 },
      { value: 30, timestamp: 3000 },
    ]);
  });
});
