/**
 * The fast record encoder writes exactly the bytes KafkaJS's own encoder
 * writes, for the messages the sink produces and for edge cases (varint
 * boundaries, nulls, Buffers, multi-byte UTF-8, negative deltas); inputs
 * outside its fast path go to KafkaJS's encoder.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { toMessage, topicResolver } from '../../../src/sinks/kafka/mapping.js';
import { kafkaOptionsSchema } from '../../../src/sinks/kafka/options.js';
import { createRecordEncoder, installRecordEncoder, kafkajsRecordEncoder, type RecordInput } from '../../../src/sinks/kafka/record-encoder.js';
import { containerRef, diskUsageRecord, eventRecord, statsRecord, volumeEvent } from './fixtures.js';

const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: object };
const kafkajs = kafkajsRecordEncoder();
const fast = createRecordEncoder(kafkajs, Encoder.prototype);
const bytes = (e: { buffer: Buffer }) => e.buffer.toString('hex');

function same(input: RecordInput): void {
  expect(bytes(fast(input))).toBe(bytes(kafkajs(input)));
}

describe('kafka record encoder', () => {
  it('encodes the sink messages byte for byte like KafkaJS', () => {
    const topicFor = topicResolver(kafkaOptionsSchema.parse({ brokers: ['127.0.0.1:9092'] }));
    const c = containerRef(3);
    const records = [eventRecord(1, c), statsRecord(2, c), diskUsageRecord(3), volumeEvent(4), eventRecord(5, { ...c, name: 'wéb-☃-𝄞' })];
    records.forEach((r, i) => {
      const { message } = toMessage(r, topicFor);
      same({ ...message, offsetDelta: i, timestampDelta: i * 7 });
    });
  });

  it('matches KafkaJS at varint boundaries, for nulls, Buffers and multi-byte text', () => {
    const deltas = [0, 1, -1, 63, 64, -64, -65, 8191, 8192, 2 ** 20, 2 ** 31 - 1, 2 ** 40, -(2 ** 40), 2 ** 51];
    const offsets = [0, 1, 63, 64, 8191, 8192, 2 ** 20, 2 ** 30 - 1];
    for (const timestampDelta of deltas) same({ key: 'k', value: 'v', timestampDelta, offsetDelta: 3 });
    for (const offsetDelta of offsets) same({ key: 'k', value: 'v', offsetDelta, timestampDelta: 5 });
    for (const size of [0, 1, 63, 64, 127, 128, 499, 500, 511, 512, 1_000, 8_192, 70_000]) {
      same({ key: 'x'.repeat(size % 300), value: 'y'.repeat(size), headers: { kind: 'event' } });
      same({ key: Buffer.alloc(size % 97, 1), value: Buffer.alloc(size, 2), headers: { h: Buffer.alloc(size % 130, 3) } });
    }
    same({ key: null, value: null });
    same({ value: 'only a value' });
    same({ key: 'ключ', value: '値 ☃ 𝄞', headers: { 'en-tête': 'valeur é', schema: '1', host: 'h' } });
    same({ key: 'k', value: 'v', headers: {} });
  });

  it('reuses the bytes of frozen headers only, so changed headers are never stale', () => {
    const shared = Object.freeze({ kind: 'event', schema: '1', host: 'h' });
    same({ key: 'a', value: 'v1', headers: shared });
    same({ key: 'b', value: 'v2', headers: shared });
    const mutable: Record<string, string> = { kind: 'event', schema: '1' };
    same({ key: 'a', value: 'v', headers: mutable });
    mutable['schema'] = '22';
    mutable['host'] = 'hôte';
    same({ key: 'a', value: 'v', headers: mutable });
  });

  it('hands inputs outside its fast path to KafkaJS', () => {
    same({ key: 'k', value: 'v', headers: { multi: ['a', 'b'] } as unknown as Record<string, string> });
    const numeric = { key: 'k', value: 42 as unknown as string }; // KafkaJS refuses it; so does the fast path's fallback
    expect(() => kafkajs(numeric)).toThrow(TypeError);
    expect(() => fast(numeric)).toThrow(TypeError);
    same({ key: 'k', value: 'v', timestampDelta: 2 ** 60 });
  });

  it('is installed in KafkaJS before its produce encoder loads', () => {
    expect(installRecordEncoder()).toBe('installed');
    const produce = require('kafkajs/src/protocol/requests/produce/v3/request.js') as unknown;
    expect(produce).toBeTypeOf('function');
    expect(require('kafkajs/src/protocol/recordBatch/record/v0/index.js')).not.toBe(kafkajs);
  });
});
