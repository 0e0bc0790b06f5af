import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { formatListen, parseListen } from '../../src/telemetry/listen.js';
import { SelfMetrics } from '../../src/telemetry/metrics.js';
import { readiness, type Readiness } from '../../src/telemetry/readiness.js';
import { TelemetryServer } from '../../src/telemetry/server.js';
import { memoryLogger } from '../harness/agent.js';
import { parsePrometheusText, sampleValue } from './prom-text.js';

interface Reply {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
}

function call(url: string, method = 'GET'): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('telemetry.listen parsing', () => {
  it('accepts host:port, [ipv6]:port, :port and port 0', () => {
    expect(parseListen('127.0.0.1:9323')).toEqual({ host: '127.0.0.1', port: 9323 });
    expect(parseListen('[::1]:9323')).toEqual({ host: '::1', port: 9323 });
    expect(parseListen(':9323')).toEqual({ host: '0.0.0.0', port: 9323 });
    expect(parseListen('localhost:0')).toEqual({ host: 'localhost', port: 0 });
    expect(formatListen({ host: '::1', port: 9323 })).toBe('[::1]:9323');
  });

  it('rejects what is not host:port, with the value in the message', () => {
    for (const bad of ['9323', '127.0.0.1', '127.0.0.1:99999', 'http://127.0.0.1:9323', '::1:9323', '']) {
      expect(() => parseListen(bad), bad).toThrow(/telemetry\.listen: expected host:port/);
    }
  });
});

describe('readiness', () => {
  const up = new Map([['local', { reachable: true, reason: null }]]);
  const local = (reachable: boolean | null, reason: string) => new Map([['local', { reachable, reason }]]);
  const sink = (name: string, ok: boolean, reason: string | null = null) => ({ name, status: { ok, reason } });

  it('is ready when the daemon answers and every sink delivers', () => {
    expect(readiness(up, [sink('a', true), sink('b', true)], false)).toEqual({ ready: true, reasons: [] });
  });

  it('lists every problem with its component', () => {
    const r = readiness(
      local(false, 'cannot reach docker daemon at unix:///x.sock'),
      [sink('kafka', false, 'broker down'), sink('file', true), sink('otlp', false)],
      true,
    );
    expect(r).toEqual({
      ready: false,
      reasons: ['agent: shutting down', 'docker: cannot reach docker daemon at unix:///x.sock', 'sink:kafka: broker down', 'sink:otlp: not delivering'],
    });
    expect(readiness(local(null, 'not checked yet'), [], false).reasons).toEqual(['docker: not checked yet']);
    expect(readiness(up, [sink('a', true)], false, new Map([['events', 'Podman cannot filter events by network']]))).toEqual({
      ready: false,
      reasons: ['source:events: stopped: Podman cannot filter events by network'],
    });
  });

  it('names each daemon that does not answer; the others do not hold it up', () => {
    const daemons = new Map([
      ['local', { reachable: true, reason: null }],
      ['build', { reachable: false, reason: 'cannot reach docker daemon at tcp://10.0.0.5:2376' }],
      ['podman', { reachable: true, reason: null }],
    ]);
    expect(readiness(daemons, [], false)).toEqual({ ready: false, reasons: ['docker:build: cannot reach docker daemon at tcp://10.0.0.5:2376'] });
  });
});

describe('telemetry server', () => {
  let server: TelemetryServer | null = null;
  let state: Readiness = { ready: true, reasons: [] };
  const metrics = new SelfMetrics();
  const { log } = memoryLogger();

  afterEach(async () => {
    await server?.close();
    server = null;
  });

  const start = async () => {
    server = await TelemetryServer.listen(parseListen('127.0.0.1:0'), { registry: () => metrics.registry, readiness: () => state }, log);
    return server;
  };

  it('serves /metrics in Prometheus text format with the current values', async () => {
    const s = await start();
    expect(s.address.host).toBe('127.0.0.1');
    expect(s.address.port).toBeGreaterThan(0);
    for (let i = 0; i < 3; i++) metrics.countSourceRecord('events', 'event'); // batched, added when read
    metrics.countSourceRecord('stats', 'stats');
    metrics.queueRecords.set({ sink: 'out' }, 7);
    metrics.pollDuration.observe({ source: 'df' }, 0.3);
    metrics.lastEventTime.set({ source: 'events' }, Date.now() / 1000 - 90);
    const r = await call(s.url('/metrics'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const fams = parsePrometheusText(r.body);
    expect(fams.get('dockstream_source_records_total')?.type).toBe('counter');
    expect(sampleValue(fams, 'dockstream_source_records_total', { source: 'events', kind: 'event' })).toBe(3);
    expect(sampleValue(fams, 'dockstream_source_records_total', { source: 'stats', kind: 'stats' })).toBe(1);
    // Read again after two more: added once each, not again.
    metrics.countSourceRecord('events', 'event');
    metrics.countSourceRecord('events', 'event');
    const again = parsePrometheusText((await call(s.url('/metrics'))).body);
    expect(sampleValue(again, 'dockstream_source_records_total', { source: 'events', kind: 'event' })).toBe(5);
    expect(sampleValue(again, 'dockstream_source_records_total', { source: 'stats', kind: 'stats' })).toBe(1);
    expect(sampleValue(fams, 'dockstream_queue_records', { sink: 'out' })).toBe(7);
    expect(sampleValue(fams, 'dockstream_poll_duration_seconds_bucket', { source: 'df', le: '0.25' })).toBe(0);
    expect(sampleValue(fams, 'dockstream_poll_duration_seconds_bucket', { source: 'df', le: '0.5' })).toBe(1);
    expect(sampleValue(fams, 'dockstream_poll_duration_seconds_count', { source: 'df' })).toBe(1);
    // Lag is computed at scrape time from the last event time.
    const lag = sampleValue(fams, 'dockstream_events_lag_seconds', { source: 'events' });
    expect(lag).toBeGreaterThanOrEqual(90);
    expect(lag).toBeLessThan(120);
  });

  it('writes NaN as the exposition format spells it (prom-client writes "Nan")', async () => {
    const s = await start();
    metrics.queueRecords.set({ sink: 'nan' }, NaN);
    const r = await call(s.url('/metrics'));
    expect(r.body).toContain('dockstream_queue_records{sink="nan"} NaN\n');
    expect(r.body).not.toMatch(/ Nan$/m);
    expect(Number.isNaN(sampleValue(parsePrometheusText(r.body), 'dockstream_queue_records', { sink: 'nan' }))).toBe(true);
    metrics.queueRecords.remove({ sink: 'nan' });
  });

  it('answers /healthz, /readyz (200 or 503 with reasons), HEAD, 404 and 405', async () => {
    const s = await start();
    expect(await call(s.url('/healthz'))).toMatchObject({ status: 200, body: '{"status":"ok"}\n' });
    expect(await call(s.url('/readyz'))).toMatchObject({ status: 200, body: '{"status":"ready"}\n' });
    state = { ready: false, reasons: ['docker: down', 'sink:k: broker down'] };
    const unready = await call(s.url('/readyz?verbose=1'));
    expect(unready.status).toBe(503);
    expect(JSON.parse(unready.body)).toEqual({ status: 'unready', reasons: ['docker: down', 'sink:k: broker down'] });
    const head = await call(s.url('/healthz'), 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect(head.headers['content-length']).toBe('16');
    expect((await call(s.url('/nope'))).status).toBe(404);
    const post = await call(s.url('/metrics'), 'POST');
    expect(post.status).toBe(405);
    expect(post.headers['allow']).toBe('GET, HEAD');
  });

  it('refuses a port in use with a TELEMETRY_LISTEN error naming the address', async () => {
    const s = await start();
    const err = await TelemetryServer.listen(s.address, { registry: () => metrics.registry, readiness: () => state }, log).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'TELEMETRY_LISTEN', message: `telemetry endpoint cannot listen on 127.0.0.1:${s.address.port} (address in use)` });
  });
});

describe('the test-side Prometheus parser', () => {
  it('rejects malformed expositions', () => {
    expect(() => parsePrometheusText('# TYPE a counter\na{x="1"} one\n')).toThrow(/bad sample value/);
    expect(() => parsePrometheusText('b 1\n')).toThrow(/without a TYPE/);
    expect(() => parsePrometheusText('# TYPE a gauge\na{x=1} 1\n')).toThrow(/bad labels/);
    expect(() => parsePrometheusText('# TYPE a gauge\na 1')).toThrow(/newline/);
    expect(sampleValue(parsePrometheusText('# TYPE a gauge\na{x="q\\"uote"} +Inf\n'), 'a', { x: 'q"uote' })).toBe(Infinity);
  });
});
