import { DsError } from '../errors.js';

/** The error a sink call rejects with when its signal aborts (`isAbortError` knows it). */
export function abortError(what: string, signal: AbortSignal): DsError {
  return new DsError('ABORTED', `${what} aborted`, { cause: signal.reason });
}

/**
 * Settles like `work`, or rejects with abortError as soon as `signal` aborts.
 * The work itself goes on (a write in flight, an export on the wire); its
 * outcome is then ignored.
 */
export function abortable<T>(work: Promise<T>, signal: AbortSignal, what: string): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(abortError(what, signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(abortError(what, signal));
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err instanceof Error ? err : new Error(String(err)));
      },
    );
  });
}
