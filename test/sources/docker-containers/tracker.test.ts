// The docker_containers source's bookkeeping over recorded inspect bodies of
// every engine (test/fixtures/engines/<engine>/inspect-*.json).
import { describe, expect, it } from 'vitest';
import type { RawInspect } from '../../../src/docker/containers.js';
import { ContainerTracker } from '../../../src/sources/docker-containers/tracker.js';
import { RECORDED_ENGINES, recordedInspect } from '../../fixtures/recorded.js';
import { host } from '../../harness/records.js';

const inspect = recordedInspect;
const T = '2026-12-07T17:00:00.000000000Z';

/** The same container (the unhealthy one's id) moved to another recorded state. */
function as(engine: string, c: string, id: string): RawInspect {
  return { ...inspect(engine, c), Id: id };
}

describe.each(RECORDED_ENGINES)('container tracker on %s', (engine) => {
  const h = host({ engine: engine.startsWith('podman') ? 'podman' : 'docker' });

  it('a first sight is a record; the same state again is none; a health change is one', () => {
    const t = new ContainerTracker([]);
    const id = inspect(engine, 'starting').Id as string;
    const first = t.observe(inspect(engine, 'starting'), h, T);
    expect(first).toMatchObject({
      kind: 'container_state',
      changes: ['first_seen'],
      state: 'running',
      health: { status: 'starting' },
      restart_count: 0,
      oom_kills: 0,
    });
    expect(first?.container.id).toBe(id);
    expect(first?.container.image_id).toMatch(/^(sha256:)?[0-9a-f]{64}$/);
    expect(t.observe(inspect(engine, 'starting'), h, T)).toBeNull();
    const unhealthy = t.observe(as(engine, 'unhealthy', id), h, T);
    expect(unhealthy?.changes).toEqual(['health']);
    expect(unhealthy?.health?.status).toBe('unhealthy');
  });

  it('restarts and exit codes are changes; a container gone is a last record marked removed', () => {
    const t = new ContainerTracker([]);
    const id = inspect(engine, 'healthy').Id as string;
    t.observe(as(engine, 'healthy', id), h, T);
    const restarted = t.observe(as(engine, 'restarted', id), h, T);
    expect(restarted?.changes).toEqual(['state', 'health', 'restart_count', 'exit_code']);
    expect([restarted?.restart_count, restarted?.exit_code, restarted?.state]).toEqual([3, 1, 'exited']);
    const removed = t.remove(id, h, '2026-12-07T17:00:01.000000000Z');
    expect(removed).toMatchObject({ state: 'removed', changes: ['removed'], restart_count: 3, time: '2026-12-07T17:00:01.000000000Z' });
    expect(t.remove(id, h, T)).toBeNull();
    expect(t.has(id)).toBe(false);
  });

  it('counts an OOM kill once, from its oom event or, without one, from OOMKilled turning true', () => {
    const t = new ContainerTracker([]);
    const id = inspect(engine, 'oom').Id as string;
    t.observe(as(engine, 'healthy', id), h, T);
    t.oom(id); // Docker's `oom` event; Podman sends none
    const killed = t.observe(as(engine, 'oom', id), h, T);
    expect(killed?.oom_kills).toBe(1);
    expect(killed?.changes).toContain('oom_killed');
    expect(killed?.exit_code).toBe(137);
    const t2 = new ContainerTracker([]);
    t2.observe(as(engine, 'healthy', id), h, T);
    // No event: Podman 5 still says OOMKilled; Podman 4 never does, so it counts none there.
    expect(t2.observe(as(engine, 'oom', id), h, T)?.oom_kills).toBe(engine === 'podman-4' ? 0 : 1);
  });

  it('carries Compose identity and the configured labels', () => {
    const t = new ContainerTracker(['com.docker.compose.service', 'absent']);
    const r = t.observe(inspect(engine, 'compose'), h, T);
    expect(r?.container.compose).toEqual({ project: 'shop', service: 'web', number: 2 });
    expect(r?.container.labels).toEqual({ 'com.docker.compose.service': 'web' });
  });
});

describe('OOM kills per run', () => {
  const h = host();
  const body = inspect('docker-20.10', 'oom');
  const S1 = '2026-12-07T17:40:26.396635373Z';
  const S2 = '2026-12-07T17:40:27.512000000Z';
  /** The OOM container in run `startedAt`, running or exited, with OOMKilled as given. */
  const at = (startedAt: string, status: 'running' | 'exited' | 'restarting', oomKilled: boolean): RawInspect => ({
    ...body,
    State: {
      ...body.State,
      Status: status,
      OOMKilled: oomKilled,
      StartedAt: startedAt,
      ExitCode: status === 'running' ? 0 : 137,
      FinishedAt: status === 'running' ? '0001-01-01T00:00:00Z' : '2026-12-07T17:40:28Z',
    },
  });
  const id = body.Id as string;

  it('Docker 20.10: the oom event while running and OOMKilled at the exit are one kill', () => {
    const t = new ContainerTracker([]);
    t.observe(at(S1, 'running', false), h, T);
    t.oom(id);
    expect(t.observe(at(S1, 'running', false), h, T)).toMatchObject({ oom_kills: 1, oom_killed: false, changes: ['oom_killed'] });
    expect(t.observe(at(S1, 'exited', true), h, T)).toMatchObject({ oom_kills: 1, oom_killed: true, changes: ['state', 'oom_killed', 'exit_code'] });
  });

  it("a restarted container keeps its last exit's OOMKilled while it runs: not a kill; its next OOM exit is", () => {
    const t = new ContainerTracker([]);
    t.observe(at(S1, 'running', false), h, T);
    t.oom(id);
    expect(t.observe(at(S1, 'restarting', true), h, T)?.oom_kills).toBe(1);
    expect(t.observe(at(S2, 'running', true), h, T)?.oom_kills).toBe(1);
    t.oom(id);
    expect(t.observe(at(S2, 'exited', true), h, T)?.oom_kills).toBe(2);
  });

  it("events pending across a restart: one is the new run's when it ended OOM-killed, the rest the old run's", () => {
    const t = new ContainerTracker([]);
    t.observe(at(S1, 'running', false), h, T);
    t.oom(id);
    expect(t.observe(at(S2, 'running', true), h, T)?.oom_kills).toBe(1);
    const t2 = new ContainerTracker([]);
    t2.observe(at(S1, 'running', false), h, T);
    t2.oom(id);
    t2.oom(id);
    expect(t2.observe(at(S2, 'exited', true), h, T)?.oom_kills).toBe(2);
  });

  it('without events (Podman 5): one kill per run that ended with OOMKilled', () => {
    const t = new ContainerTracker([]);
    t.observe(at(S1, 'running', false), h, T);
    expect(t.observe(at(S1, 'exited', true), h, T)?.oom_kills).toBe(1);
    expect(t.observe(at(S2, 'running', true), h, T)?.oom_kills).toBe(1);
    expect(t.observe(at(S2, 'exited', true), h, T)?.oom_kills).toBe(2);
  });

  it('reports the current state again on request, with nothing changed (resync)', () => {
    const t = new ContainerTracker([]);
    const first = t.observe(inspect('docker-28', 'healthy'), host(), T);
    const again = t.current(first?.container.id ?? '', host(), '2026-12-07T17:00:30.000000000Z');
    expect(again).toEqual({ ...first, time: '2026-12-07T17:00:30.000000000Z', changes: [] });
    expect(t.current('unknown', host(), T)).toBeNull();
  });
});
