import type { DsRecord } from '../../records.js';

/**
 * The text for one batch: NDJSON (one `JSON.stringify(record)` per line), or
 * indented JSON for humans when `pretty` (then one record spans several lines).
 */
export function formatLines(batch: readonly DsRecord[], pretty: boolean): string {
  let text = '';
  for (const record of batch) text += (pretty ? JSON.stringify(record, null, 2) : JSON.stringify(record)) + '\n';
  return text;
}
