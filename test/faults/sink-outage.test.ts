// Fault cases 3 and 4: the OTLP receiver is down (503) for 30 s while the
// daemon churns, with a disk spool: nothing is lost, memory stays bounded, and
// the spool is empty once the receiver is back. Then: the agent is killed with
// SIGKILL while the spool holds records; after a restart they are delivered.
//
// Once, a volume arrived as create, create, destroy. The cause was this test:
// its wait loop rebuilt the received-events map once per volume name
// (O(names × logs), 2.0 s of blocked event loop per check at ~1200 events),
// and the receiver runs in this process. An export in flight then got no
// answer within the sink's 2 s timeout although the receiver (once unblocked)
// read the whole body and accepted it; the agent retried, and the batch
// arrived twice. That is inherent to OTLP (no idempotency key), so the agent
// counts such re-sends (dockstream_sink_uncertain_resent_records_total) and
// the promise asserted here is the precise one: every event at least once,
// and duplicates only within what that counter announced (here: none); and
// each volume's events arrive in the daemon's order (create before destroy).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { nullLogger } from '../../src/log.js';
import { DiskSpool } from '../../src/pipeline/spool.js';
import { parsePrometheusText, sampleValue } from '../telemetry/prom-text.js';
import { waitFor } from '../harness/agent.js';
import { spawnAgent, type AgentProcess } from '../harness/agent-process.js';
import { dockerCli } from '../harness/dockerd.js';
import { OtlpReceiver } from '../harness/otlp-receiver.js';
import { startChurn } from './churn.js';
import { volumeEventsToOtlp } from './otlp-config.js';

const MAX_SPOOL = 32 * 1024 * 1024;

const config = (host: string, endpoint: string) =>
  volumeEventsToOtlp(host, endpoint, {
    source: 'cursor_interval: 100ms',
    sink: ['timeout: 2s', `buffer: { type: disk, max_size: ${MAX_SPOOL} }`, 'retry: { initial: 200ms, max: 1s }', 'batch: { linger: 20ms }'],
    top: ['telemetry: { listen: "127.0.0.1:0" }'],
  });

/** volume name → actions received (create, destroy) */
function received(receiver: OtlpReceiver): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const log of receiver.logs()) {
    if (log.attributes['docker.event.type'] !== 'volume') continue;
    const id = String(log.attributes['docker.event.actor.id']);
    out.set(id, [...(out.get(id) ?? []), String(log.attributes['docker.event.action'])]);
  }
  return out;
}

/** volume name → its events (action, time_nano) in the order the receiver accepted them. */
function arrivals(receiver: OtlpReceiver): Map<string, { action: string; timeNano: bigint }[]> {
  const out = new Map<string, { action: string; timeNano: bigint }[]>();
  for (const log of receiver.logs()) {
    if (log.attributes['docker.event.type'] !== 'volume') continue;
    const id = String(log.attributes['docker.event.actor.id']);
    const event = { action: String(log.attributes['docker.event.action']), timeNano: BigInt(String(log.attributes['docker.event.time_nano'])) };
    out.set(id, [...(out.get(id) ?? []), event]);
  }
  return out;
}

/** The first copy of each event, in arrival order (a re-sent batch repeats events it already delivered). */
function firstCopies<T extends { timeNano: bigint; action: string }>(events: readonly T[]): T[] {
  const seen = new Set<string>();
  return events.filter((e) => {
    const key = `${e.timeNano}|${e.action}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** The agent's /metrics, from the address it logged. */
async function scrape(a: AgentProcess): Promise<ReturnType<typeof parsePrometheusText>> {
  const listen = a.logs.find((l) => l.msg === 'telemetry endpoint listening')?.['listen'];
  if (typeof listen !== 'string') throw new Error('agent did not log its telemetry address');
  return parsePrometheusText(await (await fetch(`http://${listen}/metrics`)).text());
}

/** Deliveries beyond the first, over all names. */
function duplicates(got: Map<string, string[]>, names: readonly string[]): number {
  return names.reduce((n, name) => n + Math.max(0, (got.get(name)?.length ?? 0) - new Set(got.get(name)).size), 0);
}

function spooledLines(dir: string): string[] {
  const spool = join(dir, 'state', 'spool', 'otel');
  if (!existsSync(spool)) return [];
  return readdirSync(spool)
    .filter((f) => f.endsWith('.ndjson'))
    .flatMap((f) => readFileSync(join(spool, f), 'utf8').split('\n').filter(Boolean));
}

describe('fault: sink outage with a disk spool', () => {
  const host = inject('dockerHost');
  const cli = dockerCli(host);
  let receiver: OtlpReceiver;
  let dir: string;
  let agent: AgentProcess | undefined;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterEach(async () => {
    await agent?.stop();
    agent = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    receiver.reset();
  });
  afterAll(async () => {
    await receiver?.close();
  });

  it('loses nothing over a 30 s outage, keeps memory bounded, and empties the spool', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-outage-'));
    receiver.failFor(30_000, 503);
    const outageEnds = Date.now() + 30_000;
    const a = spawnAgent(dir, config(host, receiver.httpUrl));
    agent = a;
    await waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'stream open');
    const baseline = a.rss();
    let maxRss = baseline;
    const sampler = setInterval(() => (maxRss = Math.max(maxRss, a.rss())), 200);
    const churn = startChurn(cli, 'outage-', { maxSteps: 100_000 });
    await new Promise((r) => setTimeout(r, Math.max(0, outageEnds - Date.now() - 2000)));
    const spooledDuringOutage = spooledLines(dir).length;
    await churn.stop();
    const names = Array.from({ length: churn.steps() }, (_, i) => `outage-${i}`);
    expect(names.length).toBeGreaterThan(20);
    expect(received(receiver).size).toBe(0); // nothing got through while it answered 503
    // One pass over the received logs per check: this process also serves the receiver.
    const allDelivered = () => {
      const got = received(receiver);
      return names.every((n) => (got.get(n)?.length ?? 0) >= 2);
    };
    await waitFor(allDelivered, 60_000, 'every volume event delivered');
    clearInterval(sampler);
    const metrics = await scrape(a);
    const uncertain = sampleValue(metrics, 'dockstream_sink_uncertain_resent_records_total', { sink: 'otel' }) ?? 0;
    expect(await a.stop()).toBe(0);
    agent = undefined;

    const got = received(receiver);
    for (const n of names) expect([n, [...new Set(got.get(n))].sort()]).toEqual([n, ['create', 'destroy']]);
    // Exactly once, unless an export went unanswered: then at most what the agent counted and re-sent.
    expect(duplicates(got, names)).toBeLessThanOrEqual(uncertain);
    if (uncertain === 0) for (const n of names) expect([...(got.get(n) ?? [])].sort()).toEqual(['create', 'destroy']);
    // Nothing reordered within a volume: in arrival order, its events are in the daemon's order (create, then
    // destroy, time_nano rising) — the first copies, and every copy when nothing was re-sent.
    const order = arrivals(receiver);
    for (const n of names) {
      const first = firstCopies(order.get(n) ?? []);
      expect([n, first.map((e) => e.action)]).toEqual([n, ['create', 'destroy']]);
      expect([n, (first[0]?.timeNano ?? 0n) < (first[1]?.timeNano ?? 0n)]).toEqual([n, true]);
      if (uncertain === 0) expect([n, (order.get(n) ?? []).map((e) => e.action)]).toEqual([n, ['create', 'destroy']]);
    }
    expect(spooledDuringOutage).toBeGreaterThanOrEqual(names.length); // they really waited on disk
    const spool = await DiskSpool.open(join(dir, 'state', 'spool', 'otel'), MAX_SPOOL, nullLogger());
    expect(spool.depth).toEqual({ records: 0, bytes: 0 });
    await spool.close();
    console.log(
      `[outage] ${names.length * 2} events over 30 s of 503; rss baseline ${(baseline / 2 ** 20).toFixed(1)} MiB, max ${(maxRss / 2 ** 20).toFixed(1)} MiB`,
    );
    // The spool is on disk: memory grows by far less than the queue it holds.
    expect(maxRss - baseline).toBeLessThan(MAX_SPOOL + 48 * 2 ** 20);
  }, 150_000);

  it('delivers what the spool held when the agent was killed with SIGKILL', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-spoolkill-'));
    receiver.failFor(600_000, 503);
    const a = spawnAgent(dir, config(host, receiver.httpUrl));
    agent = a;
    await waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'stream open');
    await startChurn(cli, 'killspool-', { maxSteps: 15 }).done;
    const names = Array.from({ length: 15 }, (_, i) => `killspool-${i}`);
    await waitFor(() => spooledLines(dir).filter((l) => l.includes('killspool-')).length >= 30, 20_000, 'events spooled');
    a.kill('SIGKILL');
    await a.exited;
    agent = undefined;
    expect(received(receiver).size).toBe(0);

    receiver.reset(); // the receiver is back
    const b = spawnAgent(dir, config(host, receiver.httpUrl));
    agent = b;
    await waitFor(() => names.every((n) => (received(receiver).get(n)?.length ?? 0) >= 2), 30_000, 'spooled events delivered after restart');
    expect(b.logs.some((l) => l.msg === 'spool recovered; replaying')).toBe(true);
    // at least once: a batch spooled just before the kill may also be replayed from the daemon
    for (const n of names) expect(new Set(received(receiver).get(n))).toEqual(new Set(['create', 'destroy']));
  }, 90_000);
});
