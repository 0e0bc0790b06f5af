/**
 * A faster drop-in for KafkaJS's produce request encoder (kafkajs 2.2.x,
 * `src/protocol/requests/produce/v3/request.js`, which v4–v7 reuse), writing
 * byte-for-byte the request KafkaJS writes.
 *
 * Why: KafkaJS builds a produce request in nested encoders (record → record
 * batch → partition → topic → request), each starting from a zero-filled
 * 512-byte buffer, growing by doubling and copying the layer below; it
 * encodes each record with ~5 such buffers and a Buffer per varint, and
 * computes the batch CRC32C in JavaScript one byte at a time. Profiled
 * through the pipeline at full speed, that was ~35% of the agent's CPU. This
 * encoder measures the request first, then writes it once into one
 * allocation; CRC32C is the native one from `@node-rs/crc32`.
 *
 * How: `kafkajs.ts` puts it in place of KafkaJS's v3 module (v4–v7 wrap
 * v3). A request outside the fast path (header arrays, non-string values,
 * timestamps whose deltas do not fit...) is encoded by KafkaJS's own
 * encoder.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** A message as KafkaJS's producer hands it to the produce request. */
export interface MessageInput {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: unknown;
  readonly timestamp?: unknown;
}

export interface PartitionData {
  readonly partition: number;
  readonly firstSequence?: number;
  readonly messages: readonly MessageInput[];
}

export interface TopicData {
  readonly topic: string;
  readonly partitions: readonly PartitionData[];
}

/** What KafkaJS's producer passes to `requests/produce/v3/request.js`. */
export interface ProduceArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: readonly TopicData[];
}

/** KafkaJS's Encoder, as far as its request framing uses it. */
export interface EncoderLike {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

export interface ProduceRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly apiName: string;
  readonly expectResponse: () => boolean;
  readonly encode: () => Promise<EncoderLike>;
}

export type ProduceRequestFactory = (args: ProduceArgs) => ProduceRequest;

/** What the encoder takes from KafkaJS (and a CRC32C), so tests can build one beside KafkaJS's. */
export interface ProduceEncoderDeps {
  /** KafkaJS's own request factory: request metadata, and the encoder for anything off the fast path. */
  readonly kafkajs: ProduceRequestFactory;
  /** KafkaJS's Encoder prototype: the result is a real Encoder without its 512-byte initial buffer. */
  readonly encoderProto: object;
  /** KafkaJS's codec lookup (throws, as KafkaJS does, for codecs not registered). */
  readonly lookupCodec: (type: number) => { compress(encoder: EncoderLike): Promise<Buffer> } | null;
  /** KafkaJS's `Long.fromValue`, for the int64 fields exactly as KafkaJS writes them. */
  readonly toLong: (value: unknown) => { getHighBits(): number; getLowBits(): number };
  readonly crc32c: (bytes: Buffer) => number;
}

const NO_COMPRESSION = 0;
const COMPRESSION_CODEC_MASK = 0x07;
const TRANSACTIONAL_FLAG = 0x10;
const MAGIC = 2;
/** Largest |timestampDelta| whose zigzag value (2|v|) stays an exact double. */
const MAX_VARLONG = 2 ** 51;
/**
 * A partition's bytes around its records: partition (4), record set size (4),
 * then the v2 record batch header: first offset (8), length (4), leader epoch
 * (4), magic (1), CRC (4), attributes (2), last offset delta (4), first and
 * max timestamp (16), producer id (8) and epoch (2), first sequence (4),
 * record count (4). The record batch alone is 61 of these 69.
 */
const PARTITION_OVERHEAD = 69;

function sizeOfVarInt(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    bytes++;
    v >>>= 7;
  }
  return bytes;
}

function sizeOfVarLong(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (v >= 0x80) {
    bytes++;
    v = Math.floor(v / 128);
  }
  return bytes;
}

function writeVarInt(buf: Buffer, offset: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[offset++] = v;
  return offset;
}

function writeVarLong(buf: Buffer, offset: number, value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  while (v >= 0x80) {
    buf[offset++] = (v % 128) | 0x80;
    v = Math.floor(v / 128);
  }
  buf[offset++] = v;
  return offset;
}

/** Below this length a JavaScript loop beats a call into C++ (keys, header names and values). */
const SHORT = 96;

/** UTF-8 length of a string; short ASCII strings are measured without leaving JavaScript. */
function utf8Length(s: string): number {
  if (s.length <= SHORT) {
    let i = 0;
    while (i < s.length && s.charCodeAt(i) < 0x80) i++;
    if (i === s.length) return i;
  }
  return Buffer.byteLength(s);
}

function writeString(buf: Buffer, offset: number, s: string, length: number): number {
  if (length === s.length && length <= SHORT) {
    for (let i = 0; i < length; i++) buf[offset + i] = s.charCodeAt(i); // ASCII: one byte per char
  } else {
    buf.write(s, offset, length, 'utf8');
  }
  return offset + length;
}

/** Byte length of a nullable bytes field's content; -1 for null; undefined when not on the fast path. */
function bytesLength(value: unknown): number | undefined {
  if (value === null || value === undefined) return -1;
  if (typeof value === 'string') return utf8Length(value);
  if (Buffer.isBuffer(value)) return value.length;
  return undefined;
}

function writeBytes(buf: Buffer, offset: number, value: unknown, length: number): number {
  offset = writeVarInt(buf, offset, length);
  if (length <= 0) return offset;
  if (typeof value === 'string') return writeString(buf, offset, value, length);
  (value as Buffer).copy(buf, offset);
  return offset + length;
}

/** The headers section of a message without headers: a count of 0. */
const NO_HEADERS = Buffer.from([0]);

/**
 * Headers section of a record (count, then each name and value), or
 * undefined when a value is not a string or Buffer. Frozen header objects
 * (the sink shares one per host, kind and schema) are encoded once.
 */
const frozenHeaders = new WeakMap<object, Buffer>();

function encodedHeaders(headers: unknown): Buffer | undefined {
  if (headers === undefined) return NO_HEADERS; // KafkaJS's default: {}
  if (typeof headers !== 'object' || headers === null) return undefined;
  const cached = frozenHeaders.get(headers);
  if (cached !== undefined) return cached;
  const record = headers as Record<string, unknown>;
  const names = Object.keys(record);
  const lengths: number[] = [];
  let size = sizeOfVarInt(names.length);
  for (const name of names) {
    const v = record[name];
    if (typeof v !== 'string' && !Buffer.isBuffer(v)) return undefined; // arrays, null: KafkaJS's rules
    const nameLength = utf8Length(name);
    const valueLength = typeof v === 'string' ? utf8Length(v) : v.length;
    lengths.push(nameLength, valueLength);
    size += sizeOfVarInt(nameLength) + nameLength + sizeOfVarInt(valueLength) + valueLength;
  }
  const frozen = Object.isFrozen(headers);
  // A cached one gets its own memory: a pooled slice would pin the pool's whole slab.
  const buf = frozen ? Buffer.allocUnsafeSlow(size) : Buffer.allocUnsafe(size);
  let at = writeVarInt(buf, 0, names.length);
  names.forEach((name, i) => {
    at = writeBytes(buf, at, name, lengths[2 * i] as number);
    at = writeBytes(buf, at, record[name], lengths[2 * i + 1] as number);
  });
  if (at !== size) throw new Error(`kafka header encoder wrote ${at} of ${size} bytes`);
  // Only frozen objects: a caller may change a mutable one between messages.
  if (frozen) frozenHeaders.set(headers, buf);
  return buf;
}

/** One partition's record batch, measured; the records are written from it later. */
interface BatchPlan {
  readonly partition: number;
  readonly firstSequence: number;
  readonly messages: readonly MessageInput[];
  readonly firstTimestamp: unknown;
  readonly maxTimestamp: unknown;
  /** Per message: timestamp delta, record body length, key length, value length. */
  readonly sizes: Float64Array;
  readonly headers: Buffer[];
  /** Bytes of the records, uncompressed. */
  readonly recordsBytes: number;
  /** The compressed records, when the request is compressed. */
  compressed?: Buffer;
}

/** KafkaJS's string order (its `.sort()`): the first of the smallest, the last of the largest. */
function timestampRange(messages: readonly MessageInput[], dateNow: number): [unknown, unknown] {
  let first: unknown;
  let firstKey = '';
  let max: unknown;
  let maxKey = '';
  for (const m of messages) {
    const t = m.timestamp;
    if (t === null || t === undefined) continue;
    const key = typeof t === 'string' ? t : String(t);
    if (first === undefined || key < firstKey) {
      first = t;
      firstKey = key;
    }
    if (max === undefined || key >= maxKey) {
      max = t;
      maxKey = key;
    }
  }
  return first === undefined ? [dateNow, dateNow] : [first, max];
}

function planBatch(data: PartitionData, dateNow: number): BatchPlan | undefined {
  const { messages } = data;
  const [firstTimestamp, maxTimestamp] = timestampRange(messages, dateNow);
  const sizes = new Float64Array(messages.length * 4);
  const headers: Buffer[] = new Array<Buffer>(messages.length);
  let recordsBytes = 0;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as MessageInput;
    // KafkaJS's own arithmetic, coercions included.
    const timestampDelta = ((m.timestamp || dateNow) as number) - (firstTimestamp as number);
    const keyLength = bytesLength(m.key);
    const valueLength = bytesLength(m.value);
    const headerBytes = encodedHeaders(m.headers);
    if (
      keyLength === undefined ||
      valueLength === undefined ||
      headerBytes === undefined ||
      !Number.isSafeInteger(timestampDelta) ||
      Math.abs(timestampDelta) > MAX_VARLONG
    ) {
      return undefined;
    }
    const body =
      1 + // attributes
      sizeOfVarLong(timestampDelta) +
      sizeOfVarInt(i) +
      sizeOfVarInt(keyLength) +
      Math.max(keyLength, 0) +
      sizeOfVarInt(valueLength) +
      Math.max(valueLength, 0) +
      headerBytes.length;
    sizes[4 * i] = timestampDelta;
    sizes[4 * i + 1] = body;
    sizes[4 * i + 2] = keyLength;
    sizes[4 * i + 3] = valueLength;
    headers[i] = headerBytes;
    recordsBytes += sizeOfVarInt(body) + body;
  }
  return {
    partition: data.partition,
    firstSequence: data.firstSequence ?? 0,
    messages,
    firstTimestamp,
    maxTimestamp,
    sizes,
    headers,
    recordsBytes,
  };
}

function writeRecords(buf: Buffer, at: number, plan: BatchPlan): number {
  const { messages, sizes, headers } = plan;
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as MessageInput;
    at = writeVarInt(buf, at, sizes[4 * i + 1] as number);
    buf[at++] = 0; // attributes
    at = writeVarLong(buf, at, sizes[4 * i] as number);
    at = writeVarInt(buf, at, i);
    at = writeBytes(buf, at, m.key, sizes[4 * i + 2] as number);
    at = writeBytes(buf, at, m.value, sizes[4 * i + 3] as number);
    at += (headers[i] as Buffer).copy(buf, at);
  }
  return at;
}

/** `buf[0, offset)` as a real KafkaJS Encoder (its prototype), without the 512-byte buffer its constructor allocates. */
export function asEncoder(encoderProto: object, buf: Buffer, offset: number): EncoderLike {
  const encoder = Object.create(encoderProto) as EncoderLike;
  encoder.buf = buf;
  encoder.offset = offset;
  return encoder;
}

/**
 * The produce request factory: same metadata and bytes as `deps.kafkajs`,
 * whose own encoder handles requests off the fast path.
 */
export function createProduceRequest(deps: ProduceEncoderDeps): ProduceRequestFactory {
  const writeInt64 = (buf: Buffer, at: number, value: unknown): number => {
    const long = deps.toLong(value);
    buf.writeInt32BE(long.getHighBits(), at);
    buf.writeInt32BE(long.getLowBits(), at + 4);
    return at + 8;
  };

  const encode = async (args: ProduceArgs): Promise<EncoderLike | undefined> => {
    const { acks, timeout, transactionalId = null, producerEpoch = 0, compression = NO_COMPRESSION, topicData } = args;
    const producerId = args.producerId === undefined ? -1 : args.producerId; // KafkaJS's default, Long(-1)
    const codec = compression === NO_COMPRESSION ? null : deps.lookupCodec(compression);
    if (compression !== NO_COMPRESSION && codec === null) return undefined;
    const dateNow = Date.now();
    const topicLengths: number[] = [];
    const plans: BatchPlan[] = [];
    const transactionalLength = transactionalId === null ? -1 : Buffer.byteLength(transactionalId);
    let size = 2 + Math.max(transactionalLength, 0) + 2 + 4 + 4;
    for (const t of topicData) {
      const topicLength = Buffer.byteLength(t.topic);
      topicLengths.push(topicLength);
      size += 2 + topicLength + 4;
      for (const p of t.partitions) {
        const plan = planBatch(p, dateNow);
        if (plan === undefined) return undefined;
        if (codec !== null) {
          const records = Buffer.allocUnsafe(plan.recordsBytes);
          const end = writeRecords(records, 0, plan);
          if (end !== plan.recordsBytes) throw new Error(`kafka produce encoder wrote ${end} of ${plan.recordsBytes} record bytes`);
          plan.compressed = await codec.compress(asEncoder(deps.encoderProto, records, end));
        }
        size += PARTITION_OVERHEAD + (plan.compressed?.length ?? plan.recordsBytes);
        plans.push(plan);
      }
    }

    // Every byte below is written, and the total is checked: no zero-fill needed.
    const buf = Buffer.allocUnsafe(size);
    const attributes = (compression & COMPRESSION_CODEC_MASK) | (transactionalId ? TRANSACTIONAL_FLAG : 0);
    let at = buf.writeInt16BE(transactionalLength, 0);
    if (transactionalId !== null) at += buf.write(transactionalId, at, transactionalLength, 'utf8');
    at = buf.writeInt16BE(acks, at);
    at = buf.writeInt32BE(timeout, at);
    at = buf.writeInt32BE(topicData.length, at);
    let next = 0;
    topicData.forEach((t, ti) => {
      at = buf.writeInt16BE(topicLengths[ti] as number, at);
      at += buf.write(t.topic, at, topicLengths[ti] as number, 'utf8');
      at = buf.writeInt32BE(t.partitions.length, at);
      for (let pi = 0; pi < t.partitions.length; pi++) {
        const plan = plans[next++] as BatchPlan;
        const batchBytes = PARTITION_OVERHEAD - 8 + (plan.compressed?.length ?? plan.recordsBytes);
        at = buf.writeInt32BE(plan.partition, at);
        at = buf.writeInt32BE(batchBytes, at); // the record set's size
        at = writeInt64(buf, at, 0); // first offset
        at = buf.writeInt32BE(batchBytes - 12, at); // the batch's length after this field
        at = buf.writeInt32BE(0, at); // partition leader epoch
        at = buf.writeInt8(MAGIC, at);
        const crcAt = at;
        at += 4;
        const crcFrom = at;
        at = buf.writeInt16BE(attributes, at);
        at = buf.writeInt32BE(plan.messages.length - 1, at); // last offset delta
        at = writeInt64(buf, at, plan.firstTimestamp);
        at = writeInt64(buf, at, plan.maxTimestamp);
        at = writeInt64(buf, at, producerId);
        at = buf.writeInt16BE(producerEpoch, at);
        at = buf.writeInt32BE(plan.firstSequence, at);
        at = buf.writeInt32BE(plan.messages.length, at);
        at = plan.compressed === undefined ? writeRecords(buf, at, plan) : at + plan.compressed.copy(buf, at);
        buf.writeUInt32BE(deps.crc32c(buf.subarray(crcFrom, at)), crcAt);
      }
    });
    if (at !== size) throw new Error(`kafka produce encoder wrote ${at} of ${size} bytes`);
    return asEncoder(deps.encoderProto, buf, size);
  };

  return (args) => {
    const request = deps.kafkajs(args);
    return { ...request, encode: async () => (await encode(args)) ?? request.encode() };
  };
}

const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';
const COMPRESSION_MODULE = 'kafkajs/src/protocol/message/compression/index.js';
const LONG_MODULE = 'kafkajs/src/utils/long.js';
const CRC32C_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';

/** The native CRC32C (SSE 4.2 / ARMv8, ~5 GB/s here against KafkaJS's 0.4); KafkaJS's own where it does not load. */
function loadCrc32c(): { crc32c: (bytes: Buffer) => number; native: boolean } {
  try {
    const { crc32c } = require('@node-rs/crc32') as { crc32c: (input: Uint8Array, initial?: number) => number };
    return { crc32c: (bytes) => crc32c(bytes), native: true };
  } catch {
    return { crc32c: require(CRC32C_MODULE) as (bytes: Buffer) => number, native: false };
  }
}

const CRC32C = loadCrc32c();

/** Whether the encoder's CRC32C is the native one. */
export const nativeCrc32c: boolean = CRC32C.native;

/** KafkaJS's Encoder prototype (throws when its layout differs: `asEncoder` relies on its `buf`, `offset` and `buffer`). */
export function kafkajsEncoderPrototype(): object {
  const Encoder = require(ENCODER_MODULE) as { prototype: object };
  if (typeof Object.getOwnPropertyDescriptor(Encoder.prototype, 'buffer')?.get !== 'function') throw new Error('unexpected kafkajs layout');
  return Encoder.prototype;
}

/** KafkaJS's own pieces the encoder needs (throws when its layout differs). */
export function kafkajsDeps(kafkajs: ProduceRequestFactory): ProduceEncoderDeps & { nativeCrc32c: boolean } {
  const encoderProto = kafkajsEncoderPrototype();
  const { lookupCodec } = require(COMPRESSION_MODULE) as Pick<ProduceEncoderDeps, 'lookupCodec'>;
  const Long = require(LONG_MODULE) as { fromValue: ProduceEncoderDeps['toLong'] };
  if (typeof kafkajs !== 'function' || typeof lookupCodec !== 'function' || typeof Long.fromValue !== 'function') {
    throw new Error('unexpected kafkajs layout');
  }
  return { kafkajs, encoderProto, lookupCodec, toLong: (v) => Long.fromValue(v), crc32c: CRC32C.crc32c, nativeCrc32c };
}
