/**
 * The docker_df source against the fake daemon (test/harness/fake-daemon.ts): timeouts,
 * skipped ticks, one-round mode and the query it sends per API version.
 * (Numbers against a real dockerd and the CLI: docker-df.int.test.ts.)
 */
import type { ServerResponse } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerClient } from '../../../src/docker/client.js';
import { resolveConnection } from '../../../src/docker/host.js';
import { nullLogger } from '../../../src/log.js';
import type { AlertRecord, DiskUsageRecord } from '../../../src/records.js';
import { dockerDfPlugin } from '../../../src/sources/docker-df/plugin.js';
import { diskUsagePath } from '../../../src/sources/docker-df/source.js';
import { memoryLogger, waitFor, type LogEntry } from '../../harness/agent.js';
import { metricValue } from '../../harness/metrics.js';
import { ofKind } from '../../harness/records.js';
import { collectingContext } from '../../harness/source-context.js';
import { FAKE_ID, FAKE_NAME, sendJson, startFakeDaemon, type FakeDaemon, type Route } from '../../harness/fake-daemon.js';

const VOLUME_DF = {
  LayersSize: 0,
  Images: [],
  Containers: [],
  Volumes: [{ Name: 'v1', UsageData: { Size: 5242880, RefCount: 0 } }],
  BuildCache: [],
};

/** The entries a memoryLogger kept with message `msg`. */
const messages = (entries: readonly LogEntry[], msg: string): LogEntry[] => entries.filter((e) => e.msg === msg);

interface Harness {
  daemon: FakeDaemon;
  docker: DockerClient;
}
const open: Harness[] = [];

async function setup(apiVersion: string, onDf: Route): Promise<Harness> {
  const daemon = await startFakeDaemon({ apiVersion, routes: { '/system/df': onDf } });
  const docker = new DockerClient(resolveConnection({ host: daemon.host }), { timeoutMs: 5000, log: nullLogger() });
  const h = { daemon, docker };
  open.push(h);
  await docker.negotiate();
  return h;
}

afterEach(async () => {
  for (const h of open.splice(0)) {
    await h.docker.close();
    await h.daemon.close();
  }
});

describe('docker_df source against a fake daemon', () => {
  it('a /system/df slower than the timeout is a logged, counted failure, and the next poll still runs', async () => {
    const { docker } = await setup('1.41', (_req, res, n) => {
      // The first two polls never get an answer; later ones do at once.
      if (n > 2) sendJson(res, VOLUME_DF);
    });
    const ac = new AbortController();
    const { ctx, records, metrics } = collectingContext(docker, await docker.identity(), ac.signal);
    const cap = memoryLogger();
    const source = dockerDfPlugin.create('df', dockerDfPlugin.options.parse({ interval: '300ms', timeout: '150ms' }));
    const running = source.run({ ...ctx, log: cap.log });
    await waitFor(() => records.some((r) => r.kind === 'disk_usage'), 15_000, 'a disk_usage record after the timeouts');
    ac.abort();
    await running;

    expect(await metricValue(metrics, 'dockstream_poll_errors_total', { source: 'df', code: 'DOCKER_TIMEOUT' })).toBeGreaterThanOrEqual(2);
    // The poll that succeeded is the source's, named like every component (docs/metrics.md).
    expect(await metricValue(metrics, 'dockstream_last_success_timestamp_seconds', { component: 'source:df' })).toBeGreaterThan(0);
    const failures = messages(cap.entries, 'disk usage poll failed');
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect(failures[0]).toMatchObject({
      source: 'df',
      code: 'DOCKER_TIMEOUT',
      timeoutMs: 150,
      level: 40,
      err: { type: 'DsError', code: 'DOCKER_TIMEOUT', message: 'disk usage poll timed out', details: { timeoutMs: 150 } },
    });
    expect((failures[0]?.['err'] as { stack: string }).stack).toMatch(/^DsError: disk usage poll timed out\n\s+at /);
    const record = records.find((r): r is DiskUsageRecord => r.kind === 'disk_usage');
    expect(record?.types.volumes).toEqual({ total: 1, active: 0, size_bytes: 5242880, reclaimable_bytes: 5242880, reclaimable_percent: 100 });
  });

  it('never runs two polls at once: ticks during a poll are skipped, counted and logged once per poll', async () => {
    const held: ServerResponse[] = [];
    let active = 0;
    let maxActive = 0;
    const { docker } = await setup('1.41', (_req, res) => {
      active++;
      maxActive = Math.max(maxActive, active);
      res.on('close', () => active--);
      held.push(res);
    });
    const ac = new AbortController();
    const { ctx, records, metrics } = collectingContext(docker, await docker.identity(), ac.signal);
    const cap = memoryLogger();
    const source = dockerDfPlugin.create('df', dockerDfPlugin.options.parse({ interval: '50ms', timeout: '1m' }));
    const running = source.run({ ...ctx, log: cap.log });
    const busy = () => metricValue(metrics, 'dockstream_skipped_ticks_total', { source: 'df', reason: 'busy' });

    await waitFor(async () => (await busy()) >= 3, 15_000, 'three skipped ticks during the first poll');
    expect(held).toHaveLength(1);
    expect(messages(cap.entries, 'disk usage poll still running, skipping ticks')).toHaveLength(1);

    sendJson(held[0] as ServerResponse, VOLUME_DF);
    await waitFor(() => held.length === 2, 15_000, 'the second poll');
    const skippedBefore = await busy();
    await waitFor(async () => (await busy()) >= skippedBefore + 2, 15_000, 'ticks skipped during the second poll');
    // Logged again: a poll completed in between.
    expect(messages(cap.entries, 'disk usage poll still running, skipping ticks')).toHaveLength(2);
    sendJson(held[1] as ServerResponse, VOLUME_DF);
    await waitFor(() => ofKind(records, 'disk_usage').length === 2, 15_000, 'two records');
    ac.abort();
    await running;
    expect(maxActive).toBe(1);
  });

  it('skips a tick while a sink is full', async () => {
    const { docker } = await setup('1.41', (_req, res) => sendJson(res, VOLUME_DF));
    const ac = new AbortController();
    const { ctx, records, metrics } = collectingContext(docker, await docker.identity(), ac.signal);
    const source = dockerDfPlugin.create('df', dockerDfPlugin.options.parse({ interval: '20ms' }));
    const running = source.run({ ...ctx, hasCapacity: () => false });
    await waitFor(async () => (await metricValue(metrics, 'dockstream_skipped_ticks_total', { reason: 'sinks_full' })) >= 2, 15_000, 'a sinks_full skip');
    ac.abort();
    await running;
    expect(records).toEqual([]);
  });

  it('once: polls one round and returns; a failing daemon fails the round', async () => {
    let fail = false;
    const { docker } = await setup('1.41', (_req, res) => {
      if (!fail) return sendJson(res, VOLUME_DF);
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'a disk usage operation is already running' }));
    });
    const { ctx, records, metrics } = collectingContext(docker, await docker.identity(), new AbortController().signal);
    const options = dockerDfPlugin.options.parse({ rules: [{ object: 'volumes', reclaimable_bytes: '5MiB' }] });
    await dockerDfPlugin.create('df', options, {}).run(ctx);
    expect(records.map((r) => r.kind)).toEqual(['disk_usage', 'alert']);
    expect(records[1]).toMatchObject({ kind: 'alert', state: 'firing', rule: 'volumes_reclaimable_bytes', value: 5242880, threshold: 5242880 });

    fail = true;
    await expect(dockerDfPlugin.create('df', options, {}).run(ctx)).rejects.toThrow(/500 a disk usage operation is already running/);
    expect(await metricValue(metrics, 'dockstream_poll_errors_total', { code: 'DOCKER_HTTP' })).toBe(1);
  });

  it('a body of the wrong shape is a poll error coded DOCKER_MALFORMED (not UNKNOWN), logged with the field; the next poll still runs', async () => {
    const { docker } = await setup('1.41', (_req, res, n) => {
      // Volumes as an object, then an image that is null: each once a TypeError in a formula.
      if (n === 1) return sendJson(res, { ...VOLUME_DF, Volumes: { v1: {} } });
      if (n === 2) return sendJson(res, { ...VOLUME_DF, Images: [null] });
      sendJson(res, VOLUME_DF);
    });
    const ac = new AbortController();
    const { ctx, records, metrics } = collectingContext(docker, await docker.identity(), ac.signal);
    const cap = memoryLogger();
    const source = dockerDfPlugin.create('df', dockerDfPlugin.options.parse({ interval: '100ms' }));
    const running = source.run({ ...ctx, log: cap.log });
    // Checked every 20 ms, well inside the source's 100 ms interval: it is stopped before a second record (exactly one is asserted below).
    await waitFor(() => records.some((r) => r.kind === 'disk_usage'), 15_000, 'a disk_usage record after the malformed bodies', 20);
    ac.abort();
    await running;
    expect(await metricValue(metrics, 'dockstream_poll_errors_total', { source: 'df', code: 'DOCKER_MALFORMED' })).toBe(2);
    expect(await metricValue(metrics, 'dockstream_poll_errors_total', { source: 'df', code: 'UNKNOWN' })).toBe(0);
    const failures = messages(cap.entries, 'disk usage poll failed');
    const errOf = (f: Record<string, unknown>) => f['err'] as { message: string; code: string; details: unknown };
    expect(failures.map((f) => [f['code'], errOf(f).message, errOf(f).details])).toEqual([
      ['DOCKER_MALFORMED', 'system df body has an unexpected shape', { path: '$.Volumes', expected: 'an array', got: 'object' }],
      ['DOCKER_MALFORMED', 'system df body has an unexpected shape', { path: '$.Images[0]', expected: 'an object', got: 'null' }],
    ]);
    expect(ofKind(records, 'disk_usage')).toHaveLength(1);
  });

  it('asks only for the configured types on API >= 1.42, and for items with verbose on API >= 1.52', async () => {
    const paths = (v: string, objects: Parameters<typeof diskUsagePath>[1], verbose: boolean) => diskUsagePath(v, objects, verbose);
    expect(paths('1.41', ['volumes'], true)).toBe('/system/df');
    expect(paths('1.42', ['volumes', 'build_cache'], false)).toBe('/system/df?type=volume&type=build-cache');
    expect(paths('1.44', ['images', 'containers', 'volumes', 'build_cache'], true)).toBe('/system/df');
    expect(paths('1.52', ['images', 'containers', 'volumes', 'build_cache'], true)).toBe('/system/df?verbose=1');
    expect(paths('1.52', ['containers'], false)).toBe('/system/df?type=container');

    const { docker, daemon } = await setup('1.52', (_req, res) =>
      sendJson(
        res,
        {
          VolumeUsage: {
            TotalCount: 2,
            ActiveCount: 1,
            TotalSize: 300,
            Reclaimable: 100,
            Items: [
              { Name: 'big', UsageData: { Size: 200, RefCount: 1 } },
              { Name: 'small', UsageData: { Size: 100, RefCount: 0 } },
            ],
          },
        },
        '1.52',
      ),
    );
    const { ctx, records } = collectingContext(docker, await docker.identity(), new AbortController().signal);
    await dockerDfPlugin.create('df', dockerDfPlugin.options.parse({ objects: ['volumes'], verbose: true, top: 1 }), {}).run(ctx);
    expect(daemon.requests.filter((r) => r.includes('/system/df'))).toEqual(['GET /v1.52/system/df?type=volume&verbose=1']);
    const record = records[0] as DiskUsageRecord;
    expect(record).toMatchObject({
      kind: 'disk_usage',
      reclaimable_source: 'daemon',
      types: { volumes: { total: 2, active: 1, size_bytes: 300, reclaimable_bytes: 100, reclaimable_percent: 33 } },
      total: { total: 2, active: 1, size_bytes: 300, reclaimable_bytes: 100, reclaimable_percent: 33 },
      largest: { volumes: [{ id: 'big', name: 'big', size_bytes: 200, reclaimable: false }] },
      host: { name: FAKE_NAME, daemon_id: FAKE_ID, engine: 'docker', api_version: '1.52' },
    });
    expect(record.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(Object.keys(record.types)).toEqual(['volumes']);
  });

  it('stamps alerts with the record time and host', async () => {
    let size = 10;
    const { docker } = await setup('1.41', (_req, res) => sendJson(res, { ...VOLUME_DF, Volumes: [{ Name: 'v', UsageData: { Size: size, RefCount: 0 } }] }));
    const ac = new AbortController();
    const { ctx, records } = collectingContext(docker, await docker.identity(), ac.signal);
    const options = dockerDfPlugin.options.parse({ interval: '30ms', rules: [{ name: 'vol', object: 'volumes', size_bytes: 100 }] });
    const running = dockerDfPlugin.create('df', options).run(ctx);
    const alerts = (): AlertRecord[] => ofKind(records, 'alert');
    await waitFor(() => records.length >= 2, 15_000, 'two polls');
    size = 150;
    await waitFor(() => alerts().length === 1, 15_000, 'firing');
    size = 96; // inside the 5 % band: still firing
    await waitFor(() => ofKind(records, 'disk_usage').filter((r) => r.types.volumes?.size_bytes === 96).length >= 2, 15_000, 'polls inside the band');
    size = 10;
    await waitFor(() => alerts().length === 2, 15_000, 'resolved');
    ac.abort();
    await running;
    const [firing, resolved] = alerts();
    expect(firing).toMatchObject({ state: 'firing', rule: 'vol', object: 'volumes', metric: 'size_bytes', value: 150, threshold: 100 });
    expect(resolved).toMatchObject({ state: 'resolved', rule: 'vol', value: 10, threshold: 100 });
    const firingIndex = records.indexOf(firing as AlertRecord);
    const before = records[firingIndex - 1] as DiskUsageRecord;
    expect(firing?.time).toBe(before.time);
    expect(firing?.host).toEqual(before.host);
  });
});
