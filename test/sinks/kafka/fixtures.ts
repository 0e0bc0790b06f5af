/**
 * Numbered records for the Kafka suites and benchmarks (ordering, partitions,
 * request splitting), built with the shared builders of test/harness/records.ts:
 * record `seq` is one millisecond after record `seq - 1`.
 */
import type { ContainerRef, DiskUsageRecord, EventRecord, StatsRecord } from '../../../src/records.js';
import { containerEvent, diskUsageRecord as diskUsage, eventRecord as event, nanosAfter, rfc3339, statsRecord as stats } from '../../harness/records.js';

export { containerRef, HOST } from '../../harness/records.js';

const BASE_NS = '1714557600123456789';
const timeNano = (seq: number): string => nanosAfter(BigInt(seq) * 1_000_000n, BASE_NS);

/** A container event carrying its `seq` as an attribute. */
export function eventRecord(seq: number, container: ContainerRef, action = 'start'): EventRecord {
  const attributes = { image: container.image, name: container.name, seq: String(seq) };
  return containerEvent(container, { action, time_nano: timeNano(seq), actor: { id: container.id, attributes } });
}

/** An event without a container (keyed by host). */
export function volumeEvent(seq: number): EventRecord {
  return event({ type: 'volume', action: 'create', time_nano: timeNano(seq), actor: { id: `vol-${seq}`, attributes: { driver: 'local' } } });
}

export function statsRecord(seq: number, container: ContainerRef): StatsRecord {
  return stats({ time: rfc3339(timeNano(seq)), container, cpuTotal: 1_234_567_890 + seq });
}

export function diskUsageRecord(seq: number): DiskUsageRecord {
  return diskUsage({ time: rfc3339(timeNano(seq)) });
}
