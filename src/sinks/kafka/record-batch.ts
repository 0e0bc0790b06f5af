/**
 * One partition's v2 record batch for the produce request encoder: measured
 * first (`planBatch`), written later (`writeRecords`) into the request's one
 * allocation. A batch off the fast path (header arrays, non-string values,
 * timestamp deltas that do not fit) plans as undefined.
 */
import type { MessageInput, PartitionData } from './produce-types.js';
import { bytesLength, sizeOfVarInt, sizeOfVarLong, utf8Length, writeBytes, writeVarInt, writeVarLong } from './wire.js';

/** Largest |timestampDelta| whose zigzag value (2|v|) stays an exact double. */
const MAX_VARLONG = 2 ** 51;
/**
 * A partition's bytes around its records: partition (4), record set size (4),
 * then the v2 record batch header: first offset (8), length (4), leader epoch
 * (4), magic (1), CRC (4), attributes (2), last offset delta (4), first and
 * max timestamp (16), producer id (8) and epoch (2), first sequence (4),
 * record count (4). The record batch alone is 61 of these 69.
 */
export const PARTITION_OVERHEAD = 69;

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
export interface BatchPlan {
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

export function planBatch(data: PartitionData, dateNow: number): BatchPlan | undefined {
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

export function writeRecords(buf: Buffer, at: number, plan: BatchPlan): number {
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
