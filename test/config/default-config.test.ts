import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';

describe('config.yaml (the default and documented example)', () => {
  it('is valid, with the local daemon, events, stats and disk sources, and one stdout sink', () => {
    const c = parseConfig(readFileSync('config.yaml', 'utf8'), 'config.yaml', {});
    expect(c.docker.host).toBe('unix:///var/run/docker.sock');
    expect(Object.fromEntries(Object.entries(c.sources).map(([k, v]) => [k, v.type]))).toEqual({
      events: 'docker_events',
      stats: 'docker_stats',
      disk: 'docker_df',
    });
    expect(Object.keys(c.sinks)).toEqual(['console']);
    expect(c.sinks['console']).toMatchObject({ type: 'stdout', inputs: ['events', 'stats', 'disk'] });
    expect(c.state_dir).toBe('./state');
    expect(c.sources['stats']).toMatchObject({ interval: 10_000 });
    expect(c.sources['disk']).toMatchObject({ interval: 300_000, timeout: 120_000 });
  });

  it('follows DOCKER_HOST and STATE_DIRECTORY like the CLI and systemd', () => {
    const c = parseConfig(readFileSync('config.yaml', 'utf8'), 'config.yaml', { DOCKER_HOST: 'tcp://127.0.0.1:2375', STATE_DIRECTORY: '/var/lib/dockstream' });
    expect(c.docker.host).toBe('tcp://127.0.0.1:2375');
    expect(c.state_dir).toBe('/var/lib/dockstream');
  });
});
