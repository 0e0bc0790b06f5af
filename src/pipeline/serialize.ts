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
