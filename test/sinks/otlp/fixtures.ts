// The OTLP suites' event sequence, built with the shared record builders (test/harness/records.ts).
import type { EventRecord } from '../../../src/records.js';
import { eventRecord, nanosAfter, DB, WEB } from '../../harness/records.js';

/** A small container lifecycle plus image/volume/system events, with exact and adjacent nanoseconds. */
export function events(): EventRecord[] {
  const ns = (offset: number) => nanosAfter(offset);
  const web = { id: WEB.id, attributes: { image: WEB.image, name: WEB.name, 'com.docker.compose.service': 'web' } };
  return [
    eventRecord({ type: 'container', action: 'create', time_nano: ns(0), actor: web, container: WEB }),
    eventRecord({ type: 'container', action: 'start', time_nano: ns(1), actor: web, container: WEB }),
    eventRecord({ type: 'container', action: 'exec_start', action_detail: 'sh -c echo hi', time_nano: ns(999_999_999), actor: web, container: WEB }),
    eventRecord({ type: 'container', action: 'health_status', action_detail: 'unhealthy', time_nano: ns(1_000_000_000), actor: web, container: WEB }),
    eventRecord({
      type: 'container',
      action: 'kill',
      time_nano: ns(2_000_000_123),
      actor: { id: WEB.id, attributes: { ...web.attributes, signal: '15' } },
      container: WEB,
    }),
    eventRecord({
      type: 'container',
      action: 'die',
      time_nano: ns(2_000_000_124),
      actor: { id: WEB.id, attributes: { ...web.attributes, exitCode: '137' } },
      container: WEB,
    }),
    eventRecord({ type: 'container', action: 'destroy', time_nano: ns(3_000_000_000), actor: web, container: WEB }),
    eventRecord({
      type: 'image',
      action: 'prune',
      time_nano: ns(4_000_000_001),
      actor: { id: '', attributes: { reclaimed: '1048576' } },
      reclaimed_bytes: 1048576,
    }),
    eventRecord({
      type: 'volume',
      action: 'mount',
      time_nano: ns(4_000_000_002),
      actor: { id: 'pgdata', attributes: { container: DB.id, destination: '/var/lib/pg', driver: 'local' } },
    }),
  ];
}
