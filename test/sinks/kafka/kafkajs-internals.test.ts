/**
 * The sink's replacements of KafkaJS internals are in place before KafkaJS
 * loads, and each gives what the module it replaces gives: the request
 * framing the same bytes, the partition grouping the same groups in the same
 * order. (The produce request encoder has its own test.)
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { FRAMING_MODULE, GROUPING_MODULE, installKafkajsInternals, kafkajsOriginal, PRODUCE_MODULE } from '../../../src/sinks/kafka/kafkajs-internals.js';
import { groupMessagesPerPartition, type GroupingArgs } from '../../../src/sinks/kafka/partition-grouping.js';
import type { EncoderLike, ProduceArgs } from '../../../src/sinks/kafka/produce-types.js';
import { createRequestFraming, type FramingArgs } from '../../../src/sinks/kafka/request-framing.js';

// Installed as the sink installs them at start: before anything loads KafkaJS.
const kafkajsInternals = installKafkajsInternals();
const require = createRequire(import.meta.url);
const Encoder = require('kafkajs/src/protocol/encoder.js') as new () => EncoderLike & {
  writeInt32(v: number): EncoderLike;
  writeString(v: string): EncoderLike;
};

describe('kafkajs internals', () => {
  it('are replaced before KafkaJS loads them, and KafkaJS uses the replacements', () => {
    expect(kafkajsInternals).toEqual({ produce: 'installed', framing: 'installed', grouping: 'installed', nativeCrc32c: true });
    expect(require(FRAMING_MODULE)).not.toBe(kafkajsOriginal(FRAMING_MODULE));
    expect(require(GROUPING_MODULE)).toBe(groupMessagesPerPartition);
    const { protocol } = require('kafkajs/src/protocol/requests/produce/index.js') as {
      protocol: (o: { version: number }) => (a: ProduceArgs) => { request: { apiVersion: number; encode: unknown } };
    };
    expect(require(PRODUCE_MODULE)).not.toBe(kafkajsOriginal(PRODUCE_MODULE));
    for (const version of [3, 4, 5, 6, 7]) {
      const { request } = protocol({ version })({ acks: -1, timeout: 1_000, topicData: [] });
      expect(request.apiVersion).toBe(version);
      expect(String(request.encode)).toContain('await encode(args)'); // the fast encoder's wrapper
    }
  });

  it('frames requests byte for byte like KafkaJS', async () => {
    const kafkajs = kafkajsOriginal<(a: FramingArgs) => Promise<EncoderLike>>(FRAMING_MODULE);
    const framing = createRequestFraming((Encoder as unknown as { prototype: object }).prototype);
    const payload = (size: number) => async () => {
      const e = new Encoder().writeString('topic') as EncoderLike & { writeInt32(v: number): EncoderLike };
      for (let i = 0; i < size; i++) e.writeInt32((i * 2_654_435_761) | 0);
      return e;
    };
    const cases: FramingArgs[] = [
      { correlationId: 1, clientId: 'dockstream', request: { apiKey: 0, apiVersion: 7, encode: payload(0) } },
      { correlationId: 2 ** 31 - 1, clientId: 'dockstream-☃-𝄞', request: { apiKey: 3, apiVersion: 9, encode: payload(70_000) } },
      { correlationId: 42, clientId: null, request: { apiKey: 18, apiVersion: 2, encode: payload(3) } },
      { correlationId: 43, clientId: '', request: { apiKey: 1, apiVersion: 11, encode: payload(1) } },
    ];
    for (const args of cases) {
      const ours = await framing(args);
      expect(ours.buffer.toString('hex')).toBe((await kafkajs(args)).buffer.toString('hex'));
      expect(ours.buffer.length).toBe(ours.offset);
    }
    await expect(framing({ correlationId: 1, request: { apiKey: 0, apiVersion: 0, encode: async () => ({}) as EncoderLike } })).rejects.toThrow(
      'value should be an instance of Encoder',
    );
  });

  it('groups messages per partition like KafkaJS, in order', () => {
    const kafkajs = kafkajsOriginal<(a: GroupingArgs<{ key: string }>) => Record<number, Array<{ key: string }>>>(GROUPING_MODULE);
    const messages = Array.from({ length: 1_000 }, (_, i) => ({ key: `k${(i * 7919) % 37}` }));
    const partitioner: GroupingArgs<{ key: string }>['partitioner'] = ({ message, partitionMetadata }) =>
      Number(message.key.slice(1)) % partitionMetadata.length;
    for (const partitionMetadata of [[], [{}], [{}, {}, {}, {}, {}, {}]]) {
      const args = { topic: 't', partitionMetadata, messages, partitioner };
      const ours = groupMessagesPerPartition(args);
      expect(ours).toEqual(kafkajs(args));
      expect(Object.keys(ours)).toEqual(Object.keys(kafkajs(args)));
    }
    expect(Object.values(groupMessagesPerPartition({ topic: 't', partitionMetadata: [{}, {}], messages, partitioner })).flat()).toHaveLength(1_000);
  });
});
