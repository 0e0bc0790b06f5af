/**
 * Stats, disk usage and container state records → ResourceMetrics, built directly from the
 * records (forwarding of data measured elsewhere: no MeterProvider, no SDK
 * aggregation, design gotcha 10). One ResourceMetrics per resource.
 */
import { ValueType, type HrTime } from '@opentelemetry/api';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import { AggregationTemporality, DataPointType, type DataPoint, type MetricData, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { assertNever, type ContainerStateRecord, type DiskUsageRecord, type StatsRecord } from '../../records.js';
import { containerStatePoints, diskPoints, statsPoints, type MetricSpec, type Point } from './catalog.js';
import type { ResourceCatalog } from './resource.js';
import { rfc3339ToHrTime } from './time.js';

export type MetricRecordSource = StatsRecord | DiskUsageRecord | ContainerStateRecord;

function pointsOf(record: MetricRecordSource): Point[] {
  switch (record.kind) {
    case 'stats':
      return statsPoints(record);
    case 'disk_usage':
      return diskPoints(record);
    case 'container_state':
      return containerStatePoints(record);
    default:
      return assertNever(record);
  }
}

interface SeriesStart {
  start: HrTime;
  lastCpuTotal: number;
  lastSeenMs: number;
}

/** Series not seen for this long are forgotten (a container that came back gets a new start time). */
const FORGET_AFTER_MS = 60 * 60 * 1000;
const SWEEP_EVERY_MS = 60 * 1000;

/**
 * Start times of cumulative series: the first sample of a container (or of a
 * daemon's disk usage) this sink saw, renewed when the container's counters
 * went backwards (a restarted container gets fresh cgroup counters).
 */
export class SeriesStarts {
  private readonly series = new Map<string, SeriesStart>();
  private lastSweepMs = 0;

  constructor(private readonly now: () => number = Date.now) {}

  startOf(record: MetricRecordSource, time: HrTime): HrTime {
    // Container states count restarts from their own start: a stats series' CPU reset must not reset them.
    const key =
      record.kind === 'stats' ? `c:${record.container.id}` : record.kind === 'container_state' ? `s:${record.container.id}` : `d:${record.host.daemon_id}`;
    const cpuTotal = record.kind === 'stats' ? record.cpu.total_ns : 0;
    const nowMs = this.now();
    this.sweep(nowMs);
    const known = this.series.get(key);
    if (known === undefined || cpuTotal < known.lastCpuTotal) {
      this.series.set(key, { start: time, lastCpuTotal: cpuTotal, lastSeenMs: nowMs });
      return time;
    }
    known.lastCpuTotal = cpuTotal;
    known.lastSeenMs = nowMs;
    return known.start;
  }

  /** A destroyed container's series end with it. */
  forgetContainer(id: string): void {
    this.series.delete(`c:${id}`);
    this.series.delete(`s:${id}`);
  }

  get size(): number {
    return this.series.size;
  }

  private sweep(nowMs: number): void {
    if (nowMs - this.lastSweepMs < SWEEP_EVERY_MS) return;
    this.lastSweepMs = nowMs;
    for (const [key, s] of this.series) if (nowMs - s.lastSeenMs > FORGET_AFTER_MS) this.series.delete(key);
  }
}

function toMetricData(spec: MetricSpec, dataPoints: DataPoint<number>[]): MetricData {
  const descriptor = {
    name: spec.name,
    description: spec.description,
    unit: spec.unit,
    valueType: spec.valueType === 'int' ? ValueType.INT : ValueType.DOUBLE,
  };
  if (spec.kind === 'gauge') {
    return { descriptor, aggregationTemporality: AggregationTemporality.CUMULATIVE, dataPointType: DataPointType.GAUGE, dataPoints };
  }
  return {
    descriptor,
    aggregationTemporality: AggregationTemporality.CUMULATIVE,
    dataPointType: DataPointType.SUM,
    isMonotonic: spec.kind === 'counter',
    dataPoints,
  };
}

/** Group the data points of a batch by resource, then by metric name (several samples → several points). */
export function toResourceMetrics(
  records: readonly MetricRecordSource[],
  resources: ResourceCatalog,
  scope: InstrumentationScope,
  starts: SeriesStarts,
): ResourceMetrics[] {
  const byResource = new Map<Resource, Map<string, { spec: MetricSpec; points: DataPoint<number>[] }>>();
  for (const record of records) {
    const time = rfc3339ToHrTime(record.time);
    const start = starts.startOf(record, time);
    const resource = resources.forRecord(record);
    let metrics = byResource.get(resource);
    if (metrics === undefined) byResource.set(resource, (metrics = new Map<string, { spec: MetricSpec; points: DataPoint<number>[] }>()));
    for (const p of pointsOf(record)) {
      let metric = metrics.get(p.spec.name);
      if (metric === undefined) metrics.set(p.spec.name, (metric = { spec: p.spec, points: [] }));
      metric.points.push({
        // Gauges have no meaningful start; cumulative sums count from the series start.
        startTime: p.spec.kind === 'gauge' ? time : start,
        endTime: time,
        attributes: p.attributes,
        value: p.spec.valueType === 'int' ? Math.trunc(p.value) : p.value,
      });
    }
  }
  return [...byResource].map(([resource, metrics]) => ({
    resource,
    scopeMetrics: [{ scope, metrics: [...metrics.values()].map((m) => toMetricData(m.spec, m.points)) }],
  }));
}
