/**
 * What the Kafka sink needs from a Kafka client, and nothing more: the sink
 * talks only to these interfaces; `kafkajs-adapter.ts` implements them with
 * KafkaJS. Errors are the client's own (`errors.ts` maps KafkaJS's).
 */
import type { Logger } from '../../log.js';
import type { SelfMetrics } from '../../telemetry/metrics.js';
import type { KafkaOptions } from './options.js';

/** One message as the sink maps it (`mapping.ts`); the client does not change it. */
export interface ProduceMessage {
  readonly key: string;
  /** The record's JSON. */
  readonly value: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Milliseconds since the epoch, as a decimal string. */
  readonly timestamp: string;
}

/** One topic's messages in a produce request; the client picks their partitions (by key). */
export interface TopicMessages {
  readonly topic: string;
  readonly messages: ProduceMessage[];
}

export interface ProduceBatch {
  readonly topicMessages: TopicMessages[];
  readonly acks: KafkaOptions['acks'];
  /** How long the brokers may wait for the acks, ms. */
  readonly timeout: number;
  readonly compression: KafkaOptions['compression'];
}

export interface KafkaProducer {
  connect(): Promise<void>;
  /** Produces the batch; resolves once the brokers acknowledged all of it (per `acks`). */
  send(batch: ProduceBatch): Promise<void>;
  disconnect(): Promise<void>;
}

export interface KafkaClusterInfo {
  readonly clusterId: string;
  readonly brokers: readonly { readonly host: string; readonly port: number }[];
}

/** Metadata only, for `check`. */
export interface KafkaAdmin {
  connect(): Promise<void>;
  describeCluster(): Promise<KafkaClusterInfo>;
  disconnect(): Promise<void>;
}

export interface KafkaClient {
  producer(): KafkaProducer;
  admin(): KafkaAdmin;
}

/** Builds the client at sink start (the first start, check or send). */
export type KafkaClientFactory = (options: KafkaOptions, log: Logger, metrics: SelfMetrics) => KafkaClient;
