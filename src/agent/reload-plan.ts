import { isDeepStrictEqual } from 'node:util';
import type { Config } from '../config/schema.js';
import { changedDaemons, daemonsInUse } from './daemons.js';

/** What a SIGHUP reload changes, by component name. */
export interface ReloadPlan {
  readonly sinks: { readonly add: string[]; readonly replace: string[]; readonly remove: string[] };
  readonly sources: { readonly add: string[]; readonly restart: string[]; readonly remove: string[] };
  /** Daemons: settings changed (a new client, their sources restarted), newly read, no longer read. */
  readonly daemons: { readonly changed: string[]; readonly add: string[]; readonly remove: string[] };
  /** Settings that only take effect at the next restart (kept as they are). */
  readonly needsRestart: string[];
}

function diff<T>(before: Readonly<Record<string, T>>, after: Readonly<Record<string, T>>) {
  const add = Object.keys(after).filter((k) => !(k in before));
  const remove = Object.keys(before).filter((k) => !(k in after));
  const changed = Object.keys(after).filter((k) => k in before && !isDeepStrictEqual(before[k], after[k]));
  return { add, remove, changed };
}

/** Compare two validated configs. Pure, so the rules are tested on their own. */
export function planReload(before: Config, after: Config): ReloadPlan {
  const sinks = diff(before.sinks, after.sinks);
  const sources = diff(before.sources, after.sources);
  const changed = changedDaemons(before, after);
  const [inUseBefore, inUseAfter] = [daemonsInUse(before), daemonsInUse(after)];
  const needsRestart: string[] = [];
  if (before.state_dir !== after.state_dir) needsRestart.push('state_dir');
  if (!isDeepStrictEqual(before.telemetry, after.telemetry)) needsRestart.push('telemetry');
  return {
    sinks: { add: sinks.add, replace: sinks.changed, remove: sinks.remove },
    sources: {
      add: sources.add,
      // A source whose daemon's settings changed restarts on the new client.
      restart: Object.keys(after.sources).filter(
        (k) => k in before.sources && (sources.changed.includes(k) || changed.includes(after.sources[k]?.daemon ?? '')),
      ),
      remove: sources.remove,
    },
    daemons: { changed, add: inUseAfter.filter((d) => !inUseBefore.includes(d)), remove: inUseBefore.filter((d) => !inUseAfter.includes(d)) },
    needsRestart,
  };
}
