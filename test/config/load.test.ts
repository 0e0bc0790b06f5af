import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, substituteVars } from '../../src/config/load.js';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';

const GOOD = `
docker:
  host: unix:///tmp/none.sock
  timeout: 5s
sources:
  events:
    type: docker_events
    filters:
      type: [container, volume]
sinks:
  out:
    type: stdout
    inputs: [events]
    batch: { max_records: 10, linger: 50ms }
    buffer: { max_size: 1MiB }
`;

function problems(text: string, env: NodeJS.ProcessEnv = {}) {
  try {
    parseConfig(text, 'test.yaml', BUILTIN_PLUGINS, env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config loading', () => {
  it('parses a valid config with human durations and sizes', () => {
    const c = parseConfig(GOOD, 'test.yaml', BUILTIN_PLUGINS, {});
    expect(c.docker.timeout).toBe(5000);
    expect(c.sinks['out']?.batch).toEqual({ max_records: 10, linger: 50 });
    expect(c.sinks['out']?.buffer).toEqual({ type: 'memory', max_records: 10_000, max_size: 1024 * 1024, when_full: 'drop_newest' });
    expect(c.sources['events']).toMatchObject({ type: 'docker_events', filters: { type: ['container', 'volume'] } });
    expect(c.telemetry.listen).toBe('127.0.0.1:9323');
  });

  it('substitutes ${VAR} and ${VAR:-default} in values, restoring types of plain scalars', () => {
    // Inside a flow mapping `{…}` YAML itself needs the reference quoted; block style is plain.
    const text = GOOD.replace('unix:///tmp/none.sock', '${DOCK:-unix:///default.sock}').replace(
      'batch: { max_records: 10, linger: 50ms }',
      'batch:\n      max_records: ${BATCH}',
    );
    const c = parseConfig(text, 't.yaml', BUILTIN_PLUGINS, { BATCH: '25' });
    expect(c.docker.host).toBe('unix:///default.sock');
    expect(c.sinks['out']?.batch.max_records).toBe(25);
    const c2 = parseConfig(text, 't.yaml', BUILTIN_PLUGINS, { BATCH: '25', DOCK: 'tcp://127.0.0.1:2375' });
    expect(c2.docker.host).toBe('tcp://127.0.0.1:2375');
    expect(substituteVars('a$$b ${X}', { X: '1' }, () => undefined)).toBe('a$b 1');
  });

  it('reports every problem at once, with path and line', () => {
    const text = `docker:
  host: \${NOPE}
  colour: blue
sources:
  events:
    type: docker_events
    filters:
      typo: [container]
sinks:
  out:
    type: stdout
    inputs: [events, missing]
    batch:
      max_records: lots
`;
    const ps = problems(text);
    const byPath = Object.fromEntries(ps.map((p) => [p.path, p]));
    expect(byPath['docker.host']).toMatchObject({ line: 2, message: expect.stringContaining('NOPE is not set') });
    expect(byPath['docker.colour']).toMatchObject({ line: 3, message: 'unknown key' });
    expect(byPath['sources.events.filters.typo']).toMatchObject({ line: 8, message: 'unknown key' });
    expect(byPath['sinks.out.batch.max_records']).toMatchObject({ line: 14, message: expect.stringMatching(/number/) });
    expect(byPath['sinks.out.inputs[1]']).toMatchObject({ line: 12, message: 'unknown source "missing" (sources: events)' });
    expect(ps.length).toBe(5);
  });

  it('reports an unknown source named in inputs with its index and line', () => {
    const ps = problems(GOOD.replace('inputs: [events]', 'inputs:\n      - events\n      - stats'));
    expect(ps).toEqual([{ path: 'sinks.out.inputs[1]', line: 15, message: 'unknown source "stats" (sources: events)' }]);
  });

  it('rejects unknown filter values and bad durations', () => {
    const ps = problems(GOOD.replace('[container, volume]', '[container, volumes]').replace('timeout: 5s', 'timeout: soon'));
    expect(ps.map((p) => p.path)).toEqual(['docker.timeout', 'sources.events.filters.type[1]']);
    expect(ps[0]?.message).toContain('not a duration');
    expect(ps[1]?.message).toContain('unknown event type "volumes"');
  });

  it('reports YAML syntax errors with a line', () => {
    const ps = problems('sources:\n  events: [\n');
    expect(ps[0]?.line).toBeGreaterThanOrEqual(2);
  });

  it('formats the error with file:line: path: message', () => {
    try {
      parseConfig(GOOD.replace('type: stdout', 'type: stdout\n    colour: 1'), 'cfg.yaml', BUILTIN_PLUGINS, {});
      expect.unreachable();
    } catch (err) {
      expect((err as Error).message).toBe('cfg.yaml: invalid configuration\n  cfg.yaml:13: sinks.out.colour: unknown key');
    }
  });
});
