import { containerRef } from '../../docker/containers.js';
import { DsError } from '../../errors.js';
import type { ContainerRef, Engine, EventRecord, HostInfo } from '../../records.js';
import { RECORD_SCHEMA_VERSION } from '../../records.js';
import type { MalformedReason } from '../../telemetry/metrics.js';
import { nanosToRfc3339 } from '../../util/units.js';

/** The daemon's event JSON (API 1.24+; legacy status/id/from ignored). */
export interface RawEvent {
  readonly Type?: unknown;
  readonly Action?: unknown;
  readonly Actor?: { readonly ID?: unknown; readonly Attributes?: unknown };
  readonly scope?: unknown;
  readonly time?: unknown;
  readonly timeNano?: unknown;
  readonly status?: unknown;
  readonly id?: unknown;
  /** Podman: the health state of a `health_status` event (Docker puts it in the action suffix). */
  readonly HealthStatus?: unknown;
}

export class MalformedEventError extends DsError {
  readonly reason: MalformedReason;
  constructor(reason: MalformedReason) {
    super('DOCKER_MALFORMED', `malformed event: ${reason}`, { details: { reason } });
    this.name = 'MalformedEventError';
    this.reason = reason;
  }
}

/** Podman speaks the Docker API with its own action names; map them to Docker's. */
const PODMAN_ACTIONS: Readonly<Record<string, string>> = {
  died: 'die',
  remove: 'destroy',
  exec: 'exec_start',
  exec_died: 'exec_die',
};

/** Docker's name for a Podman action; images are `delete`d, everything else `destroy`ed. */
function podmanAction(type: string, action: string): string | undefined {
  return type === 'image' && action === 'remove' ? 'delete' : PODMAN_ACTIONS[action];
}

const TIME_NANO_KEY = '"timeNano":';

/**
 * The exact decimal digits of the top-level `timeNano` (design gotcha 3:
 * JSON.parse rounds ~1.8e18). Attribute values are JSON strings, in which a
 * quote is always escaped, so an unescaped `"timeNano":<digits>` can only be
 * a key; the last one is the envelope's (dockerd writes it last). Searched
 * from the end of the line: one short scan instead of a regex over the whole
 * line (this runs for every event).
 */
export function extractTimeNano(line: string): string | null {
  for (let at = line.lastIndexOf(TIME_NANO_KEY); at !== -1; at = at === 0 ? -1 : line.lastIndexOf(TIME_NANO_KEY, at - 1)) {
    let i = at + TIME_NANO_KEY.length;
    let c = line.charCodeAt(i);
    while (c === 32 || c === 9 || c === 10 || c === 13) c = line.charCodeAt(++i);
    let j = i;
    while (c >= 48 && c <= 57) c = line.charCodeAt(++j);
    if (j > i) return detachedSlice(line, i, j);
  }
  return null;
}

/**
 * `line.slice(i, j)` as a string of its own. V8 makes a slice of 13 or more
 * characters a view that keeps its parent alive: here the 64 KiB chunk the
 * line was cut from, held by the record's `time_nano` for as long as the
 * record waits in a sink queue. Shorter slices are copies, so this joins
 * copies of at most 12 characters.
 */
function detachedSlice(line: string, i: number, j: number): string {
  if (j - i < 13) return line.slice(i, j);
  let s = '';
  for (let k = i; k < j; k += 12) s += line.slice(k, Math.min(j, k + 12));
  return s;
}

/** Parse one NDJSON line into a raw event plus its exact nanosecond time. Throws MalformedEventError. */
export function parseEventLine(line: string): { raw: RawEvent; timeNano: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(line);
  } catch {
    throw new MalformedEventError('invalid_json');
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new MalformedEventError('not_an_object');
  const ev = raw as RawEvent;
  let timeNano = extractTimeNano(line);
  if (timeNano === null) {
    if (typeof ev.time !== 'number' || !Number.isFinite(ev.time)) throw new MalformedEventError('no_time');
    if (ev.time < 0 || ev.time > MAX_EVENT_SECONDS) throw new MalformedEventError('time_out_of_range');
    timeNano = (BigInt(Math.trunc(ev.time)) * 1_000_000_000n).toString();
  }
  // Up to 20 digits is before year 5138; only longer ones need the exact check.
  if (timeNano.length > 20 && (timeNano.length > 21 || BigInt(timeNano) > MAX_EVENT_NANOS)) {
    throw new MalformedEventError('time_out_of_range');
  }
  return { raw: ev, timeNano };
}

/** 9999-12-31T23:59:59Z: the last second RFC 3339's four-digit year (and so `time`) can say. */
const MAX_EVENT_SECONDS = 253_402_300_799;
const MAX_EVENT_NANOS = 253_402_300_799_999_999_999n;

/**
 * The actor's attributes as a string map. Docker sends map[string]string, so
 * the parsed object is used as it is (it belongs to this event alone); only
 * other shapes are copied, with non-string values as their JSON text.
 */
function stringAttrs(value: unknown): Record<string, string> {
  if (value === null || typeof value !== 'object') return {};
  if (!Array.isArray(value)) {
    let allStrings = true;
    for (const k in value) {
      if (typeof (value as Record<string, unknown>)[k] !== 'string') {
        allStrings = false;
        break;
      }
    }
    if (allStrings) return value as Record<string, string>;
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    out[k] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return out;
}

/** Split `exec_start: sh -c …` / `health_status: healthy` into base action and detail. */
export function splitAction(action: string): { action: string; detail: string | null } {
  const i = action.indexOf(': ');
  return i < 0 ? { action, detail: null } : { action: action.slice(0, i), detail: action.slice(i + 2) };
}

/**
 * Bytes reclaimed by a `prune` event: the `reclaimed` actor attribute (API >=
 * 1.41), a decimal string the daemon formats from a uint64 (`"5242880"`).
 */
export function reclaimedBytes(attributes: Readonly<Record<string, string>> | null | undefined): number | undefined {
  const text = attributes?.['reclaimed']?.trim();
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  return Number(text);
}

export function normalizeEvent(raw: RawEvent, timeNano: string, host: HostInfo, engine: Engine = host.engine): EventRecord {
  const type = typeof raw.Type === 'string' ? raw.Type : typeof raw.status === 'string' ? 'container' : '';
  const fullAction = typeof raw.Action === 'string' ? raw.Action : typeof raw.status === 'string' ? raw.status : '';
  if (!type || !fullAction) throw new MalformedEventError('no_type_or_action');
  const attributes = stringAttrs(raw.Actor?.Attributes);
  let id = typeof raw.Actor?.ID === 'string' ? raw.Actor.ID : typeof raw.id === 'string' ? raw.id : '';

  let { action, detail } = splitAction(fullAction);
  let normalizedFrom: string | undefined;
  if (engine === 'podman') {
    const mapped = podmanAction(type, action);
    if (mapped !== undefined) {
      normalizedFrom = action;
      action = mapped;
    }
    // Podman reports the health state in a top-level `HealthStatus` field, not as a suffix.
    if (action === 'health_status' && detail === null) {
      detail = typeof raw.HealthStatus === 'string' && raw.HealthStatus !== '' ? raw.HealthStatus : (attributes['health_status'] ?? null);
    }
    // Docker's volume events carry the volume name as the actor id; Podman's an empty id.
    if (type === 'volume' && id === '') id = attributes['name'] ?? '';
  }

  // Container events carry the container's labels among their attributes: Compose / Swarm identity comes from them.
  const container: ContainerRef | undefined =
    type === 'container' ? containerRef(id, attributes['name'] ?? '', attributes['image'] ?? '', attributes) : undefined;
  const reclaimed = action === 'prune' ? reclaimedBytes(attributes) : undefined;

  return {
    kind: 'event',
    schema: RECORD_SCHEMA_VERSION,
    time: nanosToRfc3339(timeNano),
    host,
    type,
    action,
    action_detail: detail,
    actor: { id, attributes },
    scope: typeof raw.scope === 'string' ? raw.scope : null,
    time_nano: timeNano,
    ...(container ? { container } : {}),
    ...(reclaimed !== undefined ? { reclaimed_bytes: reclaimed } : {}),
    ...(normalizedFrom !== undefined ? { normalized_from: { action: normalizedFrom } } : {}),
  };
}

/** Identity of an event for de-duplicating the inclusive `since` boundary. */
export function eventKey(e: Pick<EventRecord, 'time_nano' | 'type' | 'action' | 'action_detail' | 'actor'>): string {
  return `${e.time_nano}|${e.type}|${e.actor.id}|${e.action}|${e.action_detail ?? ''}`;
}
