import type { EventRecord } from '../../src/records.js';
import { eventRecord } from '../harness/records.js';

export { HOST } from '../harness/records.js';

/** A small event record; `n` makes it unique and orders time_nano. */
export function event(n: number, opts: { timeNano?: string; id?: string } = {}): EventRecord {
  return eventRecord({
    time: '2027-01-15T08:00:00.000000000Z',
    actor: { id: opts.id ?? `c${n}`, attributes: { name: `n${n}` } },
    time_nano: opts.timeNano ?? String(1_800_000_000_000_000_000n + BigInt(n)),
  });
}
