import { lazySink } from '../../pipeline/lazy-sink.js';
import { defineSink } from '../../plugin.js';
import { otlpOptions } from './options.js';

/** `type: otlp` — events, gaps, inventories and alerts as logs; stats and disk usage as metrics. */
export const otlpSinkPlugin = defineSink({
  type: 'otlp',
  options: otlpOptions,
  // Collectors take large requests well; a short linger keeps events timely.
  batchDefaults: { maxRecords: 512, lingerMs: 200 },
  // The OpenTelemetry SDK and gRPC load only when an otlp sink is configured.
  create: (name, options, ctx) => lazySink(name, 'otlp', async () => (await import('./create.js')).createOtlpSink(name, options, ctx)),
});
