/**
 * A fixed-rate tick for polling sources. Unlike `timers/promises` setInterval
 * (design gotcha 4), ticks missed while the event loop was stalled are dropped,
 * never replayed in a burst. The tick fires whatever the previous tick's work
 * is doing (see `everyInterval` for work that must not overlap). `onTick`
 * must not throw (it runs from a timer). Resolves when `signal` aborts.
 */
export function runTicker(intervalMs: number, signal: AbortSignal, onTick: () => void, now: () => number = () => performance.now()): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const start = now();
    let n = 0;
    let timer: NodeJS.Timeout | undefined;
    const stop = (): void => {
      clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', stop, { once: true });
    const fire = (): void => {
      if (signal.aborted) return;
      onTick();
      // The next multiple of the interval that is still ahead.
      n = Math.max(n + 1, Math.floor((now() - start) / intervalMs) + 1);
      timer = setTimeout(fire, Math.max(0, start + n * intervalMs - now()));
    };
    fire();
  });
}

/**
 * Runs `work` now and then on every tick of a fixed grid, never two at once:
 * a tick that falls while `work` still runs is skipped and reported at once
 * through `skipped()` (so a hung poll shows up while it hangs), not queued.
 * Returns when `signal` aborts and the running `work` finished; a `work`
 * that throws stops the ticks and the error is thrown from here.
 */
export async function everyInterval(
  intervalMs: number,
  signal: AbortSignal,
  work: () => Promise<void>,
  skipped: () => void,
  now?: () => number,
): Promise<void> {
  if (signal.aborted) return;
  const stop = new AbortController();
  const onAbort = (): void => stop.abort();
  signal.addEventListener('abort', onAbort, { once: true });
  let running: Promise<void> | null = null;
  let failure: { error: unknown } | null = null;
  try {
    await runTicker(
      intervalMs,
      stop.signal,
      () => {
        if (running) {
          skipped();
          return;
        }
        running = work()
          .catch((error: unknown) => {
            failure = { error };
            stop.abort();
          })
          .finally(() => {
            running = null;
          });
      },
      now,
    );
    // Assigned in the tick callback: the compiler cannot see it is set by now.
    const last = running as Promise<void> | null;
    if (last) await last;
  } finally {
    signal.removeEventListener('abort', onAbort);
  }
  if (failure) throw (failure as { error: unknown }).error;
}
