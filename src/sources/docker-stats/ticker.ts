import { setTimeout as sleep } from 'node:timers/promises';

/** Time source for the ticker; tests pass a virtual one. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep(ms: number, signal: AbortSignal): Promise<void>;
}

export const realClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

/**
 * Calls `tick` now and then every `intervalMs` on a fixed grid, never two at
 * once. Ticks that fall while `tick` still runs are skipped and reported
 * through `skipped(count)`, not replayed in a burst (which is what Node 20's
 * `timers/promises` setInterval does: DESIGN gotcha 4). Returns when `signal`
 * aborts.
 */
export async function everyInterval(
  intervalMs: number,
  signal: AbortSignal,
  tick: () => Promise<void>,
  skipped: (count: number) => void,
  clock: Clock = realClock,
): Promise<void> {
  let next = clock.now();
  while (!signal.aborted) {
    const wait = next - clock.now();
    if (wait > 0) {
      try {
        await clock.sleep(wait, signal);
      } catch {
        return; // aborted
      }
    }
    if (signal.aborted) return;
    await tick();
    next += intervalMs;
    const now = clock.now();
    if (now > next) {
      const missed = Math.floor((now - next) / intervalMs) + 1;
      skipped(missed);
      next += missed * intervalMs;
    }
  }
}
