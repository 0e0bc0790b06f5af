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
  const get = (): Promise<Sink> =>
    (pending ??= load().then(
      (s) => (loaded = s),
      (err: unknown) => {
        pending = null; // a failed import may be retried by the pipeline
        throw err;
      },
    ));
  return {
    name,
    type,
    start: async (signal) => (await get()).start(signal),
    check: async (signal) => (await get()).check(signal),
    send: async (batch, signal) => (await get()).send(batch, signal),
    close: async () => {
      if (pending) await (await pending.catch(() => null))?.close();
    },
    // The pipeline only asks after start(), so the real sink is there by then.
    reject: (record: DsRecord) => loaded?.reject?.(record) ?? null,
  };
}
