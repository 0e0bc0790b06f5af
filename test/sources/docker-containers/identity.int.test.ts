// Compose identity (hand-set com.docker.compose.* labels) on every record kind
// that names a container, and a removed container's last container_state
// record, on every engine of the matrix (issue #20).
import { describe, expect, it } from 'vitest';
import type { ContainerStateRecord, InventoryContainer } from '../../../src/records.js';
import { waitFor } from '../../harness/agent.js';
import { BUSYBOX_IMAGE } from '../../harness/busybox.js';
import { DOCKER_ENGINES, PODMAN_ENGINES, type EngineName } from '../../harness/engines.js';
import { sleep } from '../../harness/proc.js';
import { ofKind } from '../../harness/records.js';
import { eventsOf, SHOP_WEB_LABELS, statesOf, statsOf, useLiveAgent } from './live.js';

const ENGINES: readonly EngineName[] = [...DOCKER_ENGINES, ...PODMAN_ENGINES];
const COMPOSE_LABELS = [...SHOP_WEB_LABELS, '--label', 'com.docker.compose.oneoff=False'];
const SHOP_WEB = { project: 'shop', service: 'web', number: 2 };

describe.each(ENGINES)('Compose identity and removal in the records of a real engine (%s)', (engine) => {
  let id = '';
  // Before the agent: the container is in its start inventory.
  const live = useLiveAgent(engine, 'cident', 'com.docker.compose.project=shop', {
    before: async (e) => {
      id = await e.run(['--name', 'shop-web-2', ...COMPOSE_LABELS, '--health-cmd', 'true', '--health-interval', '1s', BUSYBOX_IMAGE, 'sleep', '3600']);
    },
  });

  it('the container carries compose { shop, web, 2 } in its inventory entry, container_state, event and stats records', async () => {
    const agent = live.agent;
    // Podman names the image it imported `localhost/…`, in its list, inspect and events alike.
    const image = live.engine.podman ? `localhost/${BUSYBOX_IMAGE}` : BUSYBOX_IMAGE;
    const entry = ofKind(agent.records(), 'inventory')[0]?.containers.find((c) => c.id === id) as InventoryContainer;
    expect(entry).toMatchObject({
      name: 'shop-web-2',
      image,
      state: 'running',
      compose: SHOP_WEB,
      restart_count: 0,
      oom_killed: false,
      exit_code: null,
      finished_at: null,
    });
    expect(entry.swarm).toBeUndefined();
    expect(entry.started_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/);
    // A health check that has not failed: starting until its first run (Podman: none runs here), then healthy.
    expect(['starting', 'healthy']).toContain(entry.health?.status);
    expect(entry.labels['com.docker.compose.service']).toBe('web');

    // Its first container_state record comes from the first resync (the list at start).
    await waitFor(() => statesOf(agent.records(), id).length > 0, 30_000, 'a container_state record');
    const first = statesOf(agent.records(), id)[0] as ContainerStateRecord;
    expect(first).toMatchObject({ state: 'running', changes: ['first_seen'], restart_count: 0 });
    expect(first.container).toMatchObject({ id, name: 'shop-web-2', image, compose: SHOP_WEB });

    await waitFor(() => statsOf(agent.records(), id).length >= 2, 30_000, 'two stats records');
    for (const s of statsOf(agent.records(), id)) expect(s.container).toMatchObject({ name: 'shop-web-2', image, compose: SHOP_WEB });

    // Events after the agent started: pause and unpause, each followed by an inspect.
    await live.engine.cliOk(['pause', id]);
    await waitFor(() => statesOf(agent.records(), id).some((r) => r.state === 'paused'), 30_000, 'a paused record');
    await live.engine.cliOk(['unpause', id]);
    await waitFor(() => statesOf(agent.records(), id).at(-1)?.state === 'running', 30_000, 'running again');
    const evs = eventsOf(agent.records(), id);
    expect(evs.map((r) => r.action)).toEqual(expect.arrayContaining(['pause', 'unpause']));
    for (const ev of evs) expect([ev.action, ev.container?.compose, ev.container?.image]).toEqual([ev.action, SHOP_WEB, image]);
    for (const r of statesOf(agent.records(), id)) expect(r.container.compose).toEqual(SHOP_WEB);
  });

  it('a removed container gets a last container_state record with state removed', async () => {
    const agent = live.agent;
    const before = statesOf(agent.records(), id).at(-1) as ContainerStateRecord;
    await live.engine.remove(id);
    await waitFor(() => eventsOf(agent.records(), id).some((r) => r.action === 'destroy'), 30_000, 'the destroy event');
    await waitFor(() => statesOf(agent.records(), id).at(-1)?.state === 'removed', 30_000, 'a removed record');
    // Inspects asked for by the kill / die events may still be under way: nothing may follow the removal.
    await sleep(1500);
    const records = statesOf(agent.records(), id);
    const removed = records.at(-1) as ContainerStateRecord;
    expect(removed).toMatchObject({ state: 'removed', changes: ['removed'] });
    expect(removed.container).toMatchObject({ id, name: 'shop-web-2', compose: SHOP_WEB });
    expect(records.filter((r) => r.state === 'removed')).toHaveLength(1);
    expect(Date.parse(removed.time)).toBeGreaterThanOrEqual(Date.parse(before.time));
    expect(eventsOf(agent.records(), id).find((r) => r.action === 'destroy')?.container?.compose).toEqual(SHOP_WEB);
  });
});
