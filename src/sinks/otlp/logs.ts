/**
 * Records that are occurrences, not measurements (events, alerts, gaps,
 * inventories) become OTLP log records: `eventName` (and the `event.name`
 * attribute, for pipelines older than OTLP 1.5) names what happened, the
 * attributes carry what one filters on, the body carries the whole record.
 */
import type { HrTime } from '@opentelemetry/api';
import { SeverityNumber, type AnyValue, type AnyValueMap, type LogAttributes } from '@opentelemetry/api-logs';
import type { InstrumentationScope } from '@opentelemetry/core';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { AlertRecord, EventRecord, GapRecord, InventoryRecord } from '../../records.js';
import type { ResourceCatalog } from './resource.js';
import { nanosToHrTime, rfc3339ToHrTime } from './time.js';

export type LogRecordSource = EventRecord | AlertRecord | GapRecord | InventoryRecord;

const SEVERITY_TEXT: Partial<Record<SeverityNumber, string>> = {
  [SeverityNumber.INFO]: 'INFO',
  [SeverityNumber.WARN]: 'WARN',
  [SeverityNumber.ERROR]: 'ERROR',
};

/** `docker.<type>.<action>`, e.g. `docker.container.die`, `docker.container.health_status`. */
export function eventName(record: EventRecord): string {
  return `docker.${record.type}.${record.action}`;
}

/** Plain JSON-like value without nulls/undefined (OTLP AnyValue has no null). */
export function toAnyValue(value: unknown): AnyValue | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(toAnyValue).filter((v) => v !== undefined);
  if (typeof value === 'object') {
    const out: AnyValueMap = {};
    for (const [k, v] of Object.entries(value)) {
      const converted = toAnyValue(v);
      if (converted !== undefined) out[k] = converted;
    }
    return out;
  }
  return String(value);
}

function intOrUndefined(text: string | undefined): number | undefined {
  if (text === undefined || !/^-?\d+$/.test(text)) return undefined;
  return Number(text);
}

function eventSeverity(r: EventRecord): SeverityNumber {
  if (r.action === 'oom') return SeverityNumber.ERROR;
  if (r.action === 'die' && r.actor.attributes['exitCode'] !== undefined && r.actor.attributes['exitCode'] !== '0') {
    return SeverityNumber.WARN;
  }
  if (r.action === 'health_status' && r.action_detail === 'unhealthy') return SeverityNumber.WARN;
  return SeverityNumber.INFO;
}

function eventAttributes(r: EventRecord): LogAttributes {
  const a: Record<string, AnyValue> = {
    'event.name': eventName(r),
    'docker.event.type': r.type,
    'docker.event.action': r.action,
    'docker.event.actor.id': r.actor.id,
    'docker.event.time_nano': r.time_nano,
  };
  if (r.action_detail !== null) a['docker.event.action_detail'] = r.action_detail;
  if (r.scope !== null) a['docker.event.scope'] = r.scope;
  for (const [key, value] of Object.entries(r.actor.attributes)) a[`docker.event.actor.attributes.${key}`] = value;
  const exitCode = intOrUndefined(r.actor.attributes['exitCode']);
  if (exitCode !== undefined) a['docker.event.exit_code'] = exitCode;
  const signal = intOrUndefined(r.actor.attributes['signal']);
  if (signal !== undefined) a['docker.event.signal'] = signal;
  if (r.reclaimed_bytes !== undefined) a['docker.event.reclaimed_bytes'] = r.reclaimed_bytes;
  if (r.normalized_from) a['docker.event.original_action'] = r.normalized_from.action;
  return a;
}

function withoutUndefined(attrs: Record<string, AnyValue | undefined>): LogAttributes {
  const out: Record<string, AnyValue> = {};
  for (const [k, v] of Object.entries(attrs)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

interface Mapped {
  readonly time: HrTime;
  readonly name: string;
  readonly severity: SeverityNumber;
  readonly attributes: LogAttributes;
}

function describe(r: LogRecordSource): Mapped {
  switch (r.kind) {
    case 'event':
      return { time: nanosToHrTime(r.time_nano), name: eventName(r), severity: eventSeverity(r), attributes: eventAttributes(r) };
    case 'alert':
      return {
        time: rfc3339ToHrTime(r.time),
        name: 'dockstream.alert',
        severity: r.state === 'firing' ? SeverityNumber.WARN : SeverityNumber.INFO,
        attributes: withoutUndefined({
          'event.name': 'dockstream.alert',
          'dockstream.alert.state': r.state,
          'dockstream.alert.rule': r.rule,
          'docker.disk.object_type': r.object,
          'dockstream.alert.metric': r.metric,
          'dockstream.alert.value': r.value,
          'dockstream.alert.threshold': r.threshold,
        }),
      };
    case 'gap':
      return {
        time: rfc3339ToHrTime(r.time),
        name: 'dockstream.gap',
        severity: SeverityNumber.WARN,
        attributes: withoutUndefined({
          'event.name': 'dockstream.gap',
          'dockstream.gap.reason': r.reason,
          'dockstream.gap.component': r.component,
          'dockstream.gap.from': r.from ?? undefined,
          'dockstream.gap.to': r.to,
          'dockstream.gap.dropped': r.dropped,
          'dockstream.gap.detail': r.detail,
        }),
      };
    case 'inventory':
      return {
        time: rfc3339ToHrTime(r.time),
        name: 'dockstream.inventory',
        severity: SeverityNumber.INFO,
        attributes: {
          'event.name': 'dockstream.inventory',
          'dockstream.inventory.reason': r.reason,
          'dockstream.inventory.containers': r.containers.length,
        },
      };
  }
}

/** One ReadableLogRecord per record, as the OTLP log exporters take them. */
export function toLogRecord(record: LogRecordSource, resources: ResourceCatalog, scope: InstrumentationScope, observed: HrTime): ReadableLogRecord {
  const m = describe(record);
  return {
    hrTime: m.time,
    hrTimeObserved: observed,
    severityNumber: m.severity,
    severityText: SEVERITY_TEXT[m.severity] ?? 'INFO',
    eventName: m.name,
    body: toAnyValue(record),
    resource: resources.forRecord(record),
    instrumentationScope: scope,
    attributes: m.attributes,
    droppedAttributesCount: 0,
  };
}
