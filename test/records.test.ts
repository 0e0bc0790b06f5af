import { describe, expect, it } from 'vitest';
import { gapRecord } from '../src/records.js';
import { HOST } from './pipeline/fixtures.js';

describe('gapRecord', () => {
  it('builds the envelope and keeps one field order (dropped only when counted)', () => {
    const sinkGap = gapRecord({
      host: HOST,
      from: '2027-01-15T08:00:00.000000000Z',
      to: '2027-01-15T08:00:05.000000000Z',
      reason: 'queue_full',
      component: 'sink:out',
      dropped: 3,
      detail: 'the sink queue was full; records were dropped',
    });
    expect(JSON.stringify(sinkGap)).toBe(
      `{"kind":"gap","schema":1,"time":"2027-01-15T08:00:05.000000000Z","host":${JSON.stringify(HOST)},` +
        '"from":"2027-01-15T08:00:00.000000000Z","to":"2027-01-15T08:00:05.000000000Z","reason":"queue_full","component":"sink:out","dropped":3,"detail":"the sink queue was full; records were dropped"}',
    );
    const sourceGap = gapRecord({
      host: HOST,
      from: null,
      to: '2027-01-15T08:00:05.000000000Z',
      reason: 'daemon_restarted',
      component: 'source:events',
      detail: 'restarted',
    });
    expect(Object.keys(sourceGap)).toEqual(['kind', 'schema', 'time', 'host', 'from', 'to', 'reason', 'component', 'detail']);
  });
});
