import { describe, expect, it } from 'vitest';
import { ndjsonBytes, recordJson, recordSize } from '../../src/pipeline/serialize.js';
import type { DsRecord } from '../../src/records.js';

describe('record serialisation', () => {
  it('caches one JSON text per record', () => {
    const r = { kind: 'gap', schema: 1, time: 't', host: { name: 'h' }, from: null, to: 't', reason: 'queue_full' } as unknown as DsRecord;
    expect(recordJson(r)).toBe(JSON.stringify(r));
    expect(recordJson(r)).toBe(recordJson(r));
    expect(recordSize(r)).toBe(JSON.stringify(r).length);
  });

  it('encodes lines as UTF-8 NDJSON, multi-byte and astral characters included', () => {
    const lines = ['{"a":"plain"}', '{"b":"café ☕ 𝄞 — ü"}', '', '{"c":"\\u003e"}'];
    const bytes = ndjsonBytes(lines);
    expect(bytes.toString('utf8')).toBe(lines.join('\n') + '\n');
    expect(bytes.length).toBe(Buffer.byteLength(lines.join('\n') + '\n'));
    expect(ndjsonBytes(lines, 1, 2).toString('utf8')).toBe('{"b":"café ☕ 𝄞 — ü"}\n');
    expect(ndjsonBytes(lines, 2, 2).length).toBe(0);
  });
});
