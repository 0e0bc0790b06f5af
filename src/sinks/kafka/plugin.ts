import { lazySink } from '../../pipeline/lazy-sink.js';
import { defineSink } from '../../plugin.js';
import { kafkaOptionsSchema } from './options.js';

/** `type: kafka` — keyed, batched, optionally compressed, acknowledged delivery. */
export const kafkaSinkPlugin = defineSink({
  type: 'kafka',
  options: kafkaOptionsSchema,
  // 500 records of ~1 KB stay well under the broker's 1 MB message limit.
  batchDefaults: { maxRecords: 500, lingerMs: 50 },
  // kafkajs loads only when a kafka sink is configured, and only once it starts (kafkajs-adapter.ts).
  create: (name, options, ctx) =>
    lazySink(name, 'kafka', async () => {
      const [{ KafkaSink }, { createKafkajsClient }] = await Promise.all([import('./sink.js'), import('./kafkajs-adapter.js')]);
      return new KafkaSink(name, options, ctx, createKafkajsClient);
    }),
});
