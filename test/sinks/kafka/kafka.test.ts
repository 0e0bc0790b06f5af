/**
 * The Kafka sink against librdkafka's mock cluster (3 brokers on loopback,
 * real Kafka protocol), driven through the Sink interface, read back with a
 * KafkaJS consumer group.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors.js';
import type { Sink } from '../../../src/pipeline/types.js';
import type { DsRecord, EventRecord } from '../../../src/records.js';
import { kafkaOptionsSchema } from '../../../src/sinks/kafka/options.js';
import { kafkaSinkPlugin } from '../../../src/sinks/kafka/plugin.js';
import { kafkajsInternals } from '../../../src/sinks/kafka/kafkajs-internals.js';
import { SelfMetrics } from '../../../src/telemetry/metrics.js';
import { startKafkaMock, type KafkaMock } from '../../harness/kafka-mock.js';
import { ofKind, sinkContext } from '../../harness/records.js';
import { failure } from '../contract.js';
import { consumeAll, type Consumed } from './consume.js';
import { containerRef, diskUsageRecord, eventRecord, HOST, statsRecord, volumeEvent } from './fixtures.js';

let mock: KafkaMock;
const sinks: Sink[] = [];
const signal = new AbortController().signal;

function makeSink(options: Record<string, unknown>, metrics = new SelfMetrics()): Sink {
  const parsed = kafkaOptionsSchema.parse({ brokers: mock.brokers, ...options });
  const sink = kafkaSinkPlugin.create('kafka', parsed, sinkContext(undefined, metrics));
  sinks.push(sink);
  return sink;
}

async function sendInBatches(sink: Sink, records: readonly DsRecord[], size: number): Promise<void> {
  for (let i = 0; i < records.length; i += size) await sink.send(records.slice(i, i + size), signal);
}

async function createTopics(prefix: string, kinds: readonly string[], partitions: number): Promise<string[]> {
  const topics = kinds.map((k) => `${prefix}.${k}`);
  for (const t of topics) await mock.createTopic(t, partitions, 3);
  return topics;
}

beforeAll(async () => {
  mock = await startKafkaMock({ brokers: 3 });
});

afterAll(async () => {
  for (const sink of sinks) await sink.close();
  await mock?.stop();
});

describe('kafka sink on a 3-broker mock cluster', () => {
  it('listens on loopback only', () => {
    expect(mock.brokers).toHaveLength(3);
    for (const b of mock.brokers) expect(b).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('check() describes the reachable cluster', async () => {
    const sink = makeSink({ topic: 'chk.{kind}', compression: 'gzip' });
    const line = await sink.check(signal);
    expect(line).toMatch(/^kafka cluster mockCluster\w+: 3 brokers reachable \(127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+, 127\.0\.0\.1:\d+\); /);
    expect(line).toContain('topics chk.event, chk.stats, chk.disk_usage...; acks all; compression gzip');
  });

  it('delivers events, stats and disk usage to their topics with keys, headers, values and timestamps', async () => {
    const topics = await createTopics('deliver', ['event', 'stats', 'disk_usage'], 3);
    const metrics = new SelfMetrics();
    const sink = makeSink({ topic: 'deliver.{kind}', compression: 'gzip', acks: 'all' }, metrics);
    await sink.start(signal);
    const containers = [1, 2, 3, 4].map(containerRef);
    const records: DsRecord[] = [];
    for (let seq = 0; seq < 40; seq++) {
      const c = containers[seq % containers.length]!;
      records.push(eventRecord(seq, c, seq % 2 === 0 ? 'start' : 'die'), statsRecord(seq, c));
      if (seq % 10 === 0) records.push(diskUsageRecord(seq), volumeEvent(seq));
    }
    await sendInBatches(sink, records, 25);
    // These requests went through the sink's replacements of KafkaJS's internals.
    expect(kafkajsInternals()).toEqual({ produce: 'installed', framing: 'installed', grouping: 'installed', nativeCrc32c: true });
    const gauge = (await metrics.kafkajsReplacement.get()).values.map(({ labels, value }) => [labels.replacement, value]);
    expect(Object.fromEntries(gauge)).toEqual({ produce_encoder: 1, request_framing: 1, partition_grouping: 1 });

    const got = await consumeAll(mock.brokers, topics, records.length);
    expect(got).toHaveLength(records.length);
    const byTopic = (t: string) => got.filter((m) => m.topic === t).length;
    expect(byTopic('deliver.event')).toBe(ofKind(records, 'event').length);
    expect(byTopic('deliver.stats')).toBe(40);
    expect(byTopic('deliver.disk_usage')).toBe(4);

    const expected = records.map((r) => ({
      topic: `deliver.${r.kind}`,
      key: (r.kind === 'event' || r.kind === 'stats') && r.container !== undefined ? r.container.id : HOST.name,
      headers: { kind: r.kind, schema: '1', host: HOST.name },
      timestamp: String(Date.parse(r.time)),
      value: r,
    }));
    const strip = ({ topic, key, headers, timestamp, value }: Consumed) => ({ topic, key, headers, timestamp, value });
    const order = (a: { value: unknown }, b: { value: unknown }) => (JSON.stringify(a.value) < JSON.stringify(b.value) ? -1 : 1);
    expect(got.map(strip).sort(order)).toEqual(expected.sort(order));
  });

  it('keeps each container in one partition, in order', async () => {
    const [topic] = await createTopics('order', ['event'], 3);
    const sink = makeSink({ topic: 'order.{kind}', acks: 'leader' });
    const containers = Array.from({ length: 10 }, (_, i) => containerRef(100 + i));
    const records: EventRecord[] = [];
    for (let seq = 0; seq < 600; seq++) records.push(eventRecord(seq, containers[seq % 10]!));
    await sendInBatches(sink, records, 100);

    const got = await consumeAll(mock.brokers, [topic!], records.length);
    expect(got).toHaveLength(600);
    const seqOf = (r: EventRecord) => Number(r.actor.attributes['seq']);
    const partitionsUsed = new Set<number>();
    for (const c of containers) {
      const mine = got.filter((m) => m.key === c.id).sort((a, b) => a.offset - b.offset);
      expect(mine).toHaveLength(60);
      expect(new Set(mine.map((m) => m.partition)).size).toBe(1);
      partitionsUsed.add(mine[0]!.partition);
      expect(mine.map((m) => seqOf(m.value as EventRecord))).toEqual(records.filter((r) => r.container?.id === c.id).map(seqOf));
    }
    // Ten keys over three partitions: the keys really were spread.
    expect(partitionsUsed.size).toBeGreaterThan(1);
  });

  it('rejects oversized records before sending and splits large batches under the limit', async () => {
    const [topic] = await createTopics('size', ['event'], 3);
    const sink = makeSink({ topic: 'size.{kind}', max_message_bytes: '16KiB' });
    await sink.start(signal); // the pipeline asks reject() only after start()
    const c = containerRef(7);
    const big = { ...eventRecord(1, c), actor: { id: c.id, attributes: { blob: 'x'.repeat(20_000) } } };
    const reason = sink.reject!(big);
    expect(reason).toMatch(/^message too large: \d+ bytes exceed max_message_bytes 16384 \(topic size\.event\)$/);
    expect(sink.reject!(eventRecord(2, c))).toBeNull();

    // A caller that skipped reject() gets a permanent error and nothing is produced.
    const err = await failure(sink.send([eventRecord(3, c), big], signal));
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(false);

    // 200 records of ~750 bytes go out as ~10 requests under 16 KiB (the split itself is
    // unit-tested: the mock does not enforce sizes); all arrive, once.
    const rest = Array.from({ length: 200 }, (_, i) => eventRecord(10 + i, containerRef(i % 5)));
    await sink.send(rest, signal);
    const got = await consumeAll(mock.brokers, [topic!], rest.length);
    expect(got.map((m) => (m.value as { time_nano: string }).time_nano).sort()).toEqual(rest.map((r) => r.time_nano).sort());
  });
});
