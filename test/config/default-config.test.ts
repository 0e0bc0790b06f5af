import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BUILTIN_CONFIG_YAML } from '../../src/config/builtin.js';
import { parseConfig } from '../../src/config/load.js';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';
import { locateConfig } from '../../src/config/locate.js';
// @ts-expect-error: a plain .mjs build script without types
import { builtinModule } from '../../scripts/gen-builtin-config.mjs';

describe('config.yaml (the default and documented example)', () => {
  it('is the built-in default, byte for byte (npm run gen:config regenerates src/config/builtin.ts)', () => {
    expect(BUILTIN_CONFIG_YAML).toBe(readFileSync('config.yaml', 'utf8'));
    expect(readFileSync('src/config/builtin.ts', 'utf8')).toBe(builtinModule(readFileSync('config.yaml', 'utf8')));
    expect(locateConfig(undefined, {}, () => false)).toEqual({ kind: 'builtin' });
  });

  it('is valid, with no fixed daemon (found like the docker CLI), events, stats and disk sources, and one stdout sink', () => {
    const c = parseConfig(readFileSync('config.yaml', 'utf8'), 'config.yaml', BUILTIN_PLUGINS, {});
    expect(c.docker.host).toBeUndefined();
    expect(Object.fromEntries(Object.entries(c.sources).map(([k, v]) => [k, v.type]))).toEqual({
      events: 'docker_events',
      stats: 'docker_stats',
      disk: 'docker_df',
    });
    expect(Object.keys(c.sinks)).toEqual(['console']);
    expect(c.sinks['console']).toMatchObject({ type: 'stdout', inputs: ['events', 'stats', 'disk'] });
    expect(c.state_dir).toBe('/var/lib/dockstream');
    expect(c.sources['stats']).toMatchObject({ interval: 10_000 });
    expect(c.sources['disk']).toMatchObject({ interval: 300_000, timeout: 120_000 });
  });

  it('follows STATE_DIRECTORY like systemd (DOCKER_HOST is read by the daemon lookup, not the file)', () => {
    const c = parseConfig(readFileSync('config.yaml', 'utf8'), 'config.yaml', BUILTIN_PLUGINS, {
      DOCKER_HOST: 'tcp://127.0.0.1:2375',
      STATE_DIRECTORY: '/srv/dockstream',
    });
    expect(c.docker.host).toBeUndefined();
    expect(c.state_dir).toBe('/srv/dockstream');
  });
});
