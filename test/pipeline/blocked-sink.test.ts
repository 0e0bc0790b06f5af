// A sink that never acknowledges: its queue fills, records are dropped and
// counted, and the events cursor neither waits for nor holds on to them.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../../src/log.js';
import { EventsCursor } from '../../src/sources/docker-events/cursor.js';
import type { Sink } from '../../src/pipeline/types.js';
import type { DsRecord } from '../../src/records.js';
import { SelfMetrics } from '../../src/telemetry/metrics.js';
import { memoryLogger } from '../harness/agent.js';
import { ofKind } from '../harness/records.js';
import { event, pipelineConfig, startPipeline, testSink } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

/** Takes one batch and never acknowledges it (until aborted); a second sink that delivers at once. */
function sinks(delivered: DsRecord[]): Sink[] {
  return [
    testSink('stuck', (_b, signal) => new Promise((_, reject) => signal.addEventListener('abort', () => reject(signal.reason as Error)))),
    testSink('ok', async (b) => void delivered.push(...b)),
  ];
}

describe.each(['drop_newest', 'block', 'drop_oldest'])('a sink that never acknowledges (when_full: %s)', (whenFull) => {
  it('drops and counts beyond its bound, and the events cursor moves on and stays small', async () => {
    const config = pipelineConfig(
      dirs,
      `  stuck: { type: stdout, inputs: [events], batch: { max_records: 10, linger: 1ms }, buffer: { max_records: 100, when_full: ${whenFull} } }
  ok: { type: stdout, inputs: [events], batch: { max_records: 500, linger: 1ms } }
`,
    );
    const metrics = new SelfMetrics();
    const cursor = new EventsCursor(join(config.state_dir, 'cursor', 'events.json'), 60_000, nullLogger(), null);
    const delivered: DsRecord[] = [];
    const { log, entries } = memoryLogger();
    const pipeline = await startPipeline(config, sinks(delivered), { log, metrics });
    const settlement = pipeline.settlement('events');
    settlement.listen((records) => cursor.advance(records));
    const N = 5000;
    const evs = Array.from({ length: N }, (_, i) => event(i + 1));
    for (const [i, e] of evs.entries()) {
      pipeline.emit('events', e, true);
      if (i % 100 === 99) await new Promise((r) => setImmediate(r)); // let deliveries run
    }
    await new Promise((r) => setTimeout(r, 50));

    // The stuck sink holds its bound (one batch in flight among them); everything else was dropped and counted.
    const stuck = pipeline.runners.find((r) => r.name === 'stuck');
    expect(stuck?.depth.records).toBe(100);
    const dropped = (await metrics.dropped.get()).values.find((v) => v.labels.component === 'sink:stuck');
    expect(dropped?.value).toBe(N - 100);
    expect(ofKind(delivered, 'event')).toHaveLength(N);

    // The cursor is not pinned by records the stuck sink will never deliver, and holds only what it still has queued.
    expect(settlement.unsettled).toBeLessThanOrEqual(100);
    // `block` never blocked: it is drop_newest under its old name, and says so once.
    const deprecated = entries.filter((e) => e.msg.startsWith('deprecated option value: when_full block'));
    expect(deprecated.map((e) => [e['sink'], e['use']])).toEqual(whenFull === 'block' ? [['stuck', 'drop_newest']] : []);
    if (whenFull !== 'drop_oldest') {
      // Kept: the first 100; dropped: the rest, the newest of which settles the cursor.
      expect(cursor.current?.time_nano).toBe(evs[N - 1]?.time_nano);
    } else {
      // Kept: the batch in flight and the newest; the oldest queued went.
      expect(BigInt(cursor.current?.time_nano ?? 0)).toBeGreaterThanOrEqual(BigInt(evs[N - 101]!.time_nano));
    }
    await pipeline.drain(AbortSignal.timeout(100));
  });
});

describe('a sink that is blocked for a while (memory buffer)', () => {
  it('says queue_full in the drop counter and in the gap it delivers once unblocked, with the same count', async () => {
    const config = pipelineConfig(dirs, '  slow: { type: stdout, inputs: [events], batch: { max_records: 10, linger: 1ms }, buffer: { max_records: 50 } }\n');
    const metrics = new SelfMetrics();
    const delivered: DsRecord[] = [];
    let unblock: () => void = () => undefined;
    const blocked = new Promise<void>((resolve) => (unblock = resolve));
    const slow = testSink('slow', async (b) => {
      await blocked;
      delivered.push(...b);
    });
    const pipeline = await startPipeline(config, [slow], { log: nullLogger(), metrics });
    for (let i = 1; i <= 200; i++) pipeline.emit('events', event(i), true);
    await new Promise((r) => setTimeout(r, 20));
    unblock();
    await pipeline.drain(AbortSignal.timeout(5000));

    const dropped = (await metrics.dropped.get()).values.map((v) => v.labels);
    expect(dropped).toEqual([{ component: 'sink:slow', kind: 'event', reason: 'queue_full' }]);
    const counted = (await metrics.dropped.get()).values[0]?.value;
    const gaps = ofKind(delivered, 'gap');
    expect(gaps.map((g) => [g.reason, g.component, g.dropped])).toEqual([['queue_full', 'sink:slow', counted]]);
    expect(counted).toBe(200 - 50);
  });
});
