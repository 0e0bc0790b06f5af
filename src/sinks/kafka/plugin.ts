import type { SinkPlugin } from '../../pipeline/types.js';
import { kafkaOptionsSchema, type KafkaOptions } from './options.js';
import { KafkaSink } from './sink.js';

/** `type: kafka` — keyed, batched, optionally compressed, acknowledged delivery. */
export const kafkaSinkPlugin: SinkPlugin<KafkaOptions> = {
  type: 'kafka',
  options: kafkaOptionsSchema,
  // 500 records of ~1 KB stay well under the broker's 1 MB message limit.
  batchDefaults: { maxRecords: 500, lingerMs: 50 },
  create: (name, options, ctx) => new KafkaSink(name, options, ctx),
};
