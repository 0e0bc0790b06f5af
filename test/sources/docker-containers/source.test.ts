/**
 * The docker_containers source against the fake daemon (test/harness/fake-daemon.ts):
 * what its resync and its event-driven inspects do to each other, with list and
 * inspect answers held back to order them. (Against real engines: *.int.test.ts here.)
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerClient } from '../../../src/docker/client.js';
import type { RawInspect } from '../../../src/docker/containers.js';
import { resolveConnection } from '../../../src/docker/host.js';
import { nullLogger } from '../../../src/log.js';
import type { DsRecord } from '../../../src/records.js';
import { dockerContainersPlugin } from '../../../src/sources/docker-containers/plugin.js';
import type { SelfMetrics } from '../../../src/telemetry/metrics.js';
import { waitFor } from '../../harness/agent.js';
import { sendJson, startFakeDaemon, type FakeDaemon, type Route } from '../../harness/fake-daemon.js';
import { eventRecord, ofKind } from '../../harness/records.js';
import { collectingContext } from '../../harness/source-context.js';

const X = 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90';
const Y = 'b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90a1';

/** A running container without a health check, as inspect answers. */
function inspectBody(id: string): RawInspect {
  return {
    Id: id,
    Name: `/c-${id.slice(0, 4)}`,
    Image: 'sha256:' + 'f'.repeat(64),
    RestartCount: 0,
    State: { Status: 'running', OOMKilled: false, ExitCode: 0, StartedAt: '2026-12-07T17:00:00.000000000Z', FinishedAt: '0001-01-01T00:00:00Z' },
    Config: { Image: 'local/busybox:1', Labels: {} },
  };
}

/** The same container as the list shows it. */
const listed = (id: string) => ({ Id: id, Names: [`/c-${id.slice(0, 4)}`], Image: 'local/busybox:1', State: 'running', Labels: {} });

const inspectPath = (id: string) => `/containers/${id}/json`;

/** Answers held until the test sends them, in arrival order, with how many are in flight at most. */
function holding() {
  const held: ServerResponse[] = [];
  const h = {
    held,
    active: 0,
    maxActive: 0,
    route: ((_req, res) => {
      held.push(res);
      h.active++;
      h.maxActive = Math.max(h.maxActive, h.active);
      res.on('close', () => h.active--);
    }) as Route,
  };
  return h;
}

const statesOf = (records: readonly DsRecord[], id: string) =>
  ofKind(records, 'container_state')
    .filter((r) => r.container.id === id)
    .map((r) => r.changes);

async function counted(metrics: SelfMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const { values } = await (
    metrics.registry.getSingleMetric(name) as { get(): Promise<{ values: Array<{ value: number; labels: Record<string, string> }> }> }
  ).get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((a, v) => a + v.value, 0);
}

interface Harness {
  daemon: FakeDaemon;
  docker: DockerClient;
}
const open: Harness[] = [];

async function setup(routes: Record<string, Route>, negotiate = true): Promise<Harness> {
  const daemon = await startFakeDaemon({ routes });
  const docker = new DockerClient(resolveConnection({ host: daemon.host }), { timeoutMs: 5000, log: nullLogger() });
  const h = { daemon, docker };
  open.push(h);
  if (negotiate) await docker.negotiate();
  return h;
}

/** Runs the source (1s resync, as short as it goes) until `stop()`. */
async function runSource(h: Harness, options: Record<string, unknown> = {}) {
  const ac = new AbortController();
  const { ctx, records, metrics, publishEvent } = collectingContext(h.docker, await h.docker.identity(), ac.signal);
  const source = dockerContainersPlugin.create('containers', dockerContainersPlugin.options.parse({ resync: '1s', ...options }));
  const running = source.run(ctx);
  const stop = async (): Promise<void> => {
    ac.abort();
    await running;
  };
  return { records, metrics, publishEvent, stop };
}

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.docker.close();
    await h.daemon.close();
  }
});

describe('docker_containers source against a fake daemon', () => {
  it('does not negotiate again a client the agent negotiated, and negotiates one nobody did', async () => {
    const negotiated = await setup({});
    const a = await runSource(negotiated);
    await waitFor(() => negotiated.daemon.requestsTo('/containers/json').length > 0, 10_000, 'the first list');
    await a.stop();
    expect([negotiated.daemon.requestsTo('/_ping').length, negotiated.daemon.requestsTo('/version').length]).toEqual([1, 2]); // setup; setup + identity

    const fresh = await setup({}, false);
    const b = await runSource(fresh);
    await waitFor(() => fresh.daemon.requestsTo('/containers/json').length > 0, 10_000, 'the first list');
    await b.stop();
    expect(fresh.daemon.requestsTo('/_ping')).toHaveLength(1);
    expect(fresh.docker.apiVersion).toBe('1.41');
  });

  it('leaves a container an event is inspecting to that inspect, and keeps every inspect within `concurrency`', async () => {
    const list = holding();
    const inspect = holding();
    const h = await setup({ '/containers/json': list.route, [inspectPath(X)]: inspect.route, [inspectPath(Y)]: inspect.route });
    const src = await runSource(h, { concurrency: 1 });
    await waitFor(() => list.held.length === 1, 10_000, 'the first list');
    src.publishEvent(eventRecord({ action: 'start', actor: { id: X, attributes: {} } }));
    await waitFor(() => inspect.held.length === 1, 10_000, "the event's inspect of X");
    // The list shows X (being inspected) and Y (new): Y waits for the one slot; X is not inspected again.
    sendJson(list.held[0] as ServerResponse, [listed(X), listed(Y)]);
    // At the next tick the resync still waits (a skipped tick): by then any extra inspect would have been sent.
    await waitFor(
      async () => (await counted(src.metrics, 'dockstream_skipped_ticks_total', { source: 'containers', reason: 'busy' })) > 0,
      10_000,
      'a busy tick',
    );
    expect(h.daemon.requestsTo(inspectPath(X))).toHaveLength(1);
    expect(h.daemon.requestsTo(inspectPath(Y))).toHaveLength(0);
    sendJson(inspect.held[0] as ServerResponse, inspectBody(X));
    await waitFor(() => inspect.held.length === 2, 10_000, "the resync's inspect of Y");
    sendJson(inspect.held[1] as ServerResponse, inspectBody(Y));
    // Y changed (first seen) in this resync; X's own inspect said first_seen, and the resync its current state.
    await waitFor(() => statesOf(src.records, X).length === 2, 10_000, 'the end of the resync');
    await src.stop();
    expect(inspect.maxActive).toBe(1);
    expect([h.daemon.requestsTo(inspectPath(X)).length, h.daemon.requestsTo(inspectPath(Y)).length]).toEqual([1, 1]);
    expect([statesOf(src.records, X), statesOf(src.records, Y)]).toEqual([[['first_seen'], []], [['first_seen']]]);
  });

  it('does not take a container an event added while the list was in flight for gone', async () => {
    const list = holding();
    const h = await setup({ '/containers/json': list.route, [inspectPath(X)]: (_req, res) => sendJson(res, inspectBody(X)) });
    const src = await runSource(h);
    await waitFor(() => list.held.length === 1, 10_000, 'the first list');
    // X starts after the daemon took its list: the event's inspect says first_seen before the list arrives.
    src.publishEvent(eventRecord({ action: 'start', actor: { id: X, attributes: {} } }));
    await waitFor(() => statesOf(src.records, X).length === 1, 10_000, 'X first seen');
    sendJson(list.held[0] as ServerResponse, []);
    await waitFor(() => list.held.length === 2, 10_000, 'the next resync');
    expect(statesOf(src.records, X)).toEqual([['first_seen']]);
    // That list shows X: still known, so its current state, not a first sight.
    sendJson(list.held[1] as ServerResponse, [listed(X)]);
    await waitFor(() => statesOf(src.records, X).length === 2, 10_000, "X's current state");
    await src.stop();
    expect(statesOf(src.records, X)).toEqual([['first_seen'], []]);
    expect(h.daemon.requestsTo(inspectPath(X))).toHaveLength(1);
  });
});
