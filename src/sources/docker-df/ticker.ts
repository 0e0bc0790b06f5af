/**
 * A fixed-rate tick for polling sources. Unlike `timers/promises` setInterval
 * (DESIGN gotcha 4), ticks missed while the event loop was stalled are dropped,
 * never replayed in a burst. The tick fires whatever the previous tick's work is
 * doing: deciding to skip a tick because work is still running is the caller's.
 * `onTick` must not throw (it runs from a timer).
 */
export function runTicker(
  intervalMs: number,
  signal: AbortSignal,
  onTick: () => void,
  now: () => number = () => performance.now(),
): Promise<void> {
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
