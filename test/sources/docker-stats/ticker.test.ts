// The ticker on a virtual clock: deterministic, no wall-time thresholds.
import { describe, expect, it } from 'vitest';
import { everyInterval, type Clock } from '../../../src/sources/docker-stats/ticker.js';

function virtualClock(): Clock & { t: number } {
  const clock = {
    t: 0,
    now: () => clock.t,
    sleep: async (ms: number, signal: AbortSignal) => {
      if (signal.aborted) throw new Error('aborted');
      clock.t += ms;
    },
  };
  return clock;
}

describe('everyInterval', () => {
  it('ticks on a fixed grid starting now', async () => {
    const clock = virtualClock();
    const ac = new AbortController();
    const at: number[] = [];
    await everyInterval(1000, ac.signal, async () => {
      at.push(clock.t);
      clock.t += 100; // a round takes 100 ms
      if (at.length === 4) ac.abort();
    }, () => undefined, clock);
    expect(at).toEqual([0, 1000, 2000, 3000]);
  });

  it('skips (and counts) ticks missed by a slow round instead of replaying them', async () => {
    const clock = virtualClock();
    const ac = new AbortController();
    const at: number[] = [];
    const skipped: number[] = [];
    const durations = [2500, 100, 1000, 100];
    await everyInterval(1000, ac.signal, async () => {
      at.push(clock.t);
      clock.t += durations[at.length - 1] ?? 0;
      if (at.length === durations.length) ac.abort();
    }, (n) => skipped.push(n), clock);
    // 0 runs 2.5 s: ticks at 1000 and 2000 are skipped; the next is 3000.
    // 4000 runs exactly 1 s: the 5000 tick is due right then, not skipped.
    expect(at).toEqual([0, 3000, 4000, 5000]);
    expect(skipped).toEqual([2]);
  });

  it('returns when the signal aborts during the wait', async () => {
    const ac = new AbortController();
    const clock: Clock = {
      now: () => 0,
      sleep: (_ms, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted')))),
    };
    let ticks = 0;
    const done = everyInterval(1000, ac.signal, async () => {
      ticks++;
    }, () => undefined, clock);
    // now() stays 0 while next grows: the second tick waits until aborted.
    await new Promise((r) => setImmediate(r));
    ac.abort();
    await done;
    expect(ticks).toBe(1);
  });
});
