/**
 * The shapes the produce request encoder shares with KafkaJS (kafkajs 2.2.x):
 * what its producer passes to a produce request, what its request framing
 * expects back, and what the encoder takes from KafkaJS. Types only.
 */

/** A message as KafkaJS's producer hands it to the produce request. */
export interface MessageInput {
  readonly key?: unknown;
  readonly value?: unknown;
  readonly headers?: unknown;
  readonly timestamp?: unknown;
}

export interface PartitionData {
  readonly partition: number;
  readonly firstSequence?: number;
  readonly messages: readonly MessageInput[];
}

export interface TopicData {
  readonly topic: string;
  readonly partitions: readonly PartitionData[];
}

/** What KafkaJS's producer passes to `requests/produce/v3/request.js`. */
export interface ProduceArgs {
  readonly acks: number;
  readonly timeout: number;
  readonly transactionalId?: string | null;
  readonly producerId?: unknown;
  readonly producerEpoch?: number;
  readonly compression?: number;
  readonly topicData: readonly TopicData[];
}

/** KafkaJS's Encoder, as far as its request framing uses it. */
export interface EncoderLike {
  buf: Buffer;
  offset: number;
  readonly buffer: Buffer;
}

export interface ProduceRequest {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly apiName: string;
  readonly expectResponse: () => boolean;
  readonly encode: () => Promise<EncoderLike>;
}

export type ProduceRequestFactory = (args: ProduceArgs) => ProduceRequest;

/** What the encoder takes from KafkaJS (and a CRC32C), so tests can build one beside KafkaJS's. */
export interface ProduceEncoderDeps {
  /** KafkaJS's own request factory: request metadata, and the encoder for anything off the fast path. */
  readonly kafkajs: ProduceRequestFactory;
  /** KafkaJS's Encoder prototype: the result is a real Encoder without its 512-byte initial buffer. */
  readonly encoderProto: object;
  /** KafkaJS's codec lookup (throws, as KafkaJS does, for codecs not registered). */
  readonly lookupCodec: (type: number) => { compress(encoder: EncoderLike): Promise<Buffer> } | null;
  /** KafkaJS's `Long.fromValue`, for the int64 fields exactly as KafkaJS writes them. */
  readonly toLong: (value: unknown) => { getHighBits(): number; getLowBits(): number };
  readonly crc32c: (bytes: Buffer) => number;
}
