/**
 * The docker_containers source against the fake daemon (test/harness/fake-daemon.ts):
 * what its resync and its event-driven inspects do to each other, with list and
 * inspect answers held back to order them. (Against real engines: *.int.test.ts here.)
 */
import { afterEach, describe, expect, it } from 'vitest';
import { DockerClient } from '../../../src/docker/client.js';
import { resolveConnection } from '../../../src/docker/host.js';
import { nullLogger } from '../../../src/log.js';
import { dockerContainersPlugin } from '../../../src/sources/docker-containers/plugin.js';
import { sleep } from '../../harness/proc.js';
import { startFakeDaemon, type FakeDaemon, type Route } from '../../harness/fake-daemon.js';
import { collectingContext } from '../../harness/source-context.js';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(10);
  }
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
  const { ctx } = collectingContext(h.docker, await h.docker.identity(), ac.signal);
  const source = dockerContainersPlugin.create('containers', dockerContainersPlugin.options.parse({ resync: '1s', ...options }));
  const running = source.run(ctx);
  const stop = async (): Promise<void> => {
    ac.abort();
    await running;
  };
  return { stop };
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
    await waitFor('the first list', () => negotiated.daemon.requestsTo('/containers/json').length > 0);
    await a.stop();
    expect([negotiated.daemon.requestsTo('/_ping').length, negotiated.daemon.requestsTo('/version').length]).toEqual([1, 2]); // setup; setup + identity

    const fresh = await setup({}, false);
    const b = await runSource(fresh);
    await waitFor('the first list', () => fresh.daemon.requestsTo('/containers/json').length > 0);
    await b.stop();
    expect(fresh.daemon.requestsTo('/_ping')).toHaveLength(1);
    expect(fresh.docker.apiVersion).toBe('1.41');
  });
});
