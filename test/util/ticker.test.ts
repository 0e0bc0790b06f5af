import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { everyInterval, runTicker } from '../../src/util/ticker.js';

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
    const done = runTicker(
      1000,
      ac.signal,
      () => ticks.push(Date.now() - start),
      () => Date.now(),
    );
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
    const done = runTicker(
      1000,
      ac.signal,
      () => {
        ticks.push(Date.now() - start);
        if (!stalled) {
          stalled = true;
          // A synchronous stall of 3.5 intervals inside the first tick.
          vi.setSystemTime(Date.now() + 3500);
        }
      },
      () => Date.now(),
    );
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

describe('everyInterval', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  const run = (durations: number[]) => {
    const ac = new AbortController();
    const started: number[] = [];
    const skippedAt: number[] = [];
    const t0 = Date.now();
    const done = everyInterval(
      1000,
      ac.signal,
      async () => {
        started.push(Date.now() - t0);
        await new Promise((r) => setTimeout(r, durations[started.length - 1] ?? 0));
      },
      () => skippedAt.push(Date.now() - t0),
      () => Date.now(),
    );
    return { ac, started, skippedAt, done };
  };

  it('runs now and on a fixed grid, never two at once; ticks during a slow run are skipped as they fall', async () => {
    const { ac, started, skippedAt, done } = run([100, 2500, 100, 100]);
    await vi.advanceTimersByTimeAsync(4500);
    ac.abort();
    await done;
    // 1000 runs 2.5 s: the ticks at 2000 and 3000 are skipped (reported then), the next run is at 4000.
    expect(started).toEqual([0, 1000, 4000]);
    expect(skippedAt).toEqual([2000, 3000]);
  });

  it('waits for the running work when aborted', async () => {
    const { ac, started, done } = run([3000]);
    let finished = false;
    void done.then(() => (finished = true));
    await vi.advanceTimersByTimeAsync(500);
    ac.abort();
    await vi.advanceTimersByTimeAsync(1000);
    expect(finished).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(finished).toBe(true);
    expect(started).toEqual([0]);
  });

  it('stops ticking and throws when the work throws', async () => {
    let calls = 0;
    const done = everyInterval(
      1000,
      new AbortController().signal,
      async () => {
        calls++;
        throw new Error('boom');
      },
      () => undefined,
    );
    const settled = expect(done).rejects.toThrow('boom');
    await vi.advanceTimersByTimeAsync(5000);
    await settled;
    expect(calls).toBe(1);
  });
});
