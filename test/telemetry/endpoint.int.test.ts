import { createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AgentTelemetry } from '../../src/telemetry/agent-telemetry.js';
import { outSink, removeDir, startAgent, waitFor } from '../harness/agent.js';
import { daemonEvents } from '../harness/daemon-events.js';
import { startDockerd, type PrivateDockerd } from '../harness/dockerd.js';
import { ofKind } from '../harness/records.js';
import { parsePrometheusText, sampleValue, type Family } from './prom-text.js';

const config = (host: string, listen: string) => `
docker:
  host: ${host}
state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
  events:
    type: docker_events
    reconnect: { initial: 200ms, max: 1s }
sinks:
${outSink(['events'])}
telemetry:
  listen: ${listen}
`;

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

async function scrape(t: AgentTelemetry): Promise<Map<string, Family>> {
  const r = await get(t.server.url('/metrics'));
  expect(r.status).toBe(200);
  return parsePrometheusText(r.body);
}

const eventsIn = (m: Map<string, Family>) => sampleValue(m, 'dockstream_source_records_total', { source: 'events', kind: 'event' }) ?? 0;
const eventsOut = (m: Map<string, Family>) => sampleValue(m, 'dockstream_sink_records_total', { sink: 'out', kind: 'event' }) ?? 0;

describe('self-telemetry endpoint of a running agent (private dockerd)', () => {
  let d: PrivateDockerd;

  beforeAll(async () => {
    d = await startDockerd({ name: 'telemetry' });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('counts exactly the events the daemon reports, in and out, and their time', async () => {
    const a = startAgent(config(d.host, '127.0.0.1:0'));
    try {
      const t = await waitFor(() => a.agent.telemetry, 20_000, 'telemetry endpoint');
      expect(t.server.address.host).toBe('127.0.0.1');
      await waitFor(() => a.records().some((r) => r.kind === 'inventory'), 20_000, 'inventory');
      const before = await scrape(t);
      const in0 = eventsIn(before);
      const out0 = eventsOut(before);
      expect(in0).toBe(out0);

      const t0 = Date.now() / 1000 - 0.001;
      for (const v of ['tm-a', 'tm-b', 'tm-c']) await d.dockerOk(['volume', 'create', v]);
      const t1 = Date.now() / 1000 + 0.001;
      const fromDaemon = await daemonEvents(d.socketPath, t0, t1);
      expect(fromDaemon.map((e) => `${e.type}:${e.action}:${e.id}`)).toEqual(['volume:create:tm-a', 'volume:create:tm-b', 'volume:create:tm-c']);

      const after = await waitFor(
        async () => {
          const m = await scrape(t);
          return eventsOut(m) >= out0 + fromDaemon.length ? m : null;
        },
        20_000,
        'sink counter to move',
      );
      expect(eventsIn(after) - in0).toBe(fromDaemon.length);
      expect(eventsOut(after) - out0).toBe(fromDaemon.length);
      expect(sampleValue(after, 'dockstream_queue_records', { sink: 'out' })).toBe(0);
      const last = fromDaemon.at(-1)?.timeNano ?? '0';
      // The gauge keeps millisecond precision of the daemon's timeNano.
      expect(sampleValue(after, 'dockstream_last_event_timestamp_seconds', { source: 'events' })).toBe(Number(BigInt(last) / 1_000_000n) / 1000);
      const lag = sampleValue(after, 'dockstream_events_lag_seconds', { source: 'events' }) ?? -1;
      expect(lag).toBeGreaterThanOrEqual(0);
      expect(lag).toBeLessThan(60);
      expect(sampleValue(after, 'dockstream_daemon_up')).toBe(1);
      // Node's own process metrics ride along.
      expect(sampleValue(after, 'process_resident_memory_bytes')).toBeGreaterThan(10 * 1024 * 1024);
      expect(sampleValue(after, 'nodejs_version_info', { version: process.version })).toBe(1);
      expect(sampleValue(after, 'dockstream_last_success_timestamp_seconds', { component: 'sink:out' })).toBeGreaterThan(t0 - 1);
      // The file holds the same three events the counters counted.
      expect(ofKind(a.records(), 'event').length).toBe(eventsOut(after));
    } finally {
      await a.stop();
      removeDir(a.dir);
    }
  });

  it('/readyz turns 503 while the daemon is stopped and 200 when it is back; /healthz stays 200', async () => {
    const a = startAgent(config(d.host, '127.0.0.1:0'));
    try {
      const t = await waitFor(() => a.agent.telemetry, 20_000, 'telemetry endpoint');
      await waitFor(async () => (await get(t.server.url('/readyz'))).status === 200, 20_000, 'ready');
      await d.stopDaemon();
      const down = await waitFor(
        async () => {
          const r = await get(t.server.url('/readyz'));
          return r.status === 503 ? r : null;
        },
        20_000,
        '503 after daemon stop',
      );
      const body = JSON.parse(down.body) as { status: string; reasons: string[] };
      expect(body.status).toBe('unready');
      expect(body.reasons).toHaveLength(1);
      expect(body.reasons[0]).toMatch(new RegExp(`^docker: cannot reach docker daemon at unix://${d.socketPath}`));
      expect(await get(t.server.url('/healthz'))).toEqual({ status: 200, body: '{"status":"ok"}\n' });
      expect(sampleValue(await scrape(t), 'dockstream_daemon_up')).toBe(0);

      await d.startDaemon();
      await waitFor(async () => (await get(t.server.url('/readyz'))).status === 200, 20_000, '200 after daemon start');
      expect(sampleValue(await scrape(t), 'dockstream_daemon_up')).toBe(1);
    } finally {
      await d.startDaemon().catch(() => undefined);
      await a.stop();
      removeDir(a.dir);
    }
  });

  it('says so in the log and keeps delivering when the port is taken; closes the endpoint on stop', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const a = startAgent(config(d.host, `127.0.0.1:${port}`));
    try {
      await waitFor(() => a.logs.find((l) => l.msg.startsWith('telemetry endpoint not started')), 20_000, 'bind error log');
      const entry = a.logs.find((l) => l.msg.startsWith('telemetry endpoint not started'));
      expect(entry).toMatchObject({ level: 50, code: 'TELEMETRY_LISTEN', listen: `127.0.0.1:${port}` });
      expect(entry?.['err']).toMatchObject({ type: 'DsError', code: 'TELEMETRY_LISTEN', details: { listen: `127.0.0.1:${port}`, code: 'EADDRINUSE' } });
      expect((entry?.['err'] as { message: string }).message).toContain(
        `telemetry endpoint cannot listen on 127.0.0.1:${port} (address in use): listen EADDRINUSE`,
      );
      expect(a.agent.telemetry).toBeNull();
      await waitFor(() => a.records().some((r) => r.kind === 'inventory'), 20_000, 'inventory');
      await d.dockerOk(['volume', 'create', 'tm-busy']);
      await waitFor(() => a.records().some((r) => r.kind === 'event' && r.actor.id === 'tm-busy'), 20_000, 'event delivered');
    } finally {
      await a.stop();
      removeDir(a.dir);
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }

    const b = startAgent(config(d.host, '127.0.0.1:0'));
    const t = await waitFor(() => b.agent.telemetry, 20_000, 'telemetry endpoint');
    const url = t.server.url('/healthz');
    expect((await get(url)).status).toBe(200);
    await b.stop();
    removeDir(b.dir);
    await expect(fetch(url)).rejects.toThrow();
  });
});
