import { nullLogger } from '../../../src/log.js';
import type { SinkContext } from '../../../src/pipeline/types.js';
import type { EventRecord, HostInfo } from '../../../src/records.js';
import { SelfMetrics } from '../../../src/telemetry/metrics.js';

export const host: HostInfo = {
  name: 'build-host-01',
  daemon_id: '4f1e6a7c-2b7d-4c1e-9a55-1d2a3b4c5d6e',
  engine: 'docker',
  version: '20.10.24+dfsg1',
  api_version: '1.41',
};

export function sinkContext(): SinkContext {
  return { log: nullLogger(), metrics: new SelfMetrics(), host: () => host };
}

/** A typical container `start` event (~700 bytes of JSON), numbered by `seq`. */
export function eventRecord(seq: number): EventRecord {
  const id = seq.toString(16).padStart(12, '0').repeat(5).slice(0, 64);
  const ns = 1_714_560_000_000_000_000n + BigInt(seq) * 1_000_003n;
  return {
    kind: 'event',
    schema: 1,
    time: '2024-05-01T10:40:00.123456789Z',
    host,
    type: 'container',
    action: 'start',
    action_detail: null,
    actor: {
      id,
      attributes: {
        image: 'registry.example.com/team/api:1.42.7',
        name: `api-${seq}`,
        'com.docker.compose.project': 'shop',
        'com.docker.compose.service': 'api',
        'org.opencontainers.image.revision': 'c0ffee1234567890',
        seq: String(seq),
      },
    },
    scope: 'local',
    time_nano: ns.toString(),
    container: { id, name: `api-${seq}`, image: 'registry.example.com/team/api:1.42.7' },
  };
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
