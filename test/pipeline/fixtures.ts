import type { EventRecord, HostInfo } from '../../src/records.js';

export const HOST: HostInfo = { name: 'h', daemon_id: 'D1', engine: 'docker', version: '20.10.24', api_version: '1.41' };

/** A small event record; `n` makes it unique and orders time_nano. */
export function event(n: number, opts: { timeNano?: string; id?: string } = {}): EventRecord {
  const timeNano = opts.timeNano ?? String(1_800_000_000_000_000_000n + BigInt(n));
  return {
    kind: 'event',
    schema: 1,
    time: '2027-01-15T08:00:00.000000000Z',
    host: HOST,
    type: 'container',
    action: 'start',
    action_detail: null,
    actor: { id: opts.id ?? `c${n}`, attributes: { name: `n${n}` } },
    scope: 'local',
    time_nano: timeNano,
  };
}
