/**
 * Kafka's wire primitives as the produce request encoder writes them:
 * zigzag varints and varlongs, nullable byte fields, and the finished buffer
 * handed back as a KafkaJS Encoder. Each `write*` returns the next offset.
 */
import type { EncoderLike } from './produce-types.js';

export function sizeOfVarInt(value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  let bytes = 1;
  while (v >= 0x80) {
    bytes++;
    v >>>= 7;
  }
  return bytes;
}

export function sizeOfVarLong(value: number): number {
  let v = value >= 0 ? value * 2 : -value * 2 - 1;
  let bytes = 1;
  while (v >= 0x80) {
    bytes++;
    v = Math.floor(v / 128);
  }
  return bytes;
}

export function writeVarInt(buf: Buffer, offset: number, value: number): number {
  let v = ((value << 1) ^ (value >> 31)) >>> 0;
  while (v >= 0x80) {
    buf[offset++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[offset++] = v;
  return offset;
}

export function writeVarLong(buf: Buffer, offset: number, value: number): number {
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
export function utf8Length(s: string): number {
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
export function bytesLength(value: unknown): number | undefined {
  if (value === null || value === undefined) return -1;
  if (typeof value === 'string') return utf8Length(value);
  if (Buffer.isBuffer(value)) return value.length;
  return undefined;
}

export function writeBytes(buf: Buffer, offset: number, value: unknown, length: number): number {
  offset = writeVarInt(buf, offset, length);
  if (length <= 0) return offset;
  if (typeof value === 'string') return writeString(buf, offset, value, length);
  (value as Buffer).copy(buf, offset);
  return offset + length;
}

/** `buf[0, offset)` as a real KafkaJS Encoder (its prototype), without the 512-byte buffer its constructor allocates. */
export function asEncoder(encoderProto: object, buf: Buffer, offset: number): EncoderLike {
  const encoder = Object.create(encoderProto) as EncoderLike;
  encoder.buf = buf;
  encoder.offset = offset;
  return encoder;
}
