import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createSink } from '../../src/agent/components.js';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { PluginRegistry } from '../../src/plugin.js';
import { SelfMetrics } from '../../src/telemetry/metrics.js';
import { countSinkPlugin } from '../../docs/examples/count-sink.js';
import { memoryLogger } from '../harness/agent.js';
import { HOST, event } from '../pipeline/fixtures.js';

const registry = new PluginRegistry({ sources: BUILTIN_PLUGINS.sources, sinks: [...BUILTIN_PLUGINS.sinks, countSinkPlugin] });

describe("design.md's worked sink example", () => {
  it('is quoted in docs/design.md exactly as compiled', () => {
    expect(readFileSync('docs/design.md', 'utf8')).toContain('```ts\n' + readFileSync('docs/examples/count-sink.ts', 'utf8') + '```');
  });

  it('registers, validates its options and kinds, and counts a batch', async () => {
    const yaml = (extra: string) => `sources:\n  e: { type: docker_events }\nsinks:\n  c: { type: count, inputs: [e], label: L${extra} }\n`;
    const config = parseConfig(yaml(''), 'c.yaml', registry, {});
    expect(() => parseConfig(yaml(', colour: red'), 'c.yaml', registry, {})).toThrow(ConfigError);
    expect(() => parseConfig(yaml(', kinds: [gap]'), 'c.yaml', registry, {})).toThrow(/a count sink does not take gap records/);
    const { log, entries } = memoryLogger();
    const { sink, config: settings } = createSink('c', config.sinks['c']!, registry, log, new SelfMetrics(), () => HOST);
    expect(settings.kinds).toEqual(['event', 'stats']);
    await sink.start(AbortSignal.timeout(1000));
    expect(await sink.check(AbortSignal.timeout(1000))).toBe('ready (L)');
    await sink.send([event(1), event(2)], AbortSignal.timeout(1000));
    expect(entries.filter((e) => e.msg === 'batch counted').map((e) => [e['sink'], e['label'], e['records']])).toEqual([['c', 'L', 2]]);
    await sink.close();
    await sink.close();
    await expect(sink.send([event(3)], AbortSignal.timeout(1000))).rejects.toMatchObject({ retryable: false });
  });
});
