/**
 * Per-record CPU of the steps between a record and the bytes KafkaJS writes,
 * measured in isolation (µs per record): what bounds the Kafka sink's
 * records/s on one core. The produce request is encoded the way KafkaJS's
 * producer asks for it (one topic, the batch spread over 6 partitions), once
 * by KafkaJS's own encoder and once by the sink's replacement.
 */
import { recordJson } from '../src/pipeline/serialize.js';
import type { DsRecord } from '../src/records.js';
import { toMessage, topicResolver } from '../src/sinks/kafka/mapping.js';
import { kafkaOptionsSchema } from '../src/sinks/kafka/options.js';
import { installKafkajsInternals, kafkajsDeps, kafkajsOriginal, PRODUCE_MODULE } from '../src/sinks/kafka/kafkajs-internals.js';
import { createProduceRequest } from '../src/sinks/kafka/produce-encoder.js';
import type { ProduceArgs, ProduceRequestFactory } from '../src/sinks/kafka/produce-types.js';

const GZIP = 1;
const PARTITIONS = 6;

export interface EncodeCosts {
  readonly batch: number;
  readonly stringifyUs: number;
  readonly toMessageUs: number;
  /** Produce request encoding (records, batches, CRC32C, request), KafkaJS's and the sink's. */
  readonly requestKafkajsUs: number;
  readonly requestFastUs: number;
  readonly requestKafkajsGzipUs: number;
  readonly requestFastGzipUs: number;
}

/**
 * Best of `rounds` timings (least disturbed by other load), in µs per item.
 * `fn` may return the nanoseconds of the part to count (it did set-up first).
 */
async function best(rounds: number, items: number, fn: () => unknown): Promise<number> {
  await fn();
  let min = Infinity;
  for (let r = 0; r < rounds; r++) {
    const t0 = process.hrtime.bigint();
    const counted = await fn();
    const ns = typeof counted === 'bigint' ? counted : process.hrtime.bigint() - t0;
    min = Math.min(min, Number(ns) / 1e3 / items);
  }
  return min;
}

export async function encodeCosts(records: readonly DsRecord[], batch = 500): Promise<EncodeCosts> {
  const sample = records.slice(0, batch);
  const topicFor = topicResolver(kafkaOptionsSchema.parse({ brokers: ['127.0.0.1:9092'] }));
  const fresh = () => sample.map((r) => ({ ...r }));
  const stringifyUs = await best(20, batch, () => sample.forEach((r) => JSON.stringify(r)));
  const toMessageUs = await best(20, batch, () => {
    const copies = fresh();
    for (const r of copies) recordJson(r); // the queue's size accounting did this already
    const t0 = process.hrtime.bigint();
    for (const r of copies) toMessage(r, topicFor);
    return process.hrtime.bigint() - t0;
  });
  const messages = sample.map((r) => toMessage(r, topicFor).message);
  const args = (compression: number): ProduceArgs => ({
    acks: -1,
    timeout: 30_000,
    compression,
    topicData: [
      {
        topic: 'dockstream.event',
        partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partition: p, messages: messages.filter((_, i) => i % PARTITIONS === p) })),
      },
    ],
  });
  // As the sink does at start, before this loads KafkaJS's encoder: else the later runs in this process would find it loaded.
  installKafkajsInternals();
  const kafkajs = kafkajsOriginal<ProduceRequestFactory>(PRODUCE_MODULE);
  const fast = createProduceRequest(kafkajsDeps(kafkajs));
  const encodeWith = (factory: ProduceRequestFactory, compression: number) => async () => {
    await factory(args(compression)).encode();
  };
  const requestKafkajsUs = await best(20, batch, encodeWith(kafkajs, 0));
  const requestFastUs = await best(20, batch, encodeWith(fast, 0));
  const requestKafkajsGzipUs = await best(10, batch, encodeWith(kafkajs, GZIP));
  const requestFastGzipUs = await best(10, batch, encodeWith(fast, GZIP));
  return { batch, stringifyUs, toMessageUs, requestKafkajsUs, requestFastUs, requestKafkajsGzipUs, requestFastGzipUs };
}
