import { describe, expect, it } from 'vitest';
import { planReload } from '../../src/agent/reload-plan.js';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';
import { parseConfig } from '../../src/config/load.js';

const config = (daemons: string, sources: string) =>
  parseConfig(
    `docker: { host: "unix:///run/a.sock" }\n${daemons}\nsources:\n${sources}\nsinks:\n  out: { type: stdout, inputs: [e1] }\n`,
    'c.yaml',
    BUILTIN_PLUGINS,
    {},
  );

describe('reload plan with several daemons', () => {
  const before = config(
    'daemons:\n  b: { host: "unix:///run/b.sock" }',
    '  e1: { type: docker_events }\n  e2: { type: docker_events, daemon: b }\n  s2: { type: docker_stats, daemon: b }',
  );

  it("a daemon's changed address restarts its sources only", () => {
    const after = config(
      'daemons:\n  b: { host: "unix:///run/b2.sock" }',
      '  e1: { type: docker_events }\n  e2: { type: docker_events, daemon: b }\n  s2: { type: docker_stats, daemon: b }',
    );
    const plan = planReload(before, after);
    expect(plan.daemons).toEqual({ changed: ['b'], add: [], remove: [] });
    expect(plan.sources).toEqual({ add: [], restart: ['e2', 's2'], remove: [] });
  });

  it('the local daemon changing restarts the local sources; a daemon no source reads any more goes', () => {
    const after = config('daemons:\n  b: { host: "unix:///run/b.sock" }', '  e1: { type: docker_events }');
    const moved = planReload(before, { ...after, docker: { ...after.docker, host: 'unix:///run/a2.sock' } });
    expect(moved.daemons).toEqual({ changed: ['local'], add: [], remove: ['b'] });
    expect(moved.sources).toEqual({ add: [], restart: ['e1'], remove: ['e2', 's2'] });
  });

  it('a source moved to another daemon restarts; a new daemon in use is added', () => {
    const after = config(
      'daemons:\n  b: { host: "unix:///run/b.sock" }\n  c: { host: "unix:///run/c.sock" }',
      '  e1: { type: docker_events }\n  e2: { type: docker_events, daemon: c }\n  s2: { type: docker_stats, daemon: b }',
    );
    const plan = planReload(before, after);
    expect(plan.daemons).toEqual({ changed: [], add: ['c'], remove: [] });
    expect(plan.sources).toEqual({ add: [], restart: ['e2'], remove: [] });
  });

  it('refuses a source naming a daemon that does not exist, and a daemon called local', () => {
    expect(() => config('', '  e1: { type: docker_events, daemon: nope }')).toThrow(/sources\.e1\.daemon: unknown daemon "nope" \(daemons: local\)/);
    expect(() => config('daemons:\n  local: { host: "unix:///x" }', '  e1: { type: docker_events }')).toThrow(
      /daemons\.local: "local" is the daemon the docker: block configures/,
    );
  });
});
