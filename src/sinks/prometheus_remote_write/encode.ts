/**
 * Remote write 1.0 request body: a `prometheus.WriteRequest` protobuf
 * (prometheus/prompb/remote.proto and types.proto, the fields a sender
 * sets), snappy block-compressed. protobufjs encodes from the reflected
 * schema below; snappyjs compresses (pure JS, no native build).
 */
import protobuf from 'protobufjs';
import { compress } from 'snappyjs';
import { seriesKey, type Sample } from '../prometheus/series.js';

const root = protobuf.Root.fromJSON({
  nested: {
    prometheus: {
      nested: {
        WriteRequest: { fields: { timeseries: { rule: 'repeated', type: 'TimeSeries', id: 1 } } },
        TimeSeries: {
          fields: {
            labels: { rule: 'repeated', type: 'Label', id: 1 },
            samples: { rule: 'repeated', type: 'Sample', id: 2 },
          },
        },
        Label: { fields: { name: { type: 'string', id: 1 }, value: { type: 'string', id: 2 } } },
        Sample: { fields: { value: { type: 'double', id: 1 }, timestamp: { type: 'int64', id: 2 } } },
      },
    },
  },
});
export const WriteRequest = root.lookupType('prometheus.WriteRequest');

export interface TimeSeries {
  readonly labels: { name: string; value: string }[];
  readonly samples: { value: number; timestamp: number }[];
}

/**
 * Samples → time series: one per label set, labels sorted by name with
 * `__name__` (the receiver requires sorted labels), samples oldest first
 * (it refuses out-of-order samples within a series), one per millisecond.
 */
export function toTimeSeries(samples: readonly Sample[]): TimeSeries[] {
  const bySeries = new Map<string, TimeSeries>();
  for (const s of samples) {
    const key = seriesKey(s.family.name, s.labels);
    let ts = bySeries.get(key);
    if (ts === undefined) {
      const labels = Object.entries({ ...s.labels, __name__: s.family.name })
        .map(([name, value]) => ({ name, value }))
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
      bySeries.set(key, (ts = { labels, samples: [] }));
    }
    ts.samples.push({ value: s.value, timestamp: s.timeMs });
  }
  return [...bySeries.values()].map((ts) => ({ labels: ts.labels, samples: lastPerTimestamp(ts.samples) }));
}

/**
 * Oldest first, one sample per millisecond: the receiver refuses a second
 * value at the same timestamp (two events of one type and action within a
 * millisecond); the later one, the higher running total, is kept.
 */
function lastPerTimestamp(samples: readonly { value: number; timestamp: number }[]): { value: number; timestamp: number }[] {
  const sorted = [...samples].sort((a, b) => a.timestamp - b.timestamp); // stable: arrival order within a millisecond
  return sorted.filter((s, i) => sorted[i + 1]?.timestamp !== s.timestamp);
}

export function encodeWriteRequest(timeseries: readonly TimeSeries[]): Uint8Array {
  // Plain objects of the message's shape encode as they are (no fromObject copy).
  const bytes = WriteRequest.encode({ timeseries }).finish();
  return compress(bytes);
}
