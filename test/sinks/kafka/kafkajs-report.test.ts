/**
 * The KafkaJS seam's state at sink start: one info line naming what is
 * replaced (or "published KafkaJS") and the gauge, 1 or 0 per replacement.
 * (Installing itself: kafkajs-internals.test.ts and kafka.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { reportKafkajsInternals } from '../../../src/sinks/kafka/kafkajs-internals.js';
import { SelfMetrics } from '../../../src/telemetry/metrics.js';
import { memoryLogger } from '../../harness/agent.js';

async function report(internals: Parameters<typeof reportKafkajsInternals>[0]) {
  const { log, entries: lines } = memoryLogger('info');
  const metrics = new SelfMetrics();
  reportKafkajsInternals(internals, log, metrics);
  const gauge = Object.fromEntries((await metrics.kafkajsReplacement.get()).values.map(({ labels, value }) => [labels.replacement, value]));
  return { lines, gauge };
}

describe('kafkajs internals report', () => {
  it('names the replacements installed', async () => {
    const { lines, gauge } = await report({ produce: 'installed', framing: 'installed', grouping: 'too-late', nativeCrc32c: true });
    expect(gauge).toEqual({ produce_encoder: 1, request_framing: 1, partition_grouping: 0 });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 30,
      msg: 'kafkajs internals: replaced produce_encoder, request_framing',
      kafkajs: '2.2.4',
      replacements: { produce_encoder: 'installed', request_framing: 'installed', partition_grouping: 'too-late' },
      native_crc32c: true,
    });
  });

  it('says "published KafkaJS" when none is', async () => {
    const { lines, gauge } = await report({ produce: 'off', framing: 'off', grouping: 'off', nativeCrc32c: false });
    expect(gauge).toEqual({ produce_encoder: 0, request_framing: 0, partition_grouping: 0 });
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([[30, 'kafkajs internals: published KafkaJS']]);
  });
});
