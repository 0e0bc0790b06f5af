import { lazySink } from '../../pipeline/lazy-sink.js';
import type { SinkPlugin } from '../../pipeline/types.js';
import { otlpOptions, type OtlpSinkOptions } from './options.js';

export const otlpSinkPlugin: SinkPlugin<OtlpSinkOptions> = {
  type: 'otlp',
  options: otlpOptions,
  // Collectors take large requests well; a short linger keeps events timely.
  batchDefaults: { maxRecords: 512, lingerMs: 200 },
  // The OpenTelemetry SDK and gRPC load only when an otlp sink is configured.
  create: (name, options, ctx) => lazySink(name, 'otlp', async () => (await import('./create.js')).createOtlpSink(name, options, ctx)),
};
