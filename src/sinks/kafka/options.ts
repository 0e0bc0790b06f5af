import { z } from 'zod';
import { tlsFilesSchema } from '../../options/tls.js';
import { duration, size } from '../../options/units.js';
import { RECORD_KINDS, type RecordKind } from '../../records.js';

/** Kafka's legal topic names: at most 249 of [a-zA-Z0-9._-]. */
export const TOPIC_NAME = /^[A-Za-z0-9._-]{1,249}$/;

/** A topic template: `{kind}` is replaced by the record kind. */
const topicTemplate = z
  .string()
  .min(1)
  .refine((t) => TOPIC_NAME.test(t.replaceAll('{kind}', 'disk_usage')), {
    message: 'topic names use letters, digits, . _ - (placeholder: {kind})',
  });

const perKindTopics = z.strictObject(
  Object.fromEntries(RECORD_KINDS.map((k) => [k, topicTemplate.optional()])) as Record<RecordKind, z.ZodOptional<typeof topicTemplate>>,
);

export const kafkaOptionsSchema = z.strictObject({
  /** Bootstrap brokers, `host:port`. */
  brokers: z.array(z.string().regex(/^[^\s:]+:\d{1,5}$/, 'expected host:port')).min(1, 'at least one broker'),
  client_id: z.string().min(1).default('dockstream'),
  /** TLS to the brokers; file paths are read when the sink is created. */
  tls: tlsFilesSchema.optional(),
  sasl: z
    .strictObject({
      mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
      username: z.string().min(1),
      password: z.string(),
    })
    .optional(),
  /** Default topic for every kind. */
  topic: topicTemplate.default('dockstream.{kind}'),
  /** Per-kind overrides of `topic`. */
  topics: perKindTopics.prefault({}),
  /** all = every in-sync replica, leader = the partition leader only, none = fire and forget. */
  acks: z.enum(['all', 'leader', 'none']).default('all'),
  compression: z.enum(['none', 'gzip']).default('none'),
  /**
   * Largest uncompressed message (value + key + headers + framing) sent; larger
   * records are rejected before sending. Keep it at or below the broker's
   * `message.max.bytes` (1048588 by default) and the topic's `max.message.bytes`.
   */
  max_message_bytes: size()
    .refine((n) => n >= 1024, { message: 'must be at least 1KiB' })
    .default(1024 * 1024),
  /** Produce request timeout (broker ack wait and client request timeout). */
  timeout: duration().default(30_000),
  /** TCP/TLS connect timeout per broker. */
  connect_timeout: duration().default(5_000),
});
// No object-level refinements: the config schema `.extend()`s this object.

export type KafkaOptions = z.output<typeof kafkaOptionsSchema>;
