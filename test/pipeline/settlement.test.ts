import { describe, expect, it } from 'vitest';
import { Settlement } from '../../src/pipeline/settlement.js';
import type { DsRecord } from '../../src/records.js';
import { event } from './fixtures.js';

/** A settlement with a listener that collects what it hears, as time_nano tails. */
function listening(): { s: Settlement; heard: string[][] } {
  const s = new Settlement();
  const heard: string[][] = [];
  s.listen((records) => heard.push(records.map((r) => (r.kind === 'event' ? r.time_nano.slice(-1) : r.kind))));
  return { s, heard };
}

describe('settlement', () => {
  it('reports a record once every sink that took it settled it, in emission order', () => {
    const { s, heard } = listening();
    const evs = [1, 2, 3, 4, 5].map((n) => event(n));
    for (const e of evs) s.follow(e, ['kafka', 'file']);
    s.settled('kafka', evs.slice(0, 4));
    expect(heard).toEqual([]);
    s.settled('file', evs.slice(0, 2));
    expect(heard).toEqual([['1', '2']]);
    s.settled('file', evs.slice(2, 5));
    expect(heard).toEqual([
      ['1', '2'],
      ['3', '4'],
    ]);
    expect(s.unsettled).toBe(1);
  });

  it('holds a record settled out of order until everything before it is settled', () => {
    const { s, heard } = listening();
    const [a, b] = [event(1), event(2)];
    s.follow(a, ['stats-only-sink', 'events']);
    s.follow(b, ['events']);
    s.settled('events', [a, b]);
    expect(heard).toEqual([]);
    s.settled('stats-only-sink', [a]);
    expect(heard).toEqual([['1', '2']]);
  });

  it('settles a record no sink took at once, and ignores records it does not follow', () => {
    const { s, heard } = listening();
    const e = event(7);
    s.settled('out', [event(6)]);
    s.follow(e, []);
    expect(heard).toEqual([['7']]);
    s.settled('out', [e]); // a late or repeated settlement changes nothing
    expect(heard).toEqual([['7']]);
  });

  it('a sink settling the same record twice does not stand in for another sink', () => {
    const { s, heard } = listening();
    const e = event(1);
    s.follow(e, ['a', 'b']);
    s.settled('a', [e]);
    s.settled('a', [e]);
    expect(heard).toEqual([]);
    s.settled('b', [e]);
    expect(heard).toEqual([['1']]);
  });

  it('a sink removed on reload is no longer waited for', () => {
    const { s, heard } = listening();
    const evs = [event(1), event(2)];
    for (const e of evs) s.follow(e, ['gone', 'kept']);
    s.settled('kept', evs);
    expect(heard).toEqual([]);
    s.forgetSink('gone');
    expect(heard).toEqual([['1', '2']]);
  });

  it('holds what settles while nobody listens for the next listener (a source replaced on reload)', () => {
    const s = new Settlement();
    const first: DsRecord[] = [];
    const stop = s.listen((r) => first.push(...r));
    const evs = [event(1), event(2), event(3)];
    for (const e of evs) s.follow(e, ['out']);
    s.settled('out', [evs[0]!]);
    stop();
    s.settled('out', [evs[1]!]);
    const second: DsRecord[] = [];
    s.listen((r) => second.push(...r));
    s.settled('out', [evs[2]!]);
    expect(first).toEqual([evs[0]]);
    expect(second).toEqual([evs[1], evs[2]]);
  });
});
