/**
 * The produce request encoder writes exactly the request KafkaJS's own
 * encoder writes (v3, which v4–v7 reuse), for the sink's messages and for
 * edge cases (varint boundaries, nulls, Buffers, multi-byte UTF-8, several
 * topics and partitions, missing and unordered timestamps, gzip,
 * transactional ids); requests outside its fast path go to KafkaJS's
 * encoder. The record batch CRC32C is checked against KafkaJS's JavaScript
 * one, so the native CRC cannot drift either.
 */
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toMessage, topicResolver } from '../../../src/sinks/kafka/mapping.js';
import { kafkaOptionsSchema } from '../../../src/sinks/kafka/options.js';
import { kafkajsDeps, kafkajsOriginal, PRODUCE_MODULE } from '../../../src/sinks/kafka/kafkajs-internals.js';
import { createProduceRequest } from '../../../src/sinks/kafka/produce-encoder.js';
import type { MessageInput, ProduceArgs, ProduceRequestFactory } from '../../../src/sinks/kafka/produce-types.js';
import { containerRef, diskUsageRecord, eventRecord, statsRecord, volumeEvent } from './fixtures.js';

const require = createRequire(import.meta.url);
const kafkajs = kafkajsOriginal<ProduceRequestFactory>(PRODUCE_MODULE);
const deps = kafkajsDeps(kafkajs);
const fast = createProduceRequest(deps);
const kafkajsCrc32c = require('kafkajs/src/protocol/recordBatch/crc32C/index.js') as (b: Buffer) => number;
const GZIP = 1;

const hex = async (request: { encode(): Promise<{ buffer: Buffer }> }) => (await request.encode()).buffer.toString('hex');

async function same(args: ProduceArgs): Promise<void> {
  const expected = await hex(kafkajs(args));
  expect(await hex(fast(args))).toBe(expected);
  const a = fast(args);
  const b = kafkajs(args);
  expect([a.apiKey, a.apiVersion, a.apiName, a.expectResponse()]).toEqual([b.apiKey, b.apiVersion, b.apiName, b.expectResponse()]);
}

const request = (messages: MessageInput[], extra: Partial<ProduceArgs> = {}): ProduceArgs => ({
  acks: -1,
  timeout: 30_000,
  topicData: [{ topic: 't', partitions: [{ partition: 0, messages }] }],
  ...extra,
});

const T0 = 1_714_557_600_123;

afterEach(() => {
  vi.restoreAllMocks();
});

describe('kafka produce request encoder', () => {
  it('uses the native CRC32C, which agrees with KafkaJS', () => {
    expect(deps.nativeCrc32c).toBe(true);
    for (const size of [0, 1, 7, 8, 9, 63, 1_000, 65_537]) {
      const bytes = Buffer.alloc(size, 0).map((_, i) => (i * 31 + size) & 0xff) as Buffer;
      expect(deps.crc32c(Buffer.from(bytes))).toBe(kafkajsCrc32c(Buffer.from(bytes)));
    }
    expect(deps.crc32c(Buffer.from('123456789'))).toBe(0xe3069283); // the CRC-32C check value
  });

  it('encodes the sink messages over several topics and partitions byte for byte like KafkaJS', async () => {
    const topicFor = topicResolver(kafkaOptionsSchema.parse({ brokers: ['127.0.0.1:9092'] }));
    const c = containerRef(3);
    const records = [eventRecord(1, c), statsRecord(2, c), diskUsageRecord(3), volumeEvent(4), eventRecord(5, { ...c, name: 'wéb-☃-𝄞' })];
    const messages = Array.from({ length: 300 }, (_, i) => toMessage(records[i % records.length]!, topicFor).message);
    const topicData = [
      { topic: 'dockstream.event', partitions: [0, 1, 2].map((p) => ({ partition: p, messages: messages.filter((_, i) => i % 3 === p) })) },
      { topic: 'dockstream.stats', partitions: [{ partition: 5, messages: messages.slice(0, 7) }] },
    ];
    await same({ acks: -1, timeout: 30_000, topicData });
    await same({ acks: 1, timeout: 5_000, topicData, compression: GZIP });
    await same({ acks: 0, timeout: 1_000, topicData: [] });
  });

  it('matches KafkaJS at varint boundaries, for nulls, Buffers, multi-byte text and unordered timestamps', async () => {
    const deltas = [0, 1, 63, 64, 8191, 8192, 2 ** 20, 2 ** 31 - 1, 2 ** 40, 2 ** 51];
    await same(request(deltas.map((d, i) => ({ key: 'k', value: 'v', timestamp: String(T0 + d - (i % 2) * 2 * d) }))));
    await same(request(deltas.map((d) => ({ key: 'k', value: 'v', timestamp: T0 + d })))); // numbers
    const many = Array.from({ length: 9_000 }, (_, i) => ({ key: `k${i}`, value: 'v', timestamp: String(T0 + ((i * 7919) % 1_000)) }));
    await same(request(many)); // offset deltas past 63 and 8191, timestamps out of order
    for (const size of [0, 1, 63, 64, 127, 128, 499, 500, 511, 512, 1_000, 8_192, 70_000]) {
      await same(request([{ key: 'x'.repeat(size % 300), value: 'y'.repeat(size), headers: { kind: 'event' }, timestamp: String(T0) }]));
      await same(
        request([{ key: Buffer.alloc(size % 97, 1), value: Buffer.alloc(size, 2), headers: { h: Buffer.alloc(size % 130, 3) }, timestamp: String(T0) }]),
      );
    }
    await same(request([{ key: null, value: null, timestamp: String(T0) }]));
    await same(request([{ key: 'ключ', value: '値 ☃ 𝄞', headers: { 'en-tête': 'valeur é', schema: '1', host: 'h' }, timestamp: String(T0) }]));
    await same(request([{ key: 'k', value: 'v', headers: {}, timestamp: String(T0) }]));
  });

  it('matches KafkaJS without timestamps, with a transactional id, a producer id and a first sequence', async () => {
    vi.spyOn(Date, 'now').mockReturnValue(T0);
    await same(
      request([
        { key: 'a', value: 'no timestamp' },
        { value: 'only a value', timestamp: String(T0 - 5) },
      ]),
    );
    await same(request([{ key: 'a', value: 'none at all' }]));
    await same({
      acks: -1,
      timeout: 30_000,
      transactionalId: 'tx-☃',
      producerId: 4242,
      producerEpoch: 3,
      topicData: [{ topic: 'tópico', partitions: [{ partition: 2, firstSequence: 17, messages: [{ key: 'k', value: 'v', timestamp: String(T0) }] }] }],
    });
  });

  it('reuses the bytes of frozen headers only, so changed headers are never stale', async () => {
    const shared = Object.freeze({ kind: 'event', schema: '1', host: 'h' });
    await same(request([{ key: 'a', value: 'v1', headers: shared, timestamp: String(T0) }]));
    await same(request([{ key: 'b', value: 'v2', headers: shared, timestamp: String(T0) }]));
    const mutable: Record<string, string> = { kind: 'event', schema: '1' };
    await same(request([{ key: 'a', value: 'v', headers: mutable, timestamp: String(T0) }]));
    mutable['schema'] = '22';
    mutable['host'] = 'hôte';
    await same(request([{ key: 'a', value: 'v', headers: mutable, timestamp: String(T0) }]));
  });

  it('hands requests outside its fast path to KafkaJS', async () => {
    const crc32c = vi.fn(deps.crc32c); // only the fast path calls it
    const spied = createProduceRequest({ ...deps, crc32c });
    const offPath: MessageInput[][] = [
      [{ key: 'k', value: 'v', headers: { multi: ['a', 'b'] }, timestamp: String(T0) }],
      [
        { key: 'k', value: 'v', timestamp: String(T0) },
        { key: 'k', value: 'v', timestamp: String(T0 + 2 ** 60) },
      ],
    ];
    for (const messages of offPath) {
      expect(await hex(spied(request(messages)))).toBe(await hex(kafkajs(request(messages))));
    }
    expect(crc32c).not.toHaveBeenCalled();
    await spied(request([{ key: 'k', value: 'v', timestamp: String(T0) }])).encode();
    expect(crc32c).toHaveBeenCalledTimes(1);
    // KafkaJS refuses a numeric value; so does the fast path's fallback.
    await expect(fast(request([{ key: 'k', value: 42 }])).encode()).rejects.toThrow(TypeError);
    await expect(kafkajs(request([{ key: 'k', value: 42 }])).encode()).rejects.toThrow(TypeError);
    // Codecs KafkaJS has not registered fail as in KafkaJS.
    await expect(fast(request([{ value: 'v' }], { compression: 2 })).encode()).rejects.toThrow(/Snappy compression not implemented/);
  });
});
