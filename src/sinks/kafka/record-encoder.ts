/**
 * A faster drop-in for KafkaJS's record encoder (kafkajs 2.2.x,
 * `src/protocol/recordBatch/record/v0`), byte-for-byte the same output.
 *
 * Why: KafkaJS encodes each message with four zero-filled 512-byte buffers
 * (record + one per header, one more when the value is over ~500 bytes) and
 * a fresh Buffer for every varint (~11 per message). Profiled through the
 * pipeline at full speed that was ~30% of the agent's CPU; this encoder
 * computes the exact size and writes once into one pooled allocation.
 *
 * How: KafkaJS loads its produce request encoder lazily, on the first
 * produce, and it `require`s the record encoder then. Replacing the record
 * module's exports in the CommonJS cache before that makes KafkaJS call this
 * function. Anything outside the fast path (header arrays, non-string
 * values...) goes to KafkaJS's own encoder. When KafkaJS's layout differs or
 * its produce encoder was already loaded, nothing is replaced.
 */
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** What KafkaJS's produce request passes to the record encoder. */
export interface RecordInput {
  readonly offsetDelta?: number;
  readonly timestampDelta?: number;
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: unknown;
}

/** KafkaJS's Encoder, as far as its record batch uses it. */
interface EncoderLike {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}
type RecordEncoder = (input: RecordInput) => EncoderLike;

const RECORD_MODULE = 'kafkajs/src/protocol/recordBatch/record/v0/index.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';
const PRODUCE_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
/** Largest |timestampDelta| whose zigzag value (2|v|) stays an exact double. */
const MAX_VARLONG = 2 ** 51;

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

/**
 * Headers section of a record (count, then each name and value), or
 * undefined when a value is not a string or Buffer. Frozen header objects
 * (the sink shares one per host, kind and schema) are encoded once.
 */
const frozenHeaders = new WeakMap<object, Buffer>();

function encodedHeaders(headers: Record<string, unknown>): Buffer | undefined {
  const cached = frozenHeaders.get(headers);
  if (cached !== undefined) return cached;
  const names = Object.keys(headers);
  const lengths: number[] = [];
  let size = sizeOfVarInt(names.length);
  for (const name of names) {
    const v = headers[name];
    if (typeof v !== 'string' && !Buffer.isBuffer(v)) return undefined;
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
    at = writeBytes(buf, at, headers[name], lengths[2 * i + 1] as number);
  });
  if (at !== size) throw new Error(`kafka header encoder wrote ${at} of ${size} bytes`);
  // Only frozen objects: a caller may change a mutable one between messages.
  if (frozen) frozenHeaders.set(headers, buf);
  return buf;
}

/**
 * The record encoder: same bytes as KafkaJS's for the same input. `fallback`
 * (KafkaJS's own) encodes inputs outside the fast path; `encoderProto` makes
 * the result a real KafkaJS Encoder without its 512-byte initial buffer.
 */
export function createRecordEncoder(fallback: RecordEncoder, encoderProto: object): RecordEncoder {
  return (input) => {
    const { offsetDelta = 0, timestampDelta = 0, key, value, headers = {} } = input;
    const keyLength = bytesLength(key);
    const valueLength = bytesLength(value);
    if (
      keyLength === undefined ||
      valueLength === undefined ||
      !Number.isSafeInteger(timestampDelta) ||
      Math.abs(timestampDelta) > MAX_VARLONG ||
      !Number.isInteger(offsetDelta) ||
      typeof headers !== 'object' ||
      headers === null
    ) {
      return fallback(input);
    }
    const headerBytes = encodedHeaders(headers as Record<string, unknown>);
    if (headerBytes === undefined) return fallback(input); // arrays, null: KafkaJS's rules
    const body =
      1 +
      sizeOfVarLong(timestampDelta) +
      sizeOfVarInt(offsetDelta) +
      sizeOfVarInt(keyLength) +
      Math.max(keyLength, 0) +
      sizeOfVarInt(valueLength) +
      Math.max(valueLength, 0) +
      headerBytes.length;
    const size = sizeOfVarInt(body) + body;
    // Pooled (no zero-fill): every byte is written below, and the size is checked.
    const buf = Buffer.allocUnsafe(size);
    let at = writeVarInt(buf, 0, body);
    buf[at++] = 0; // attributes
    at = writeVarLong(buf, at, timestampDelta);
    at = writeVarInt(buf, at, offsetDelta);
    at = writeBytes(buf, at, key, keyLength);
    at = writeBytes(buf, at, value, valueLength);
    at += headerBytes.copy(buf, at);
    if (at !== size) throw new Error(`kafka record encoder wrote ${at} of ${size} bytes`);
    const encoder = Object.create(encoderProto) as EncoderLike;
    encoder.buf = buf;
    encoder.offset = size;
    return encoder;
  };
}

export type RecordEncoderStatus = 'installed' | 'too-late' | 'unsupported';
let status: RecordEncoderStatus | undefined;

/** The record module's cache entry; KafkaJS's own encoder is kept on it once replaced. */
type RecordModule = NodeJS.Module & { kafkajsEncoder?: RecordEncoder };

/** KafkaJS's own record encoder, replaced or not (tests compare bytes with it). */
export function kafkajsRecordEncoder(): RecordEncoder {
  const recordPath = require.resolve(RECORD_MODULE);
  const kafkajs = require(recordPath) as RecordEncoder;
  return (require.cache[recordPath] as RecordModule | undefined)?.kafkajsEncoder ?? kafkajs;
}

/** Puts the fast encoder in KafkaJS's place, once per process; says whether it could. */
export function installRecordEncoder(): RecordEncoderStatus {
  if (status !== undefined) return status;
  try {
    const recordPath = require.resolve(RECORD_MODULE);
    const loaded = require.cache[recordPath] as RecordModule | undefined;
    if (loaded?.kafkajsEncoder !== undefined) return (status = 'installed'); // by an earlier copy of this module
    // Its produce encoder already holds KafkaJS's record encoder: leave both alone.
    if (require.cache[require.resolve(PRODUCE_MODULE)] !== undefined) return (status = 'too-late');
    const kafkajs = require(recordPath) as RecordEncoder;
    const Encoder = require(ENCODER_MODULE) as { prototype: object };
    const mod = require.cache[recordPath] as RecordModule | undefined;
    const hasBufferGetter = typeof Object.getOwnPropertyDescriptor(Encoder.prototype, 'buffer')?.get === 'function';
    if (typeof kafkajs !== 'function' || mod === undefined || !hasBufferGetter) return (status = 'unsupported');
    mod.kafkajsEncoder = kafkajs;
    mod.exports = createRecordEncoder(kafkajs, Encoder.prototype);
    return (status = 'installed');
  } catch {
    return (status = 'unsupported');
  }
}
