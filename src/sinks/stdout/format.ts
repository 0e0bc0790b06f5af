import { ndjsonBytes, recordJson } from '../../pipeline/serialize.js';
import type { DsRecord } from '../../records.js';

/**
 * The bytes for one batch: NDJSON (one record's JSON per line, the cached text
 * the queue already computed for its byte bound), or indented JSON for humans
 * when `pretty` (then one record spans several lines).
 */
export function formatLines(batch: readonly DsRecord[], pretty: boolean): Buffer {
  return ndjsonBytes(batch.map((record) => (pretty ? JSON.stringify(record, null, 2) : recordJson(record))));
}
