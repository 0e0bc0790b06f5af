import type { DsRecord } from '../records.js';

const cache = new WeakMap<DsRecord, string>();

/**
 * The record's JSON, computed once and shared by the queue's byte accounting
 * and every sink that writes JSON (file, stdout, Kafka).
 */
export function recordJson(record: DsRecord): string {
  let json = cache.get(record);
  if (json === undefined) {
    json = JSON.stringify(record);
    cache.set(record, json);
  }
  return json;
}

/** Size used for queue bounds: UTF-16 length is close enough to bytes for ASCII-heavy JSON and costs nothing. */
export function recordSize(record: DsRecord): number {
  return recordJson(record).length;
}

/**
 * `lines[from, to)` as NDJSON bytes (UTF-8, a newline after each line), written
 * line by line into one buffer sized for the worst case (3 bytes per UTF-16
 * unit). Measured 4x cheaper than `Buffer.from(lines.join('\n'))` for a batch of
 * 1,000 event records (0.46 vs 1.86 µs per line): one huge string is neither
 * built nor encoded in one piece.
 */
export function ndjsonBytes(lines: readonly string[], from = 0, to = lines.length): Buffer {
  let worst = 0;
  for (let i = from; i < to; i++) worst += (lines[i] as string).length * 3 + 1;
  const buf = Buffer.allocUnsafe(worst);
  let at = 0;
  for (let i = from; i < to; i++) {
    at += buf.write(lines[i] as string, at);
    buf[at++] = 10;
  }
  return buf.subarray(0, at);
}
