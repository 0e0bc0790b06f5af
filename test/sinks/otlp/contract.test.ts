// The sink contract (test/sinks/contract.ts) for otlp, over HTTP and gRPC, on
// the OTLP receiver that decodes with the official protobuf schema. Each sink
// sends a header of its own, by which its requests are told apart.
import { describe } from 'vitest';
import type { DsRecord } from '../../../src/records.js';
import { otlpOptions, type OtlpProtocol } from '../../../src/sinks/otlp/options.js';
import { otlpSinkPlugin } from '../../../src/sinks/otlp/plugin.js';
import { rfc3339ToNanos } from '../../../src/util/units.js';
import { flattenLogs, flattenMetrics } from '../../harness/otlp-decoded.js';
import { OtlpReceiver } from '../../harness/otlp-receiver.js';
import { freePort } from '../../harness/prometheus.js';
import {
  alertRecord,
  containerEvent,
  DB,
  diskUsageRecord,
  eventRecord,
  gapRecord,
  inventoryRecord,
  nanosAfter,
  sinkContext,
  statsRecord,
  WEB,
} from '../../harness/records.js';
import { startSilentPeer } from '../../harness/silent-peer.js';
import { byJson, receivedAtLeast, sinkContract } from '../contract.js';

/** The part of the OTLP mapping the contract checks: each log record's name and time, and one metric per record. */
function expected(batch: readonly DsRecord[]): unknown[] {
  const logs: unknown[] = [];
  const points: unknown[] = [];
  for (const r of batch) {
    if (r.kind === 'event') logs.push({ log: `docker.${r.type}.${r.action}`, time: r.time_nano });
    else if (r.kind === 'stats') points.push({ metric: 'container.memory.usage.total', container: r.container.id, value: String(r.memory.usage_bytes) });
    else if (r.kind === 'disk_usage') {
      for (const [type, entry] of Object.entries(r.types)) points.push({ metric: 'docker.disk.size', type, value: String(entry.size_bytes) });
    } else logs.push({ log: `dockstream.${r.kind}`, time: rfc3339ToNanos(r.time) });
  }
  return [...logs, ...points.sort(byJson)];
}

describe.each(['http/protobuf', 'grpc'] as OtlpProtocol[])('over %s', (protocol) => {
  let receiver: OtlpReceiver | undefined;
  let n = 0;
  const otlpSink = (endpoint: string, tag: string) =>
    otlpSinkPlugin.create('otlp', otlpOptions.parse({ protocol, endpoint, timeout: '5s', headers: { 'x-contract': tag } }), sinkContext());

  /** What the receiver accepted from the sink tagged `tag`, in the form `expected` gives. */
  function received(tag: string): unknown[] {
    const mine = (receiver?.requests ?? []).filter((r) => r.accepted && r.headers['x-contract'] === tag);
    const logs = mine.filter((r) => r.signal === 'logs').flatMap((r) => flattenLogs(r.decoded ?? {}, r.transport));
    const points = mine.filter((r) => r.signal === 'metrics').flatMap((r) => flattenMetrics(r.decoded ?? {}, r.transport));
    return [
      ...logs.map((l) => ({ log: l.attributes['event.name'], time: l.timeUnixNano })),
      ...points
        .filter((p) => p.name === 'container.memory.usage.total' || p.name === 'docker.disk.size')
        .map((p) =>
          p.name === 'docker.disk.size'
            ? { metric: p.name, type: p.attributes['docker.disk.object_type'], value: p.value }
            : { metric: p.name, container: p.resource['container.id'], value: p.value },
        )
        .sort(byJson),
    ];
  }

  sinkContract(`otlp (${protocol})`, {
    setup: async () => {
      receiver = await OtlpReceiver.start();
    },
    teardown: async () => receiver?.close(),
    create: async () => {
      const r = receiver as OtlpReceiver;
      const tag = `c${n++}`;
      return {
        sink: otlpSink(protocol === 'grpc' ? r.grpcUrl : r.httpUrl, tag),
        received: (atLeast) => receivedAtLeast(() => received(tag), atLeast, 50),
      };
    },
    batch: (): DsRecord[] => [
      containerEvent(WEB, { action: 'create' }),
      containerEvent(WEB, { action: 'start', time_nano: nanosAfter(1) }),
      eventRecord({ type: 'volume', action: 'mount', time_nano: nanosAfter(2), actor: { id: 'pgdata', attributes: {} } }),
      statsRecord({ container: WEB }),
      statsRecord({ container: DB }),
      diskUsageRecord(),
      gapRecord(),
      alertRecord(),
      inventoryRecord(),
    ],
    expected,
    checkLine: new RegExp(`^otlp logs ${protocol} .*127\\.0\\.0\\.1:\\d+.*: empty export accepted$`),
    unsendable: { record: () => ({ ...eventRecord(), time_nano: '1.8e18' }), reason: /time_nano is not a decimal nanosecond count/ },
    held: async () => {
      // A collector that accepts the connection and never answers.
      const peer = await startSilentPeer();
      return { sink: otlpSink(`http://${peer.address}`, 'held'), batch: [eventRecord()], reached: peer.reached, release: peer.close };
    },
    unreachable: async () => otlpSink(`http://127.0.0.1:${await freePort()}`, 'nowhere'),
  });
});
