/**
 * A drop-in for KafkaJS's `src/producer/groupMessagesPerPartition.js`
 * (kafkajs 2.2.x), same groups in the same order. KafkaJS copies a
 * partition's array for every message it adds (quadratic in the batch); this
 * pushes. Installed by `kafkajs-internals.ts`.
 */

export interface GroupingArgs<M> {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly M[];
  readonly partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: M }) => number;
}

/** Messages by the partition the partitioner picks, in their order: KafkaJS's result, built in linear time. */
export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: GroupingArgs<M>): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}
