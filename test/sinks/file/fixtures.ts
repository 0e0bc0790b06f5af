// Numbered ~700-byte container events for the file and stdout suites (rotation
// by size needs many lines of a known order), built with test/harness/records.ts.
import type { EventRecord } from '../../../src/records.js';
import { containerEvent } from '../../harness/records.js';

export { sinkContext } from '../../harness/records.js';

/** A typical container `start` event (~700 bytes of JSON), numbered by `seq`. */
export function eventRecord(seq: number): EventRecord {
  const id = seq.toString(16).padStart(12, '0').repeat(5).slice(0, 64);
  const ns = 1_714_560_000_000_000_000n + BigInt(seq) * 1_000_003n;
  const image = 'registry.example.com/team/api:1.42.7';
  return containerEvent(
    { id, name: `api-${seq}`, image },
    {
      time: '2024-05-01T10:40:00.123456789Z',
      time_nano: ns.toString(),
      actor: {
        id,
        attributes: {
          image,
          name: `api-${seq}`,
          'com.docker.compose.project': 'shop',
          'com.docker.compose.service': 'api',
          'org.opencontainers.image.revision': 'c0ffee1234567890',
          seq: String(seq),
        },
      },
    },
  );
}

export function events(from: number, count: number): EventRecord[] {
  return Array.from({ length: count }, (_, i) => eventRecord(from + i));
}

/** The `seq` numbers of NDJSON text, in line order. */
export function seqsOf(text: string): number[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => Number((JSON.parse(l) as EventRecord).actor.attributes['seq']));
}

export function ndjson(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}
