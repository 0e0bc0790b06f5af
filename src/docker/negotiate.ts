// API version negotiation (docs/design.md §3.11): the daemon's
// range [MinAPIVersion, ApiVersion] from `/version`, ours [MIN, MAX]. A
// pinned version must lie in both; otherwise min(daemon max, our max), never
// below the daemon's minimum.
import { DsError } from '../errors.js';

/** The newest API shapes this agent understands; negotiated down to the daemon's. */
export const MAX_API_VERSION = '1.52';
/** Oldest daemon API we talk to (Docker 17.06-era shapes differ too much below). */
export const MIN_API_VERSION = '1.24';

export function compareApiVersions(a: string, b: string): number {
  const [amaj = 0, amin = 0] = a.split('.').map(Number);
  const [bmaj = 0, bmin = 0] = b.split('.').map(Number);
  return amaj !== bmaj ? amaj - bmaj : amin - bmin;
}

export interface DaemonApiRange {
  readonly max: string;
  /** Absent from very old daemons; then only the max bounds us. */
  readonly min?: string | undefined;
}

export interface Negotiated {
  readonly version: string;
  /** Set when the choice needs saying (`check` prints it): the daemon is newer than we are. */
  readonly note?: string;
}

const range = (min: string | undefined, max: string): string => `[${min ?? '?'}, ${max}]`;

/** Picks the version to speak; a pin the daemon or we cannot serve is a configuration error (exit 78). */
export function negotiateApiVersion(daemon: DaemonApiRange, pinned?: string): Negotiated {
  const ours = range(MIN_API_VERSION, MAX_API_VERSION);
  const theirs = range(daemon.min, daemon.max);
  if (pinned !== undefined) {
    const outside =
      compareApiVersions(pinned, daemon.max) > 0 ||
      (daemon.min !== undefined && compareApiVersions(pinned, daemon.min) < 0) ||
      compareApiVersions(pinned, MAX_API_VERSION) > 0 ||
      compareApiVersions(pinned, MIN_API_VERSION) < 0;
    if (outside) {
      throw new DsError('CONFIG_INVALID', `docker.api_version ${pinned} is outside the daemon's API range ${theirs} or dockstream's ${ours}`, {
        details: { path: 'docker.api_version', pinned, daemon: theirs, dockstream: ours },
      });
    }
    return { version: pinned };
  }
  if (compareApiVersions(daemon.max, MIN_API_VERSION) < 0) {
    throw new DsError('DOCKER_HTTP', `daemon API range ${theirs} is older than dockstream's ${ours}`);
  }
  if (compareApiVersions(daemon.max, MAX_API_VERSION) > 0) {
    return { version: MAX_API_VERSION, note: `daemon API ${daemon.max} is newer than dockstream's maximum ${MAX_API_VERSION}: using ${MAX_API_VERSION}` };
  }
  const version = daemon.min !== undefined && compareApiVersions(daemon.max, daemon.min) < 0 ? daemon.min : daemon.max;
  return { version };
}
