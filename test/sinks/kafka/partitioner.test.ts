import { Partitioners, type PartitionMetadata } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { memoizedPartitioner } from '../../../src/sinks/kafka/partitioner.js';
import { containerRef } from './fixtures.js';

const metadata = (count: number, leaderless: number[] = []): PartitionMetadata[] =>
  Array.from({ length: count }, (_, partitionId) => ({
    partitionId,
    leader: leaderless.includes(partitionId) ? -1 : 1 + (partitionId % 3),
    partitionErrorCode: 0,
    replicas: [1, 2, 3],
    isr: [1, 2, 3],
  }));

describe('memoized default partitioner', () => {
  it('picks the same partition as KafkaJS default (Java murmur2) for every key and partition count', () => {
    const memo = memoizedPartitioner(Partitioners.DefaultPartitioner)();
    const plain = Partitioners.DefaultPartitioner();
    const keys = [...Array.from({ length: 200 }, (_, i) => containerRef(i).id), 'node-7.example.internal', '', 'ü-ключ'];
    const chosen = new Set<number>();
    for (const count of [1, 3, 6, 12]) {
      for (const key of keys) {
        for (let round = 0; round < 2; round++) {
          const args = { topic: 't', partitionMetadata: metadata(count, [0]), message: { key, value: 'v' } };
          const p = memo(args);
          expect(p).toBe(plain(args));
          if (count === 12) chosen.add(p);
        }
      }
    }
    expect(chosen.size).toBe(12);
  });

  it('leaves explicit partitions and unkeyed messages to the default', () => {
    const memo = memoizedPartitioner(Partitioners.DefaultPartitioner)();
    expect(memo({ topic: 't', partitionMetadata: metadata(6), message: { key: 'k', value: 'v', partition: 4 } })).toBe(4);
    const unkeyed = new Set(Array.from({ length: 12 }, () => memo({ topic: 't', partitionMetadata: metadata(6), message: { value: 'v' } })));
    expect(unkeyed.size).toBe(6);
  });
});
