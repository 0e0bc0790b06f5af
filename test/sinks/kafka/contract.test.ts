// The sink contract (test/sinks/contract.ts) for kafka, on librdkafka's mock
// cluster, read back with a KafkaJS consumer group; one single-partition topic
// per sink, so the records come back in the order they were produced.
import type { DsRecord } from '../../../src/records.js';
import { kafkaOptionsSchema } from '../../../src/sinks/kafka/options.js';
import { kafkaSinkPlugin } from '../../../src/sinks/kafka/plugin.js';
import { startKafkaMock, type KafkaMock } from '../../harness/kafka-mock.js';
import { freePort } from '../../harness/prometheus.js';
import { alertRecord, diskUsageRecord, eventRecord, gapRecord, inventoryRecord, sinkContext, statsRecord } from '../../harness/records.js';
import { startSilentPeer } from '../../harness/silent-peer.js';
import { sinkContract } from '../contract.js';
import { consumeAll } from './consume.js';

let mock: KafkaMock | undefined;
let n = 0;

const kafkaSink = (brokers: readonly string[], topic: string) =>
  kafkaSinkPlugin.create(
    'kafka',
    kafkaOptionsSchema.parse({ brokers, topic, connect_timeout: '2s', timeout: '5s', max_message_bytes: '16KiB' }),
    sinkContext(),
  );

sinkContract('kafka', {
  setup: async () => {
    mock = await startKafkaMock({ brokers: 1 });
  },
  teardown: async () => mock?.stop(),
  create: async () => {
    const { brokers, createTopic } = mock as KafkaMock;
    const topic = `contract-${n++}`;
    await createTopic(topic, 1);
    return {
      sink: kafkaSink(brokers, topic),
      received: async (atLeast) =>
        (await consumeAll(brokers, [topic], atLeast, { timeoutMs: atLeast === 0 ? 2_000 : 20_000, settleMs: 500 })).map((m) => m.value),
    };
  },
  batch: (): DsRecord[] => [eventRecord(), statsRecord(), diskUsageRecord(), gapRecord(), alertRecord(), inventoryRecord()],
  expected: (batch) => [...batch],
  checkLine: /^kafka cluster \S+: 1 brokers reachable \(127\.0\.0\.1:\d+\); topics contract-\d+\.\.\.; acks all; compression none$/,
  unsendable: {
    record: () => eventRecord({ actor: { id: 'c1', attributes: { blob: 'x'.repeat(20_000) } } }),
    reason: /^message too large: \d+ bytes exceed max_message_bytes 16384 \(topic contract-\d+\)$/,
  },
  held: async () => {
    // A broker that accepts the connection and never answers.
    const peer = await startSilentPeer();
    return { sink: kafkaSink([peer.address], 'held'), batch: [eventRecord()], reached: peer.reached, release: peer.close };
  },
  unreachable: async () => kafkaSink([`127.0.0.1:${await freePort()}`], 'nowhere'),
});
