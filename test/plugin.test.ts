import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createSink } from '../src/agent/components.js';
import { BUILTIN_PLUGINS } from '../src/builtin-plugins.js';
import { ConfigError, parseConfig } from '../src/config/load.js';
import { defineSink, defineSource, PluginRegistry } from '../src/plugin.js';
import { nullLogger } from '../src/log.js';
import { RECORD_KINDS } from '../src/records.js';
import { SelfMetrics } from '../src/telemetry/metrics.js';

const source = (type: string, alias: string) =>
  defineSource({ type, alias, options: z.strictObject({ every: z.number().default(1) }), create: () => ({ name: type, type, run: async () => undefined }) });
const sink = (type: string) =>
  defineSink({
    type,
    options: z.strictObject({}),
    batchDefaults: { maxRecords: 1, lingerMs: 1 },
    create: () => {
      throw new Error('not in this test');
    },
  });

describe('plugin registry', () => {
  it('refuses a source type, a source alias or a sink type registered twice', () => {
    expect(() => new PluginRegistry({ sources: [source('a', 'x'), source('a', 'y')], sinks: [] })).toThrow('source type "a" is registered twice');
    expect(() => new PluginRegistry({ sources: [source('a', 'x'), source('b', 'x')], sinks: [] })).toThrow('source alias "x" is registered twice');
    expect(() => new PluginRegistry({ sources: [], sinks: [sink('s'), sink('s')] })).toThrow('sink type "s" is registered twice');
    expect(() => new PluginRegistry({ sources: [], sinks: [sink('s'), sink('s')] })).toThrow(
      expect.objectContaining({ name: 'DsError', code: 'PLUGIN_INVALID' }),
    );
  });

  it('an unknown source or sink type is a configuration problem', () => {
    expect(() => BUILTIN_PLUGINS.source('nope')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: 'unknown source type nope' }));
    expect(() => BUILTIN_PLUGINS.sink('nope')).toThrow(expect.objectContaining({ code: 'CONFIG_INVALID', message: 'unknown sink type nope' }));
  });

  it('a sink that says nothing takes every record kind', () => {
    expect(sink('s').accepts).toEqual(RECORD_KINDS);
  });

  it('builds the config schema from the registry it is given: a type it does not list is unknown', () => {
    const only = new PluginRegistry({ sources: [source('ticks', 't')], sinks: [BUILTIN_PLUGINS.sink('stdout')] });
    const config = parseConfig('sources:\n  t: { type: ticks, every: 5 }\nsinks:\n  out: { type: stdout, inputs: [t] }\n', 'c.yaml', only, {});
    expect(config.sources['t']).toEqual({ type: 'ticks', every: 5, daemon: 'local' });
    const err = (() => {
      try {
        parseConfig('sources:\n  e: { type: docker_events }\nsinks:\n  out: { type: stdout, inputs: [e] }\n', 'c.yaml', only, {});
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems.map((p) => p.path)).toEqual(['sources.e.type']);
  });

  it('refuses, at load, a record kind the sink cannot deliver, with its path and line', () => {
    const yaml = 'sources:\n  e: { type: docker_events }\nsinks:\n  prom:\n    type: prometheus_exporter\n    inputs: [e]\n    kinds: [stats, gap]\n';
    let err: unknown = null;
    try {
      parseConfig(yaml, 'c.yaml', BUILTIN_PLUGINS, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).problems).toEqual([
      {
        path: 'sinks.prom.kinds[1]',
        line: 7,
        message: 'a prometheus_exporter sink does not take gap records (it takes event, stats, disk_usage, alert, container_state)',
      },
    ]);
  });

  it('every built-in plugin is registered, sources with their once alias', () => {
    expect(BUILTIN_PLUGINS.sources.map((p) => [p.type, p.alias])).toEqual([
      ['docker_events', 'events'],
      ['docker_stats', 'stats'],
      ['docker_df', 'df'],
      ['docker_containers', 'containers'],
    ]);
    expect(BUILTIN_PLUGINS.sinks.map((p) => p.type)).toEqual(['stdout', 'file', 'kafka', 'otlp', 'prometheus_exporter', 'prometheus_remote_write']);
  });

  it('a sink that takes only some kinds is offered only those when its config names none', () => {
    const config = parseConfig(
      'sources:\n  e: { type: docker_events }\nsinks:\n  prom: { type: prometheus_exporter, inputs: [e], listen: "127.0.0.1:0" }\n  out: { type: stdout, inputs: [e] }\n',
      'c.yaml',
      BUILTIN_PLUGINS,
      {},
    );
    const host = () => ({ name: '', daemon: 'local', daemon_id: '', engine: 'docker' as const, version: '', api_version: '' });
    const prom = createSink('prom', config.sinks['prom']!, BUILTIN_PLUGINS, nullLogger(), new SelfMetrics(), host);
    const out = createSink('out', config.sinks['out']!, BUILTIN_PLUGINS, nullLogger(), new SelfMetrics(), host);
    expect(prom.config.kinds).toEqual(['event', 'stats', 'disk_usage', 'alert', 'container_state']);
    expect(out.config.kinds).toBeUndefined();
  });
});
