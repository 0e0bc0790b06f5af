// Issue 6: through the pipeline, the receiver answering 503 for 10 s loses
// nothing, for each protocol; a 400 is counted and not retried.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { removeDir, startAgent, volumeEventsConfig, waitFor } from '../../harness/agent.js';
import { dockerCli } from '../../harness/dockerd.js';
import { OtlpReceiver } from '../../harness/otlp-receiver.js';
import { startChurn } from '../../faults/churn.js';

const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;

function volumeEvents(r: OtlpReceiver, prefix: string): string[] {
  return r
    .logs()
    .filter((l) => String(l.attributes['docker.event.actor.id']).startsWith(prefix))
    .map((l) => `${String(l.attributes['docker.event.actor.id'])}:${String(l.attributes['docker.event.action'])}`);
}

describe('OTLP sink through the pipeline', () => {
  const host = inject('dockerHost');
  const receivers = new Map<string, OtlpReceiver>();
  beforeAll(async () => {
    for (const p of PROTOCOLS) receivers.set(p, await OtlpReceiver.start());
  });
  afterAll(async () => {
    for (const r of receivers.values()) await r.close();
  });

  const sinkYaml = (name: string, protocol: string, r: OtlpReceiver) => `
  ${name}:
    type: otlp
    inputs: [events]
    protocol: ${protocol}
    endpoint: ${protocol === 'grpc' ? r.grpcUrl : r.httpUrl}
    tls: ${protocol === 'grpc' ? '{ insecure: true }' : '{}'}
    timeout: 2s
    retry: { initial: 200ms, max: 1s }
    batch: { linger: 20ms }`;

  it('loses nothing while the receiver answers 503 for 10 s (http/protobuf, http/json, grpc)', async () => {
    const sinks = PROTOCOLS.map((p, i) => sinkYaml(`otel${i}`, p, receivers.get(p) as OtlpReceiver)).join('\n');
    for (const r of receivers.values()) r.failFor(10_000, { http: 503, grpc: 14 });
    const a = startAgent(volumeEventsConfig(host, sinks));
    try {
      await waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'stream open');
      const churn = startChurn(dockerCli(host), 'p503-', { maxSteps: 20 });
      const last = await churn.done;
      expect(last).toBe('p503-19');
      const want = Array.from({ length: 20 }, (_, i) => [`p503-${i}:create`, `p503-${i}:destroy`])
        .flat()
        .sort();
      for (const p of PROTOCOLS) {
        const r = receivers.get(p) as OtlpReceiver;
        await waitFor(() => volumeEvents(r, 'p503-').length >= want.length, 30_000, `${p} delivered`);
        // every event exactly once, and the receiver did refuse requests first
        expect([p, volumeEvents(r, 'p503-').sort()]).toEqual([p, want]);
        expect(r.requests.some((q) => !q.accepted)).toBe(true);
      }
      const retries = (await a.agent.metrics.retries.get()).values;
      for (let i = 0; i < PROTOCOLS.length; i++) expect(retries.find((v) => v.labels.sink === `otel${i}`)?.value).toBeGreaterThan(0);
    } finally {
      await a.stop();
      removeDir(a.dir);
    }
  }, 90_000);

  it('counts a 400 as dead-lettered and does not retry it', async () => {
    const r = receivers.get('http/protobuf') as OtlpReceiver;
    r.reset();
    const a = startAgent(volumeEventsConfig(host, sinkYaml('otel', 'http/protobuf', r)));
    try {
      await waitFor(() => r.logs().some((l) => l.attributes['event.name'] === 'dockstream.inventory'), 20_000, 'inventory delivered');
      r.failNext(1, 400);
      await dockerCli(host).dockerOk(['volume', 'create', 'p400-a']);
      await waitFor(async () => ((await a.agent.metrics.deadLettered.get()).values[0]?.value ?? 0) >= 1, 20_000, 'dead-lettered');
      await dockerCli(host).dockerOk(['volume', 'rm', 'p400-a']);
      await waitFor(() => volumeEvents(r, 'p400-').includes('p400-a:destroy'), 20_000, 'later record delivered');
      expect(volumeEvents(r, 'p400-')).toEqual(['p400-a:destroy']);
      expect(r.requests.filter((q) => !q.accepted)).toHaveLength(1);
      expect((await a.agent.metrics.retries.get()).values.reduce((n, v) => n + v.value, 0)).toBe(0);
    } finally {
      await a.stop();
      removeDir(a.dir);
    }
  }, 60_000);
});
