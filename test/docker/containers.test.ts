// Container facts from every engine's recorded inspect and list bodies
// (test/fixtures/engines/<engine>/inspect-*.json, list-*.json).
import { describe, expect, it } from 'vitest';
import { dockerState, identityOf, pickLabels, statusOf } from '../../src/docker/containers.js';
import { RECORDED_ENGINES, recordedInspect, recordedJson } from '../fixtures/recorded.js';

const inspect = recordedInspect;
const list = (engine: string, c: string) => recordedJson<{ State: string; Labels: Record<string, string> }>(engine, `list-${c}.json`);

describe.each(RECORDED_ENGINES)('container facts on %s', (engine) => {
  it('health: starting, healthy, unhealthy with its failing streak; none without a check', () => {
    expect(statusOf(inspect(engine, 'starting')).health).toEqual({ status: 'starting', failing_streak: 0 });
    expect(statusOf(inspect(engine, 'healthy')).health).toEqual({ status: 'healthy', failing_streak: 0 });
    const unhealthy = statusOf(inspect(engine, 'unhealthy')).health;
    expect(unhealthy?.status).toBe('unhealthy');
    expect(unhealthy?.failing_streak).toBeGreaterThanOrEqual(2);
    // Podman 4 puts an empty Health on every container without a check: still none.
    for (const c of ['exited', 'paused', 'created', 'compose']) expect(statusOf(inspect(engine, c)).health, c).toBeNull();
  });

  it('restarts, exit codes, and never-set times as null', () => {
    const restarted = statusOf(inspect(engine, 'restarted'));
    expect([restarted.state, restarted.restart_count, restarted.exit_code]).toEqual(['exited', 3, 1]);
    const exited = statusOf(inspect(engine, 'exited'));
    expect([exited.state, exited.restart_count, exited.exit_code, exited.oom_killed]).toEqual(['exited', 0, 3, false]);
    expect(exited.started_at).toMatch(/^20\d\d-\d\d-\d\dT/);
    expect(exited.finished_at).toMatch(/^20\d\d-\d\d-\d\dT/);
    const created = statusOf(inspect(engine, 'created'));
    expect(created).toEqual({ state: 'created', health: null, restart_count: 0, oom_killed: false, exit_code: null, started_at: null, finished_at: null });
    const running = statusOf(inspect(engine, 'healthy'));
    expect([running.state, running.exit_code, running.finished_at]).toEqual(['running', null, null]);
    expect(statusOf(inspect(engine, 'paused')).state).toBe('paused');
  });

  it('OOM: killed with 137, and OOMKilled where the engine reports it (not Podman 4)', () => {
    const oom = statusOf(inspect(engine, 'oom'));
    expect([oom.state, oom.exit_code, oom.oom_killed]).toEqual(['exited', 137, engine !== 'podman-4']);
  });

  it('Compose and Swarm identity from the labels, in list entries and inspect bodies alike', () => {
    const compose = { compose: { project: 'shop', service: 'web', number: 2 } };
    expect(identityOf(list(engine, 'compose').Labels)).toEqual(compose);
    expect(identityOf(inspect(engine, 'compose').Config?.Labels ?? {})).toEqual(compose);
    const swarm = identityOf(list(engine, 'swarm').Labels).swarm;
    expect(swarm?.service).toBe('shop_api');
    expect(swarm?.task).toMatch(/^shop_api\.1\./);
    expect(swarm?.node_id).toMatch(/^\w+$/);
    expect(identityOf(list(engine, 'exited').Labels)).toEqual({});
  });

  it("list states in Docker's words (Podman 5 says stopped for exited)", () => {
    expect(dockerState(list(engine, 'exited').State)).toBe('exited');
    expect(dockerState(list(engine, 'paused').State)).toBe('paused');
    expect(dockerState(list(engine, 'created').State)).toBe('created');
  });
});

describe('label keys copied into records', () => {
  it('picks only the configured label keys, and none when no keys are configured', () => {
    const labels = { team: 'web', tier: 'front' };
    expect(pickLabels(labels, ['team', 'missing'])).toEqual({ team: 'web' });
    expect(pickLabels(labels, [])).toBeUndefined();
  });

  it('reads only labels the container has: a key named like an Object.prototype member is absent', () => {
    const labels = JSON.parse('{"team":"web"}') as Record<string, string>;
    expect(pickLabels(labels, ['constructor', 'toString', 'team'])).toEqual({ team: 'web' });
  });
});
