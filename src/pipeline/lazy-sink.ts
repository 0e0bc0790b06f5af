import { SinkError } from '../errors.js';
import type { DsRecord } from '../records.js';
import type { Sink } from './types.js';

/**
 * A sink whose implementation is imported on first use. The Kafka and OTLP
 * client libraries cost ~35 MB of RSS and a second of start-up; an agent that
 * only writes files should pay neither.
 */
export function lazySink(name: string, type: string, load: () => Promise<Sink>): Sink {
  let pending: Promise<Sink> | null = null;
  let loaded: Sink | null = null;
  let closed = false;
  const get = (): Promise<Sink> => {
    // Closed before it was ever loaded: nothing to load, and nothing to send to.
    if (closed && pending === null) return Promise.reject(new SinkError(`${type} sink is closed`, { retryable: false, details: { sink: name } }));
    return (pending ??= load().then(
      (s) => (loaded = s),
      (err: unknown) => {
        pending = null; // a failed import may be retried by the pipeline
        throw err;
      },
    ));
  };
  return {
    name,
    type,
    start: async (signal) => (await get()).start(signal),
    check: async (signal) => (await get()).check(signal),
    send: async (batch, signal) => (await get()).send(batch, signal),
    close: async () => {
      closed = true;
      if (pending) await (await pending.catch(() => null))?.close();
    },
    // The pipeline only asks after start(), so the real sink is there by then.
    reject: (record: DsRecord) => loaded?.reject?.(record) ?? null,
  };
}
