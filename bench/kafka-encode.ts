/**
 * Per-record CPU of the steps between a record and the bytes KafkaJS writes,
 * measured in isolation (µs per record): what bounds the Kafka sink's
 * records/s on one core. KafkaJS's protocol encoders are internal modules,
 * loaded here by path (kafkajs 2.2.x layout) and driven the way its produce
 * request v3 drives them.
 */
import { createRequire } from 'node:module';
import { recordJson } from '../src/pipeline/serialize.js';
import type { DsRecord } from '../src/records.js';
import { toMessage, topicResolver } from '../src/sinks/kafka/mapping.js';
import { kafkaOptionsSchema } from '../src/sinks/kafka/options.js';
import { createRecordEncoder, kafkajsRecordEncoder } from '../src/sinks/kafka/record-encoder.js';

const require = createRequire(import.meta.url);

interface EncoderLike {
  readonly buffer: Buffer;
}
type RecordFn = (m: { offsetDelta: number; timestampDelta: number; key: string; value: string | Buffer; headers: Record<string, string> }) => EncoderLike;
type RecordBatchFn = (o: { compression: number; records: EncoderLike[]; firstTimestamp: number; maxTimestamp: number; lastOffsetDelta: number }) => Promise<EncoderLike>;

const Encoder = require('kafkajs/src/protocol/encoder.js') as { prototype: object };
const { RecordBatch } = require('kafkajs/src/protocol/recordBatch/v0') as { RecordBatch: RecordBatchFn };
const GZIP = 1;

export interface EncodeCosts {
  readonly batch: number;
  readonly stringifyUs: number;
  readonly toMessageUs: number;
  /** KafkaJS's record encoder, and the sink's replacement. */
  readonly recordKafkajsUs: number;
  readonly recordFastUs: number;
  /** Record batch assembly + CRC32C (+ gzip), per record, records already encoded. */
  readonly batchNoneUs: number;
  readonly batchGzipUs: number;
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
  const fresh = () => sample.map((r) => ({ ...r }) as DsRecord);
  const stringifyUs = await best(20, batch, () => sample.forEach((r) => JSON.stringify(r)));
  const toMessageUs = await best(20, batch, () => {
    const copies = fresh();
    for (const r of copies) recordJson(r); // the queue's size accounting did this already
    const t0 = process.hrtime.bigint();
    for (const r of copies) toMessage(r, topicFor);
    return process.hrtime.bigint() - t0;
  });
  const messages = sample.map((r) => toMessage(r, topicFor).message);
  const first = Number(messages[0]!.timestamp);
  // As KafkaJS's produce request calls it: the message spread plus the two deltas.
  const encodeWith = (encode: RecordFn) => () => messages.map((m, i) => encode({ ...m, offsetDelta: i, timestampDelta: Number(m.timestamp) - first }));
  const kafkajs = kafkajsRecordEncoder();
  const fast = createRecordEncoder(kafkajs, Encoder.prototype);
  const recordKafkajsUs = await best(20, batch, encodeWith(kafkajs));
  const recordFastUs = await best(20, batch, encodeWith(fast));
  const batchOf = (compression: number) => async () => {
    const encoded = encodeWith(fast)();
    const t0 = process.hrtime.bigint();
    await RecordBatch({ compression, records: encoded, firstTimestamp: first, maxTimestamp: first, lastOffsetDelta: batch - 1 });
    return process.hrtime.bigint() - t0;
  };
  const batchNoneUs = await best(20, batch, batchOf(0));
  const batchGzipUs = await best(10, batch, batchOf(GZIP));
  return { batch, stringifyUs, toMessageUs, recordKafkajsUs, recordFastUs, batchNoneUs, batchGzipUs };
}
