/** Reads topics back with a real KafkaJS consumer group, as a downstream consumer would. */
import { randomUUID } from 'node:crypto';

export interface Consumed {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly key: string;
  readonly headers: Record<string, string>;
  readonly timestamp: string;
  readonly value: unknown;
}

/**
 * Consumes `topics` from the beginning until `count` messages arrived, then
 * keeps listening for `settleMs` more so that extra (duplicate) messages show.
 */
export function consumeAll(
  brokers: readonly string[],
  topics: readonly string[],
  count: number,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<Consumed[]> {
  return consumeUntil(brokers, topics, (got) => got.length >= count, options);
}

/**
 * Consumes `topics` from the beginning until `enough(got)` holds (checked
 * after each message) or `timeoutMs` passed, then listens `settleMs` more.
 */
export async function consumeUntil(
  brokers: readonly string[],
  topics: readonly string[],
  enough: (got: readonly Consumed[]) => boolean,
  { timeoutMs = 30_000, settleMs = 1_000 } = {},
): Promise<Consumed[]> {
  // Loaded here, not on import: the sink under test loads KafkaJS first, after installing its replacements.
  const { Kafka, logLevel } = await import('kafkajs');
  const kafka = new Kafka({ brokers: [...brokers], clientId: 'test-consumer', logLevel: logLevel.ERROR });
  const consumer = kafka.consumer({ groupId: `test-${randomUUID()}`, maxWaitTimeInMs: 100 });
  const got: Consumed[] = [];
  let reached: () => void = () => undefined;
  const done = new Promise<void>((resolve) => (reached = resolve));
  try {
    await consumer.connect();
    await consumer.subscribe({ topics: [...topics], fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ topic, partition, message }) => {
        const headers: Record<string, string> = {};
        for (const [name, value] of Object.entries(message.headers ?? {})) headers[name] = String(value);
        got.push({
          topic,
          partition,
          offset: Number(message.offset),
          key: String(message.key),
          headers,
          timestamp: message.timestamp,
          value: JSON.parse(String(message.value)),
        });
        if (enough(got)) reached();
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs)));
    await Promise.race([done, timeout]);
    clearTimeout(timer);
    await new Promise((resolve) => setTimeout(resolve, settleMs));
    return got;
  } finally {
    await consumer.disconnect();
  }
}
