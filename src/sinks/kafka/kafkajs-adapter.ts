/**
 * The sink's port (`port.ts`) on KafkaJS. Creating it installs the sink's
 * replacements of KafkaJS internals (`kafkajs-internals.ts`), reports their
 * state, and only then loads KafkaJS: no module of the sink loads KafkaJS
 * when imported.
 */
import type * as KafkaJs from 'kafkajs';
import { createRequire } from 'node:module';
import type { Logger } from '../../log.js';
import type { SelfMetrics } from '../../telemetry/metrics.js';
import { kafkaConfig } from './client.js';
import { installKafkajsInternals, reportKafkajsInternals } from './kafkajs-internals.js';
import type { KafkaOptions } from './options.js';
import { memoizedPartitioner } from './partitioner.js';
import type { KafkaClient, KafkaProducer } from './port.js';

const require = createRequire(import.meta.url);

const ACKS = { all: -1, leader: 1, none: 0 } as const;

export function createKafkajsClient(options: KafkaOptions, log: Logger, metrics: SelfMetrics): KafkaClient {
  // Before KafkaJS loads: its modules bind the ones replaced when they load.
  const internals = installKafkajsInternals();
  reportKafkajsInternals(internals, log, metrics);
  const { Kafka, CompressionTypes, Partitioners } = require('kafkajs') as typeof KafkaJs;
  const compression = { none: CompressionTypes.None, gzip: CompressionTypes.GZIP } as const;
  const kafka = new Kafka(kafkaConfig(options, log));
  return {
    producer: (): KafkaProducer => {
      const producer = kafka.producer({
        idempotent: false,
        allowAutoTopicCreation: true,
        // Java-compatible murmur2: same key, same partition as other clients.
        createPartitioner: memoizedPartitioner(Partitioners.DefaultPartitioner),
      });
      return {
        connect: () => producer.connect(),
        send: async ({ topicMessages, acks, timeout, compression: codec }) => {
          await producer.sendBatch({ topicMessages, acks: ACKS[acks], timeout, compression: compression[codec] });
        },
        disconnect: () => producer.disconnect(),
      };
    },
    admin: () => kafka.admin(),
  };
}
