import { nullLogger } from '../../src/log.js';
import type { SourceContext } from '../../src/pipeline/types.js';
import type { DockerClient } from '../../src/docker/client.js';
import type { DsRecord, EventRecord, HostInfo } from '../../src/records.js';
import { SelfMetrics } from '../../src/telemetry/metrics.js';

/** A SourceContext that collects emitted records, for driving one source in a test. */
export function collectingContext(docker: DockerClient, initialHost: HostInfo, signal: AbortSignal) {
  let host = initialHost;
  const records: DsRecord[] = [];
  const listeners = new Set<(e: EventRecord) => void>();
  const metrics = new SelfMetrics();
  const emit = (r: DsRecord): void => {
    records.push(r);
    if (r.kind === 'event') for (const l of listeners) l(r);
  };
  const ctx: SourceContext = {
    docker,
    host: () => host,
    setHost: (h) => {
      host = h;
    },
    emit,
    emitFollowed: emit,
    onSettled: () => () => undefined,
    hasCapacity: () => true,
    onEvent: (l) => {
      listeners.add(l);
      return () => listeners.delete(l);
    },
    log: nullLogger(),
    metrics,
    signal,
  };
  /** Feed an event to `onEvent` listeners as if the events source had emitted it. */
  const publishEvent = (e: EventRecord): void => {
    for (const l of listeners) l(e);
  };
  return { ctx, records, metrics, publishEvent };
}
