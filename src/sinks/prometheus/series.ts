/**
 * Records → Prometheus samples, shared by the `prometheus_exporter` and
 * `prometheus_remote_write` sinks. Names and values come from the OTLP
 * sink's catalog (one source of names) translated by names.ts; labels are
 * the promoted resource attributes (host, container, configured container
 * labels, static labels) plus the data point's own attributes.
 */
import { z } from 'zod';
import { assertNever, type AlertRecord, type DsRecord, type RecordKind } from '../../records.js';
import { VERSION } from '../../version.js';
import { labelAttributes, resourceAttributes, type ResourceSettings } from '../otlp/attributes.js';
import { CONTAINER_METRICS, containerStatePoints, DISK_METRICS, diskPoints, STATS_METRICS, statsPoints, type MetricSpec, type Point } from '../otlp/catalog.js';
import { promLabelName, promMetricName, promType } from './names.js';

/** The kinds that become series (events as a counter per type and action); gaps and inventories do not. */
export const SERIES_KINDS: readonly RecordKind[] = ['event', 'stats', 'disk_usage', 'alert', 'container_state'];

/** Options both Prometheus sinks take (spread into their zod objects). */
export const labelOptions = {
  /** Container labels copied to labels: a list (label `container_label_<key>`) or label → attribute name. */
  container_labels: z.union([z.array(z.string()), z.record(z.string(), z.string())]).optional(),
  /** Static labels on every series (after name translation), e.g. `env: prod`. */
  labels: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a Prometheus label name'), z.string()).optional(),
};

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
}

export interface Sample {
  readonly family: Family;
  /** Label name → value, without `__name__`. */
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
  /** The record's time, ms since epoch. */
  readonly timeMs: number;
  /** The container the series belongs to, if any (its series end when it is destroyed). */
  readonly containerId: string | undefined;
  /** An increment of a counter the sink keeps (events), not an absolute value. */
  readonly delta?: true;
}

/** The agent's own threshold alerts (docker-df `rules`): 1 while firing, 0 once resolved. */
export const ALERT_METRIC: MetricSpec = {
  name: 'dockstream.alert.firing',
  unit: '',
  kind: 'gauge',
  valueType: 'int',
  description: 'Disk threshold alert of the agent (docker-df rules): 1 firing, 0 resolved.',
};

/** Daemon events by type and action, counted by the sink since it started (for rates). */
export const EVENTS_METRIC: MetricSpec = {
  name: 'docker.events',
  unit: '{event}',
  kind: 'counter',
  valueType: 'int',
  description: 'Docker daemon events received, by type and action (counted by the sink since the agent started).',
};

function familyOf(spec: MetricSpec): Family {
  return { name: promMetricName(spec), help: spec.description, type: promType(spec.kind) };
}

/** Every family the sinks can produce, in catalog order. */
export const FAMILIES: ReadonlyMap<string, Family> = new Map(
  [...Object.values(STATS_METRICS), ...Object.values(DISK_METRICS), ...Object.values(CONTAINER_METRICS), ALERT_METRIC, EVENTS_METRIC].map((s) => [
    s.name,
    familyOf(s),
  ]),
);

/** The Prometheus family names of catalog specs, as FAMILIES holds them (what samples, and so the stores, carry). */
export function familyNames(specs: readonly MetricSpec[]): ReadonlySet<string> {
  return new Set(specs.map((s) => (FAMILIES.get(s.name) as Family).name));
}

/** Resource attributes that become labels (the rest: job/instance or target info territory). */
const PROMOTED = [
  'host.name',
  'dockstream.daemon.name',
  'container.id',
  'container.name',
  'container.image.name',
  'docker.compose.project',
  'docker.compose.service',
  'docker.swarm.service.name',
];

export class SeriesMapper {
  private readonly settings: ResourceSettings;
  private readonly promoted: readonly string[];
  private readonly staticLabels: Readonly<Record<string, string>>;

  constructor(options: {
    container_labels?: readonly string[] | Readonly<Record<string, string>> | undefined;
    labels?: Readonly<Record<string, string>> | undefined;
  }) {
    const containerLabels = labelAttributes(options.container_labels);
    this.settings = { serviceVersion: VERSION, containerLabels, extra: {} };
    this.promoted = [...PROMOTED, ...Object.values(containerLabels)];
    this.staticLabels = options.labels ?? {};
  }

  /** Samples of one record (none for kinds that are not series: events, gaps, inventories). */
  samples(record: DsRecord): Sample[] {
    switch (record.kind) {
      case 'stats':
        return this.fromPoints(record, statsPoints(record), record.container.id);
      case 'container_state':
        return this.fromPoints(record, containerStatePoints(record), record.container.id);
      case 'disk_usage':
        return this.fromPoints(record, diskPoints(record), undefined);
      case 'alert':
        return [this.alertSample(record)];
      case 'event': {
        const labels = { ...this.baseLabels(record), type: record.type, action: record.action };
        const family = FAMILIES.get(EVENTS_METRIC.name) as Family;
        return [{ family, labels, value: 1, timeMs: Date.parse(record.time), containerId: undefined, delta: true }];
      }
      case 'gap':
      case 'inventory':
        return [];
      default:
        return assertNever(record);
    }
  }

  private baseLabels(record: DsRecord): Record<string, string> {
    // Series about one container carry its labels (id, name, image, Compose / Swarm); event counts do not.
    const container = record.kind === 'stats' || record.kind === 'container_state' ? record.container : undefined;
    const attrs = resourceAttributes(this.settings, record.host, container);
    const labels: Record<string, string> = { ...this.staticLabels };
    for (const key of this.promoted) {
      const value = attrs[key];
      if (value !== undefined && value !== '') labels[promLabelName(key)] = value;
    }
    return labels;
  }

  private fromPoints(record: DsRecord, points: readonly Point[], containerId: string | undefined): Sample[] {
    const base = this.baseLabels(record);
    const timeMs = Date.parse(record.time);
    return points.map((p) => {
      const labels = { ...base };
      for (const [k, v] of Object.entries(p.attributes)) labels[promLabelName(k)] = String(v);
      return { family: FAMILIES.get(p.spec.name) as Family, labels, value: p.value, timeMs, containerId };
    });
  }

  private alertSample(record: AlertRecord): Sample {
    const labels = { ...this.baseLabels(record), rule: record.rule, object: record.object, metric: record.metric };
    const family = FAMILIES.get(ALERT_METRIC.name) as Family;
    return { family, labels, value: record.state === 'firing' ? 1 : 0, timeMs: Date.parse(record.time), containerId: undefined };
  }
}

/**
 * Running totals of delta samples (event counts) for a sink that sends
 * absolute values: `totals` gives the cumulative samples of a batch without
 * keeping them; `commit` keeps them once the batch was accepted (a retried
 * batch is not counted twice).
 */
export class DeltaTotals {
  private readonly committed = new Map<string, number>();

  totals(samples: readonly Sample[]): { samples: Sample[]; commit: () => void } {
    const running = new Map<string, number>();
    const out = samples.map((s) => {
      if (!s.delta) return s;
      const key = seriesKey(s.family.name, s.labels);
      const total = (running.get(key) ?? this.committed.get(key) ?? 0) + s.value;
      running.set(key, total);
      return { family: s.family, labels: s.labels, value: total, timeMs: s.timeMs, containerId: s.containerId };
    });
    return { samples: out, commit: () => running.forEach((v, k) => this.committed.set(k, v)) };
  }
}

/**
 * The key of a series: family and labels in their insertion order, which
 * SeriesMapper keeps fixed (promoted attributes, then point attributes).
 */
export function seriesKey(family: string, labels: Readonly<Record<string, string>>): string {
  let key = family;
  for (const name in labels) key += `\u0000${name}\u0001${labels[name]}`;
  return key;
}
