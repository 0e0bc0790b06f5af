/**
 * How the events source asks each engine for events. Podman's compat
 * `/events` (4.3, docs/podman.md) differs from dockerd in three ways that
 * decide correctness: its `event` filter takes Podman's names, some filter
 * keys end the stream at once, and `until` is a wall-clock deadline for its
 * log reader rather than a bound on event time.
 */
import { DsError } from '../../errors.js';
import type { Engine, EventRecord } from '../../records.js';
import { nanosToSinceParam } from '../../util/units.js';

export type EventFilters = Readonly<Partial<Record<string, readonly string[]>>>;

/** Docker action → the name Podman's `event` filter matches (its compat output then says Docker's). */
export const PODMAN_FILTER_EVENT_NAMES: Readonly<Record<string, string>> = {
  die: 'died',
  destroy: 'remove',
  delete: 'remove',
  exec_start: 'exec',
  exec_die: 'exec_died',
};

/** Podman's own names → the Docker actions its events are normalised to (for matching records to the filter). */
const DOCKER_ACTIONS_OF_PODMAN: Readonly<Record<string, readonly string[]>> = {
  died: ['die'],
  remove: ['destroy', 'delete'],
  exec: ['exec_start'],
  exec_died: ['exec_die'],
};

/**
 * Keys Podman rejects (after `200 OK`, with an empty body: the stream ends at
 * once), and `volume`, which it accepts but can never match (its volume
 * events carry an empty actor id).
 */
export const PODMAN_UNSUPPORTED_FILTER_KEYS: readonly string[] = ['config', 'daemon', 'network', 'node', 'plugin', 'scope', 'secret', 'service', 'volume'];

/**
 * The `filters=` JSON for the engine, or undefined when there is nothing to
 * filter. On Podman, `event` values are translated and keys it cannot serve
 * are refused (CONFIG_INVALID): retrying could never help.
 */
export function eventFiltersParam(filters: EventFilters | undefined, engine: Engine, source: string): string | undefined {
  const entries = Object.entries(filters ?? {}).filter((e): e is [string, readonly string[]] => e[1] !== undefined && e[1].length > 0);
  if (entries.length === 0) return undefined;
  if (engine === 'podman') {
    const refused = entries.map(([k]) => k).filter((k) => PODMAN_UNSUPPORTED_FILTER_KEYS.includes(k));
    if (refused.length > 0) {
      throw new DsError(
        'CONFIG_INVALID',
        `Podman cannot filter events by ${refused.join(', ')}: remove ${refused.length > 1 ? 'these keys' : 'this key'} from sources.${source}.filters`,
        {
          details: { source, keys: refused, engine, paths: refused.map((k) => `sources.${source}.filters.${k}`) },
        },
      );
    }
  }
  const translate = (key: string, value: string): string => (engine === 'podman' && key === 'event' ? (PODMAN_FILTER_EVENT_NAMES[value] ?? value) : value);
  // The daemon's filter JSON maps each key to a set: {"type":{"container":true}}.
  return JSON.stringify(Object.fromEntries(entries.map(([k, v]) => [k, Object.fromEntries(v.map((x) => [translate(k, x), true]))])));
}

/**
 * Which records an `event` filter asked for, checked on our side too where
 * the engine matches more than asked (Podman's `remove` is both Docker's
 * `destroy` and image `delete`). Null: keep everything the daemon sends.
 */
export function eventActionFilter(filters: EventFilters | undefined, engine: Engine): ((record: EventRecord) => boolean) | null {
  const asked = filters?.['event'];
  if (engine !== 'podman' || !asked || asked.length === 0) return null;
  const actions = new Set<string>();
  for (const a of asked) {
    actions.add(a);
    for (const d of DOCKER_ACTIONS_OF_PODMAN[a] ?? []) actions.add(d);
  }
  return (record) => actions.has(record.action);
}

/**
 * A query for the events from `sinceNano` to `untilNano` (both inclusive) that
 * the engine answers completely, and the newest instant to keep from its
 * answer (null: the daemon applies the bound itself). Podman: `stream=false`
 * (its history up to now, then the response ends) without `until`.
 */
export function boundedEventsQuery(engine: Engine, sinceNano: string, untilNano: string): { query: Record<string, string>; keepUntilNano: bigint | null } {
  if (engine === 'podman') return { query: { since: nanosToSinceParam(sinceNano), stream: 'false' }, keepUntilNano: BigInt(untilNano) };
  return { query: { since: nanosToSinceParam(sinceNano), until: nanosToSinceParam(untilNano) }, keepUntilNano: null };
}
