import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';
import { parseConfig } from '../../src/config/load.js';
import type { Config } from '../../src/config/schema.js';
import type { Logger } from '../../src/log.js';
import { Pipeline } from '../../src/pipeline/pipeline.js';
import type { Sink } from '../../src/pipeline/types.js';
import type { EventRecord } from '../../src/records.js';
import type { SelfMetrics } from '../../src/telemetry/metrics.js';
import { eventRecord, HOST } from '../harness/records.js';

export { HOST };

/** A small event record; `n` makes it unique and orders time_nano. */
export function event(n: number, opts: { timeNano?: string; id?: string } = {}): EventRecord {
  return eventRecord({
    time: '2027-01-15T08:00:00.000000000Z',
    actor: { id: opts.id ?? `c${n}`, attributes: { name: `n${n}` } },
    time_nano: opts.timeNano ?? String(1_800_000_000_000_000_000n + BigInt(n)),
  });
}

/** A sink for pipeline tests: `send` is the behaviour under test; the rest does nothing. */
export function testSink(name: string, send: Sink['send']): Sink {
  return { name, type: 'test', check: async () => 'ok', start: async () => undefined, close: async () => undefined, send };
}

/**
 * A config with one `events` source feeding the sinks `sinksYaml` configures
 * (two-space indented entries), its state in a fresh temp dir pushed to `dirs`.
 */
export function pipelineConfig(dirs: string[], sinksYaml: string): Config {
  const dir = mkdtempSync(join(tmpdir(), 'ds-pipeline-'));
  dirs.push(dir);
  const yaml = `state_dir: ${dir}\ntelemetry: { listen: false }\nsources:\n  events: { type: docker_events }\nsinks:\n${sinksYaml}`;
  return parseConfig(yaml, 'pipeline.yaml', BUILTIN_PLUGINS, {});
}

/** A started pipeline over `sinks` as `config` sets them up (batch defaults: 10 records, 1 ms). */
export async function startPipeline(config: Config, sinks: readonly Sink[], deps: { log: Logger; metrics: SelfMetrics }): Promise<Pipeline> {
  const parts = sinks.map((sink) => ({ sink, defaults: { maxRecords: 10, lingerMs: 1 }, config: config.sinks[sink.name]! }));
  const pipeline = new Pipeline(config, parts, { ...deps, host: () => HOST });
  await pipeline.open();
  pipeline.start();
  return pipeline;
}
