import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { runTicker } from '../../../src/sources/docker-df/ticker.js';

describe('runTicker', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('ticks at once, then every interval, until aborted', async () => {
    const ac = new AbortController();
    const ticks: number[] = [];
    const start = Date.now();
    const done = runTicker(1000, ac.signal, () => ticks.push(Date.now() - start), () => Date.now());
    await vi.advanceTimersByTimeAsync(3500);
    ac.abort();
    await done;
    expect(ticks).toEqual([0, 1000, 2000, 3000]);
    await vi.advanceTimersByTimeAsync(5000);
    expect(ticks).toHaveLength(4);
  });

  it('drops ticks missed while the loop was stalled instead of replaying them', async () => {
    const ac = new AbortController();
    const ticks: number[] = [];
    const start = Date.now();
    let stalled = false;
    const done = runTicker(1000, ac.signal, () => {
      ticks.push(Date.now() - start);
      if (!stalled) {
        stalled = true;
        // A synchronous stall of 3.5 intervals inside the first tick.
        vi.setSystemTime(Date.now() + 3500);
      }
    }, () => Date.now());
    await vi.advanceTimersByTimeAsync(2000);
    ac.abort();
    await done;
    // No burst at 1000, 2000, 3000: the next tick is the next multiple ahead.
    expect(ticks).toEqual([0, 4000, 5000]);
  });

  it('does not tick when already aborted', async () => {
    const ticks: number[] = [];
    await runTicker(1000, AbortSignal.abort(), () => ticks.push(1));
    expect(ticks).toEqual([]);
  });
});
