/**
 * Broker outages against the mock cluster: sends fail retryably within a
 * bounded time, nothing is lost once the brokers are back, and duplicates
 * stay within the failed batch (the at-least-once boundary); a batch split
 * into several produce requests whose later one fails re-sends only that part.
 */
import { Kafka, logLevel } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type DsError, SinkError } from '../../../src/errors.js';
import type { Sink } from '../../../src/pipeline/types.js';
import type { EventRecord } from '../../../src/records.js';
import { planRequests, toMessage, topicResolver } from '../../../src/sinks/kafka/mapping.js';
import { kafkaOptionsSchema } from '../../../src/sinks/kafka/options.js';
import { kafkaSinkPlugin } from '../../../src/sinks/kafka/plugin.js';
import { startKafkaMock, type KafkaMock } from '../../harness/kafka-mock.js';
import { sinkContext } from '../../harness/records.js';
import { startSilentPeer } from '../../harness/silent-peer.js';
import { consumeAll } from './consume.js';
import { containerRef, eventRecord, volumeEvent } from './fixtures.js';

let mock: KafkaMock;
const sinks: Sink[] = [];
const signal = new AbortController().signal;
/** The bound a failed send must respect with these options (2 s connect timeout, KafkaJS retries 2). */
const FAIL_WITHIN_MS = 15_000;

function makeSink(topic: string, brokers: readonly string[] = mock.brokers, more: Record<string, unknown> = {}): Sink {
  const options = kafkaOptionsSchema.parse({ brokers, topic, connect_timeout: '2s', timeout: '5s', ...more });
  const sink = kafkaSinkPlugin.create('kafka', options, sinkContext());
  sinks.push(sink);
  return sink;
}

function events(from: number, count: number): EventRecord[] {
  return Array.from({ length: count }, (_, i) => eventRecord(from + i, containerRef((from + i) % 30)));
}

async function failure(promise: Promise<unknown>): Promise<{ err: unknown; ms: number }> {
  const t0 = Date.now();
  try {
    await promise;
  } catch (err) {
    return { err, ms: Date.now() - t0 };
  }
  throw new Error('expected a rejection');
}

/** The broker leading one partition, from the cluster metadata (no controller needed). */
async function leaderOf(topic: string, partition: number): Promise<number> {
  const admin = new Kafka({ brokers: [...mock.brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    const { topics } = await admin.fetchTopicMetadata({ topics: [topic] });
    const leader = topics[0]?.partitions.find((p) => p.partitionId === partition)?.leader;
    if (leader === undefined) throw new Error(`no leader for ${topic}/${partition}`);
    return leader;
  } finally {
    await admin.disconnect();
  }
}

const nanos = (got: { value: unknown }[]) => got.map((m) => (m.value as EventRecord).time_nano);

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 3 });
});

afterAll(async () => {
  for (const sink of sinks) await sink.close();
  await mock?.stop();
});

describe('kafka sink during broker outages', () => {
  it('all brokers down: retryable failures in bounded time, then everything delivered once', async () => {
    await mock.createTopic('outage.event', 3, 3);
    const sink = makeSink('outage.{kind}');
    const before = events(0, 50);
    await sink.send(before, signal);

    await mock.allDown();
    const during = events(1000, 50);
    try {
      // Like the pipeline: the same batch is retried while the brokers are away.
      for (let attempt = 0; attempt < 3; attempt++) {
        const { err, ms } = await failure(sink.send(during, signal));
        expect(err).toBeInstanceOf(SinkError);
        expect((err as SinkError).retryable).toBe(true);
        expect(ms).toBeLessThan(FAIL_WITHIN_MS);
      }
      // A sink starting during the outage fails the same way, and check() reports it.
      const late = makeSink('outage.{kind}');
      const started = await failure(late.start(signal));
      expect((started.err as SinkError).retryable).toBe(true);
      const checked = await failure(late.check(signal));
      expect((checked.err as DsError).code).toBe('SINK_UNREACHABLE');
      expect(checked.ms).toBeLessThan(FAIL_WITHIN_MS);
    } finally {
      await mock.allUp();
    }

    await sink.send(during, signal);
    const got = await consumeAll(mock.brokers, ['outage.event'], 100);
    expect(nanos(got).sort()).toEqual([...before, ...during].map((r) => r.time_nano).sort());
  });

  it('one broker down: the batch fails retryably; after the resend nothing is lost and nothing outside that batch repeats', async () => {
    await mock.createTopic('partial.event', 6, 1);
    // The mock picks each partition's leader at random: some topics have none on a given broker.
    const down = await leaderOf('partial.event', 0);
    const sink = makeSink('partial.{kind}');
    const first = events(0, 60);
    await sink.send(first, signal);

    await mock.down(down);
    const batch = events(2000, 60);
    try {
      const { err, ms } = await failure(sink.send(batch, signal));
      expect((err as SinkError).retryable).toBe(true);
      expect(ms).toBeLessThan(FAIL_WITHIN_MS);
    } finally {
      await mock.up(down);
    }
    await sink.send(batch, signal);
    const after = events(3000, 60);
    await sink.send(after, signal);

    const expectedOnce = [...first, ...after].map((r) => r.time_nano);
    const batchNanos = new Set(batch.map((r) => r.time_nano));
    // KafkaJS connects every leader before producing, so a refused broker usually
    // fails the attempt before anything is written; duplicates are allowed but
    // must come from the failed batch only.
    const got = await consumeAll(mock.brokers, ['partial.event'], 180);
    const seen = new Map<string, number>();
    for (const n of nanos(got)) seen.set(n, (seen.get(n) ?? 0) + 1);
    for (const n of expectedOnce) expect(seen.get(n)).toBe(1);
    for (const n of batchNanos) expect(seen.get(n)).toBeGreaterThanOrEqual(1);
    for (const [n, times] of seen) if (times > 1) expect(batchNanos.has(n)).toBe(true);
    expect(got.length).toBeGreaterThanOrEqual(180);
  });

  it('a batch split into produce requests, the third refused: the retry re-sends only the third and later ones; each record once, in order', async () => {
    // One partition: one produce request per planned request, appended in order.
    await mock.createTopic('split.event', 1, 1);
    const more = { max_message_bytes: '4KiB' };
    const sink = makeSink('split.{kind}', mock.brokers, more);
    const batch = events(5000, 24);
    const options = kafkaOptionsSchema.parse({ brokers: mock.brokers, topic: 'split.{kind}', ...more });
    const planned = planRequests(
      batch.map((r) => toMessage(r, topicResolver(options))),
      options.max_message_bytes,
    );
    expect(planned.length).toBeGreaterThanOrEqual(4);
    const sizes = planned.map((req) => req.reduce((n, t) => n + t.messages.length, 0));
    const acked = (sizes[0] as number) + (sizes[1] as number);
    await sink.start(signal);

    // Two produce requests accepted, the third refused (TOPIC_AUTHORIZATION_FAILED: KafkaJS does not retry it).
    await mock.failProduce([0, 0, 29]);
    const { err } = await failure(sink.send(batch, signal));
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect((err as SinkError).details['types']).toEqual(['TOPIC_AUTHORIZATION_FAILED']);
    // The brokers hold exactly the acknowledged part.
    const partial = await consumeAll(mock.brokers, ['split.event'], acked);
    expect(nanos(partial)).toEqual(batch.slice(0, acked).map((r) => r.time_nano));

    // Like the pipeline: the same batch again.
    await sink.send(batch, signal);
    const got = await consumeAll(mock.brokers, ['split.event'], batch.length);
    // Every record exactly once and in batch order (a full re-send would repeat the first `acked`).
    expect(nanos(got)).toEqual(batch.map((r) => r.time_nano));
    expect(got.map((m) => m.offset)).toEqual(batch.map((_, i) => i));
  });

  it('a broker that accepts connections but never answers: send and check fail in bounded time', async () => {
    const silent = await startSilentPeer();
    try {
      const sink = makeSink('silent.{kind}', [silent.address]);
      // start() may succeed (KafkaJS counts an open socket as connected); send must not.
      await sink.start(signal).catch(() => undefined);
      const sent = await failure(sink.send([volumeEvent(1)], signal));
      expect((sent.err as SinkError).retryable).toBe(true);
      expect(sent.ms).toBeLessThan(FAIL_WITHIN_MS);
      const checked = await failure(sink.check(signal));
      expect((checked.err as DsError).code).toBe('SINK_UNREACHABLE');
      expect(checked.ms).toBeLessThan(FAIL_WITHIN_MS);
      expect(silent.sockets.length).toBeGreaterThan(0);
    } finally {
      await silent.close();
    }
  });
});
