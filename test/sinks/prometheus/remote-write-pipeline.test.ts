// prometheus_remote_write through the whole agent (startAgent: config with
// ${VAR}, events source on the shared dockerd, pipeline retries and dead
// letter) against a loopback receiver that decodes every body (snappy, then
// the remote-write 1.0 protobuf, declared here from prompb/types.proto) and
// answers what a receiver under load does: 503 / 429 with Retry-After, or a
// 400. A real Prometheus cannot be made to answer 503 on demand; it receives
// this sink's writes in prometheus.int.test.ts.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { uncompress } from 'snappyjs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { removeDir, startAgent, volumeEventsConfig, waitFor, type RunningAgent } from '../../harness/agent.js';
import { dockerCli } from '../../harness/dockerd.js';
import { metricValue } from '../../harness/metrics.js';

// prometheus/prompb remote.proto + types.proto, the fields a 1.0 sender sets.
const WriteRequest = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: { fields: { labels: { rule: 'repeated', type: 'Label', id: 1 }, samples: { rule: 'repeated', type: 'Sample', id: 2 } } },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
}).lookupType('prometheus.WriteRequest');

interface Series {
  readonly labels: Record<string, string>;
  readonly samples: { value: number; timestamp: number }[];
}

interface Received {
  readonly path: string;
  /** performance.now() when the request arrived (same process and clock as the agent). */
  readonly at: number;
  readonly headers: IncomingHttpHeaders;
  readonly status: number;
  readonly series: Series[];
}

function decode(body: Buffer): Series[] {
  if (body.length === 0) return [];
  const msg = WriteRequest.toObject(WriteRequest.decode(uncompress(new Uint8Array(body))), { longs: Number, defaults: true }) as {
    timeseries: { labels: { name: string; value: string }[]; samples: { value: number; timestamp: number }[] }[];
  };
  return msg.timeseries.map((ts) => ({ labels: Object.fromEntries(ts.labels.map((l) => [l.name, l.value])), samples: ts.samples }));
}

/** The running totals of `docker_events_total{type="volume",action}` one request carried. */
function volumeTotals(r: Received, action: string): number[] {
  return r.series
    .filter((s) => s.labels['__name__'] === 'docker_events_total' && s.labels['type'] === 'volume' && s.labels['action'] === action)
    .flatMap((s) => s.samples.map((x) => x.value));
}

const host = inject('dockerHost');
const cli = dockerCli(host);
let server: Server;
let base: string;
const received: Received[] = [];
/** Per path: the statuses to answer next (then 204). */
const plan = new Map<string, number[]>();

beforeAll(async () => {
  server = createServer((req, res) => {
    const at = performance.now();
    const chunks: Buffer[] = [];
    req.on('data', (b: Buffer) => chunks.push(b));
    req.on('end', () => {
      const path = req.url ?? '';
      const status = plan.get(path)?.shift() ?? 204;
      received.push({ path, at, headers: req.headers, status, series: decode(Buffer.concat(chunks)) });
      if (status === 503 || status === 429) res.setHeader('Retry-After', '2');
      res.writeHead(status).end(status >= 400 ? `refused with ${status}` : undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const at = (path: string): Received[] => received.filter((r) => r.path === path);

/** The agent: volume events only, into the remote-write sinks given as YAML under `sinks:`. */
function agent(sinks: string, env: NodeJS.ProcessEnv = {}): RunningAgent {
  return startAgent(volumeEventsConfig(host, sinks), env);
}

/** The sink `rw` into the receiver's `path`, retrying from 100 ms up to 5 s. */
function retryingSink(path: string): string {
  return `
  rw:
    type: prometheus_remote_write
    inputs: [events]
    endpoint: ${base}${path}
    retry: { initial: 100ms, max: 5s }
    batch: { linger: 20ms }`;
}

async function streamOpen(a: RunningAgent): Promise<void> {
  await waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'events stream open');
}

describe('prometheus_remote_write through the pipeline', () => {
  it('503, 503, 429 with Retry-After: 2 → the same batch is sent again no sooner than 2 s after each refusal, counted as retries, then delivered', async () => {
    plan.set('/retry', [503, 503, 429]);
    const a = agent(retryingSink('/retry'));
    const volumes = ['rwra-0', 'rwra-1', 'rwra-2'];
    try {
      await streamOpen(a);
      for (const v of volumes) await cli.dockerOk(['volume', 'create', v]);
      // Running totals: the last accepted sample of the create series is 3 once all three are in.
      await waitFor(() => at('/retry').some((r) => r.status === 204 && volumeTotals(r, 'create').includes(3)), 60_000, 'the three creates delivered');
      // The receiver logs a request before it answers: the agent counts it once the answer is in.
      await waitFor(
        async () => (await metricValue(a.agent.metrics, 'dockstream_sink_records_total', { sink: 'rw', kind: 'event' })) === 3,
        20_000,
        'three records counted out',
      );

      const reqs = at('/retry');
      expect(reqs.map((r) => r.status).slice(0, 4)).toEqual([503, 503, 429, 204]);
      // Receiver-side arrival times: each retry came at least Retry-After (2 s) after the refused attempt.
      const gaps = reqs.slice(1, 4).map((r, i) => r.at - (reqs[i] as Received).at);
      for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(2000);
      // The four attempts carried the same batch: the first create (or the first creates, when the
      // daemon sent two within the linger), totals from 1 up, not advanced by the refusals.
      for (const r of reqs.slice(0, 4)) expect(r.series).toEqual((reqs[0] as Received).series);
      const first = volumeTotals(reqs[0] as Received, 'create');
      expect(first).toEqual(first.map((_, i) => i + 1));
      expect(first.length).toBeGreaterThanOrEqual(1);
      // Every accepted request together: totals 1, then up to 3, each create counted once.
      const accepted = reqs.filter((r) => r.status === 204).flatMap((r) => volumeTotals(r, 'create'));
      expect(accepted).toEqual([...new Set(accepted)].sort());
      expect(Math.max(...accepted)).toBe(3);

      expect(await metricValue(a.agent.metrics, 'dockstream_sink_retries_total', { sink: 'rw' })).toBe(3);
      expect(await metricValue(a.agent.metrics, 'dockstream_sink_errors_total', { sink: 'rw', retryable: 'true' })).toBe(3);
      expect(await metricValue(a.agent.metrics, 'dockstream_sink_errors_total', { sink: 'rw', retryable: 'false' })).toBe(0);
      expect(await metricValue(a.agent.metrics, 'dockstream_dead_lettered_records_total', { sink: 'rw' })).toBe(0);
    } finally {
      await a.stop();
      removeDir(a.dir);
      for (const v of volumes) await cli.docker(['volume', 'rm', v]);
    }
  }, 90_000);

  it('a 400 is dead-lettered at once, not retried; the next batch is delivered', async () => {
    plan.set('/bad', [400]);
    const a = agent(retryingSink('/bad'));
    try {
      await streamOpen(a);
      await cli.dockerOk(['volume', 'create', 'rw400-a']);
      await waitFor(async () => (await metricValue(a.agent.metrics, 'dockstream_dead_lettered_records_total', { sink: 'rw' })) === 1, 20_000, 'dead-lettered');
      await cli.dockerOk(['volume', 'rm', 'rw400-a']);
      await waitFor(() => at('/bad').some((r) => r.status === 204), 20_000, 'the destroy delivered');

      const reqs = at('/bad');
      expect(reqs.map((r) => r.status)).toEqual([400, 204]);
      expect(volumeTotals(reqs[0] as Received, 'create')).toEqual([1]);
      // The dead-lettered create never counted: the accepted request holds the destroy alone.
      expect(volumeTotals(reqs[1] as Received, 'create')).toEqual([]);
      expect(volumeTotals(reqs[1] as Received, 'destroy')).toEqual([1]);
      expect(await metricValue(a.agent.metrics, 'dockstream_sink_retries_total', { sink: 'rw' })).toBe(0);
      expect(await metricValue(a.agent.metrics, 'dockstream_sink_errors_total', { sink: 'rw', retryable: 'false' })).toBe(1);
      expect(await metricValue(a.agent.metrics, 'dockstream_sink_errors_total', { sink: 'rw', retryable: 'true' })).toBe(0);
      const dead = readFileSync(join(a.dir, 'state', 'dead-letter', 'rw.ndjson'), 'utf8')
        .trim()
        .split('\n')
        .map(
          (l) =>
            JSON.parse(l) as {
              dead_letter: { sink: string; reason: string };
              record: { kind: string; action: string; actor: { id: string } };
            },
        );
      expect(dead.map((d) => [d.dead_letter.sink, d.dead_letter.reason, d.record.kind, d.record.action, d.record.actor.id])).toEqual([
        ['rw', 'prometheus_remote_write: HTTP 400', 'event', 'create', 'rw400-a'],
      ]);
    } finally {
      await a.stop();
      removeDir(a.dir);
      await cli.docker(['volume', 'rm', 'rw400-a']);
    }
  }, 60_000);

  it('bearer_token and basic_auth.password set through ${VAR} reach the receiver as the exact Authorization header', async () => {
    const env = { RW_TOKEN: 'tok-7Hq:/+=.~', RW_USER: 'agent', RW_PASSWORD: 'p@ss:wörd/+= 9', RW_TENANT: 'team-a' };
    const a = agent(
      `
  bearer:
    type: prometheus_remote_write
    inputs: [events]
    endpoint: ${base}/bearer
    bearer_token: "\${RW_TOKEN}"
    headers: { X-Scope-OrgID: "\${RW_TENANT}" }
    batch: { linger: 20ms }
  basic:
    type: prometheus_remote_write
    inputs: [events]
    endpoint: ${base}/basic
    basic_auth: { username: "\${RW_USER}", password: "\${RW_PASSWORD}" }
    batch: { linger: 20ms }`,
      env,
    );
    try {
      await streamOpen(a);
      await cli.dockerOk(['volume', 'create', 'rwauth-a']);
      await waitFor(() => at('/bearer').length > 0 && at('/basic').length > 0, 20_000, 'both sinks wrote');
      const [bearer] = at('/bearer');
      const [basic] = at('/basic');
      expect(bearer?.headers.authorization).toBe('Bearer tok-7Hq:/+=.~');
      expect(bearer?.headers['x-scope-orgid']).toBe('team-a');
      expect(basic?.headers.authorization).toBe(`Basic ${Buffer.from('agent:p@ss:wörd/+= 9', 'utf8').toString('base64')}`);
      // Real writes, accepted, carrying the event.
      for (const r of [bearer, basic] as Received[]) {
        expect(r.status).toBe(204);
        expect(volumeTotals(r, 'create')).toEqual([1]);
      }
    } finally {
      await a.stop();
      removeDir(a.dir);
      await cli.docker(['volume', 'rm', 'rwauth-a']);
    }
  }, 60_000);
});
