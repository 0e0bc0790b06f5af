// Kafka sink faults with the real agent process, the shared private dockerd
// and librdkafka's 3-broker mock cluster:
// 1. every broker down for 20 s while containers churn: every event the daemon
//    reported arrives on the topic, each container's (and volume's) events in
//    the daemon's order, duplicates stay within the at-least-once boundary,
//    RSS stays bounded, and the file sink keeps flowing meanwhile;
// 2. an event record larger than max_message_bytes is dead-lettered and
//    counted while the records around it flow.
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import type { EventRecord } from '../../src/records.js';
import { eventKey } from '../../src/sources/docker-events/normalize.js';
import { outSink, readRecords, waitFor } from '../harness/agent.js';
import { spawnAgent, type AgentProcess } from '../harness/agent-process.js';
import { daemonEvents, type DaemonEvent } from '../harness/daemon-events.js';
import { BUSYBOX_IMAGE, dockerCli } from '../harness/dockerd.js';
import { startKafkaMock, type KafkaMock } from '../harness/kafka-mock.js';
import { ofKind } from '../harness/records.js';
import { consumeUntil, type Consumed } from '../sinks/kafka/consume.js';
import { startChurn } from './churn.js';

const MiB = 2 ** 20;
const OUTAGE_MS = 20_000;
/** The kafka sink's memory queue bound (buffer.max_size), and its batch size. */
const QUEUE_BYTES = 8 * MiB;
const BATCH = 100;
/**
 * RSS growth allowed on top of the queue bound: V8 heap growth and GC timing,
 * KafkaJS reconnect attempts, the retry loop's garbage. Measured over this
 * test over 8 runs (before the outage → max from its start to full
 * recovery): +2 to +25 MiB, mostly when the backlog is sent after recovery,
 * while the queue itself held < 0.5 MiB of records (200–450 events). So the
 * assertion is growth < 8 + 40 = 48 MiB, about twice the worst seen:
 * a leak of a few MiB per failed attempt (about 13 of them in 20 s) would cross it.
 */
const RSS_MARGIN = 40 * MiB;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const kafkaSink = (brokers: readonly string[], topic: string, extra: string) => `
  kafka:
    type: kafka
    inputs: [events]
    brokers: [${brokers.map((b) => `"${b}"`).join(', ')}]
    topic: ${topic}
    connect_timeout: 1s
    timeout: 5s
    retry: { initial: 200ms, max: 1s }
${extra}`;

const outageConfig = (host: string, brokers: readonly string[]) => `
docker: { host: "${host}" }
state_dir: \${DIR}/state
sources:
  events:
    type: docker_events
    cursor_interval: 100ms
sinks:${kafkaSink(
  brokers,
  'kout.{kind}',
  `    batch: { max_records: ${BATCH}, linger: 20ms }
    buffer: { type: memory, max_records: 20000, max_size: ${QUEUE_BYTES} }`,
)}
${outSink(['events'], { fsync: 'never', linger: '10ms' })}
telemetry: { listen: "127.0.0.1:0" }
`;

const oversizeConfig = (host: string, brokers: readonly string[]) => `
docker: { host: "${host}" }
state_dir: \${DIR}/state
sources:
  events:
    type: docker_events
    filters: { type: [container] }
sinks:${kafkaSink(
  brokers,
  'kbig.{kind}',
  `    max_message_bytes: 4KiB
    batch: { linger: 20ms }`,
)}
telemetry: { listen: "127.0.0.1:0" }
`;

/** Same key as eventKey() for what the daemon itself reported. */
function daemonKey(e: DaemonEvent): string {
  const i = e.action.indexOf(': ');
  const [action, detail] = i < 0 ? [e.action, ''] : [e.action.slice(0, i), e.action.slice(i + 2)];
  return `${e.timeNano}|${e.type}|${e.id}|${action}|${detail}`;
}

/**
 * Everything the daemon reports from `fromSec` on, read in overlapping
 * windows: its ring holds only 256 events, fewer than a churn run makes.
 */
function daemonRecorder(socketPath: string, fromSec: number) {
  const seen = new Map<string, DaemonEvent>();
  let since = fromSec;
  let fullRing = false;
  const poll = async (untilSec = Date.now() / 1000) => {
    const got = await daemonEvents(socketPath, since, untilSec);
    if (got.length >= 256) fullRing = true; // older events of the window may be gone
    for (const e of got) seen.set(daemonKey(e), e);
    since = untilSec - 2; // overlap: an event stamped just before `until` may be logged just after
  };
  const timer = setInterval(() => void poll().catch(() => undefined), 2_000);
  return {
    async finish(untilSec: number): Promise<DaemonEvent[]> {
      clearInterval(timer);
      await poll(untilSec);
      expect(fullRing).toBe(false);
      return [...seen.values()].filter((e) => Number(BigInt(e.timeNano) / 1_000_000n) >= fromSec * 1000);
    },
    stop: () => clearInterval(timer),
  };
}

/** A series' value from the agent's /metrics text; labels are matched as a subset; absent = 0. */
function metric(text: string, name: string, labels: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

async function metricsOf(agent: AgentProcess): Promise<string> {
  const entry = await waitFor(() => agent.logs.find((l) => l.msg === 'telemetry endpoint listening'), 20_000, 'telemetry endpoint');
  const res = await fetch(`http://${String(entry['listen'])}/metrics`);
  return res.text();
}

const started = (a: AgentProcess) => () =>
  a.logs.some((l) => l.msg === 'docker events stream open') && a.logs.some((l) => l.msg === 'sink started' && l['sink'] === 'kafka');

const eventsOf = (got: readonly Consumed[]) => got.map((m) => m.value as EventRecord);
const countBy = <T>(items: readonly T[], key: (t: T) => string) => {
  const out = new Map<string, number>();
  for (const t of items) out.set(key(t), (out.get(key(t)) ?? 0) + 1);
  return out;
};
const msOf = (timeNano: string) => Number(BigInt(timeNano) / 1_000_000n);

/** `type|id` of an event key (`time_nano|type|id|action|detail`): the actor whose order is promised. */
const actorOf = (key: string) => key.split('|').slice(1, 3).join('|');

/**
 * Actors whose events are not in the daemon's order in `keys` (first copies only:
 * a resent batch repeats what it already wrote). The daemon's order of one actor's
 * events is their time_nano order: its events are causally ordered (create, start,
 * die, destroy; create, destroy) and the daemon stamps each as it publishes it.
 */
function outOfOrder(keys: readonly string[], daemon: readonly DaemonEvent[]): { actor: string; daemon: string[]; got: string[] }[] {
  const byActor = (list: readonly string[]) => {
    const out = new Map<string, string[]>();
    for (const k of list) out.set(actorOf(k), [...(out.get(actorOf(k)) ?? []), k]);
    return out;
  };
  const ns = (k: string) => BigInt(k.split('|')[0] as string);
  const want = byActor(daemon.map(daemonKey));
  const got = byActor([...new Set(keys)].filter((k) => want.has(actorOf(k))));
  const bad: { actor: string; daemon: string[]; got: string[] }[] = [];
  for (const [actor, list] of want) {
    const expected = [...list].sort((a, b) => (ns(a) < ns(b) ? -1 : ns(a) > ns(b) ? 1 : 0));
    const seen = (got.get(actor) ?? []).filter((k) => list.includes(k));
    if (JSON.stringify(seen) !== JSON.stringify(expected)) bad.push({ actor, daemon: expected, got: seen });
  }
  return bad;
}

describe('fault: kafka brokers down, and oversized records (agent process, mock cluster)', () => {
  const host = inject('dockerHost');
  const socketPath = inject('dockerSocketPath');
  const cli = dockerCli(host);
  let mock: KafkaMock;
  let dir: string | undefined;
  let agent: AgentProcess | undefined;

  beforeAll(async () => {
    mock = await startKafkaMock({ brokers: 3 });
  });
  afterEach(async () => {
    await mock.allUp().catch(() => undefined);
    await agent?.stop();
    agent = undefined;
    if (dir) rmSync(dir, { recursive: true, force: true });
    dir = undefined;
  });
  afterAll(async () => {
    await mock?.stop();
  });

  it('all brokers down 20 s while containers churn: every event arrives, duplicates within the resent batches, RSS bounded, file sink flowing', async () => {
    await mock.createTopic('kout.event', 3, 3);
    dir = mkdtempSync(join(tmpdir(), 'ds-kafka-outage-'));
    const a = spawnAgent(dir, outageConfig(host, mock.brokers));
    agent = a;
    await waitFor(started(a), 30_000, 'events stream open and kafka sink started');
    const fileEvents = () => ofKind(readRecords(join(dir as string, 'out')), 'event');

    const t0 = Date.now() / 1000;
    const daemon = daemonRecorder(socketPath, t0);
    const churn = startChurn(cli, 'kout-', { containers: true, maxSteps: 100_000 });
    let sampler: NodeJS.Timeout | undefined;
    try {
      await sleep(5_000); // flowing to both sinks
      const baseline = a.rss();
      let maxRss = baseline;
      sampler = setInterval(() => (maxRss = Math.max(maxRss, a.rss())), 200);

      await mock.allDown();
      const downAt = Date.now();
      const upAt = downAt + OUTAGE_MS;
      await sleep(2_000);
      const duringA = await metricsOf(a);
      const atA = Date.now();
      await sleep(upAt - Date.now() - 4_000);
      // The file sink kept flowing: what the daemon reported in the outage so far is in the file.
      const outageEvents = await daemonEvents(socketPath, downAt / 1000, Date.now() / 1000 - 1);
      const outageSoFar = outageEvents.map(daemonKey);
      expect(outageSoFar.length).toBeGreaterThan(20);
      await waitFor(
        () => {
          const keys = new Set(fileEvents().map(eventKey));
          return outageSoFar.every((k) => keys.has(k));
        },
        3_000,
        'outage events in the file sink',
      );
      const duringB = await metricsOf(a);
      // ...while nothing reached Kafka: the kafka sink queued and retried.
      const kafkaOut = (m: string) => metric(m, 'dockstream_sink_records_total', { sink: 'kafka' });
      const fileOut = (m: string) => metric(m, 'dockstream_sink_records_total', { sink: 'out' });
      expect(kafkaOut(duringB)).toBe(kafkaOut(duringA));
      expect(fileOut(duringB) - fileOut(duringA)).toBeGreaterThanOrEqual(outageEvents.filter((e) => msOf(e.timeNano) > atA + 1_000).length);
      expect(metric(duringB, 'dockstream_queue_records', { sink: 'kafka' })).toBeGreaterThan(20);
      expect(metric(duringB, 'dockstream_sink_errors_total', { sink: 'kafka' })).toBeGreaterThan(3);

      await sleep(upAt - Date.now());
      await mock.allUp();
      const upAtActual = Date.now();
      await sleep(5_000); // churn goes on after the brokers are back
      await churn.stop();
      await sleep(1_000);
      const fromDaemon = await daemon.finish(Date.now() / 1000);
      const expected = new Set(fromDaemon.map(daemonKey));
      const inOutage = fromDaemon.filter((e) => msOf(e.timeNano) >= downAt && msOf(e.timeNano) < upAtActual);
      expect(inOutage.length).toBeGreaterThan(40);
      expect(inOutage.some((e) => e.type === 'container')).toBe(true);

      const got = await consumeUntil(
        mock.brokers,
        ['kout.event'],
        (msgs) => {
          const keys = new Set(eventsOf(msgs).map(eventKey));
          return [...expected].every((k) => keys.has(k));
        },
        { timeoutMs: 40_000, settleMs: 2_000 },
      );
      clearInterval(sampler);
      const after = await metricsOf(a);
      expect(await a.stop()).toBe(0);
      agent = undefined;

      // Every event the daemon reported for the window is on the topic.
      const copies = countBy(eventsOf(got), eventKey);
      expect([...expected].filter((k) => !copies.has(k))).toEqual([]);
      // Nothing reordered within a container (or volume): one actor's events share a key, hence a partition,
      // and are consumed in its offset order; their first copies are in the daemon's order.
      expect(outOfOrder(eventsOf(got).map(eventKey), fromDaemon)).toEqual([]);
      // Not vacuous: the same events with each actor's order reversed are caught, for more than 20 actors.
      expect(outOfOrder(eventsOf(got).map(eventKey).reverse(), fromDaemon).length).toBeGreaterThan(20);
      // At-least-once boundary: a record is produced again only when the pipeline resends
      // the batch at the head of the queue after a failed attempt that the brokers had
      // partly written. Attempts fail only from the outage until KafkaJS reconnected, so
      // a duplicate must be an event from [down − 5 s, up + 10 s], and there are at most
      // two such batches (the one in flight at each edge): ≤ 2 × batch.max_records extra copies.
      const dups = [...copies].filter(([, n]) => n > 1);
      const extra = dups.reduce((s, [, n]) => s + n - 1, 0);
      expect(extra).toBeLessThanOrEqual(2 * BATCH);
      for (const [k] of dups) {
        const ms = msOf(k.split('|')[0] as string);
        expect(ms).toBeGreaterThanOrEqual(downAt - 5_000);
        expect(ms).toBeLessThanOrEqual(upAtActual + 10_000);
      }
      // The file sink never failed: each event exactly once; nothing dropped anywhere.
      const inFile = countBy(
        fileEvents().filter((e) => expected.has(eventKey(e))),
        eventKey,
      );
      expect(inFile.size).toBe(expected.size);
      expect([...inFile.values()].every((n) => n === 1)).toBe(true);
      expect(outOfOrder(fileEvents().map(eventKey), fromDaemon)).toEqual([]);
      expect(metric(after, 'dockstream_dropped_records_total')).toBe(0);
      expect(ofKind(readRecords(join(dir, 'out')), 'gap')).toEqual([]);

      const growth = maxRss - baseline;
      console.log(
        `[kafka-outage] ${expected.size} events (${inOutage.length} during the ${OUTAGE_MS / 1000} s outage), ${extra} duplicate copies, ` +
          `${metric(after, 'dockstream_sink_errors_total', { sink: 'kafka' })} failed attempts; ` +
          `rss before ${(baseline / MiB).toFixed(1)} MiB, max ${(maxRss / MiB).toFixed(1)} MiB (+${(growth / MiB).toFixed(1)} MiB)`,
      );
      // Memory: the queue bound plus a fixed margin (stated above).
      expect(growth).toBeLessThan(QUEUE_BYTES + RSS_MARGIN);
    } finally {
      clearInterval(sampler);
      daemon.stop();
      await churn.stop();
    }
  }, 110_000);

  it('an event record above max_message_bytes is dead-lettered and counted while the rest flow', async () => {
    await mock.createTopic('kbig.event', 3, 3);
    dir = mkdtempSync(join(tmpdir(), 'ds-kafka-big-'));
    const a = spawnAgent(dir, oversizeConfig(host, mock.brokers));
    agent = a;
    await waitFor(started(a), 30_000, 'events stream open and kafka sink started');

    const t0 = Date.now() / 1000;
    // A small container, one whose label makes each of its event records ~7 KB, another small one.
    const lifecycle = async (name: string, labels: string[] = []) => {
      const id = await cli.runContainer(['--name', name, ...labels, BUSYBOX_IMAGE, 'true']);
      await cli.dockerOk(['wait', id]);
      await cli.dockerOk(['rm', id]);
      return id;
    };
    const before = await lifecycle('kbig-before');
    const big = await lifecycle('kbig-big', ['--label', `blob=${'x'.repeat(6_000)}`]);
    const after = await lifecycle('kbig-after');
    await sleep(500);
    const fromDaemon = (await daemonEvents(socketPath, t0, Date.now() / 1000, { type: ['container'] })).filter((e) => [before, big, after].includes(e.id));
    const bigKeys = fromDaemon.filter((e) => e.id === big).map(daemonKey);
    const restKeys = fromDaemon.filter((e) => e.id !== big).map(daemonKey);
    expect(bigKeys.length).toBeGreaterThanOrEqual(4); // create, start, die, destroy
    expect(restKeys.length).toBeGreaterThanOrEqual(8);

    const deadLetterFile = join(dir, 'state', 'dead-letter', 'kafka.ndjson');
    const deadLettered = () =>
      existsSync(deadLetterFile)
        ? readFileSync(deadLetterFile, 'utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { dead_letter: { sink: string; reason: string }; record: EventRecord })
        : [];
    await waitFor(() => deadLettered().length >= bigKeys.length, 20_000, 'dead-lettered records');
    const got = await consumeUntil(
      mock.brokers,
      ['kbig.event'],
      (msgs) => {
        const keys = new Set(eventsOf(msgs).map(eventKey));
        return restKeys.every((k) => keys.has(k));
      },
      { settleMs: 1_500 },
    );
    const metrics = await metricsOf(a);
    expect(await a.stop()).toBe(0);
    agent = undefined;

    // Dead-lettered: exactly the big container's events, with the reason, never produced.
    const dead = deadLettered();
    expect(dead.map((d) => eventKey(d.record)).sort()).toEqual([...bigKeys].sort());
    for (const d of dead) {
      expect(d.dead_letter.sink).toBe('kafka');
      expect(d.dead_letter.reason).toMatch(/^message too large: \d+ bytes exceed max_message_bytes 4096 \(topic kbig\.event\)$/);
      expect(d.record.actor.attributes['blob']).toHaveLength(6_000);
    }
    expect(eventsOf(got).filter((e) => e.actor.id === big)).toEqual([]);
    // Counted, with a reason label that does not vary with the size.
    expect(metric(metrics, 'dockstream_dead_lettered_records_total', { sink: 'kafka', kind: 'event', reason: 'message too large' })).toBe(bigKeys.length);
    expect(metric(metrics, 'dockstream_dead_lettered_records_total')).toBe(bigKeys.length);
    // The rest flowed, before and after the big one, once each and without a failed send.
    const copies = countBy(
      eventsOf(got).filter((e) => e.actor.id !== big),
      eventKey,
    );
    expect([...copies.keys()].sort()).toEqual([...restKeys].sort());
    expect([...copies.values()].every((n) => n === 1)).toBe(true);
    expect(metric(metrics, 'dockstream_sink_errors_total', { sink: 'kafka' })).toBe(0);
  }, 60_000);
});
