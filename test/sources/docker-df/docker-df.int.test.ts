/**
 * docker_df against its own private dockerd (a clean, known state; the shared
 * daemon holds other tests' objects): the record equals what the docker CLI
 * prints, and a volume rule fires and resolves as the volume comes and goes.
 * Last, the agent's own events source watches volume, container, image and
 * build-cache prunes: each prune record's `reclaimed_bytes` is the daemon's
 * `SpaceReclaimed` for it, which is what `/system/df` held just before.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '../../../src/docker/client.js';
import { resolveConnection } from '../../../src/docker/host.js';
import { nullLogger } from '../../../src/log.js';
import type { AlertRecord, DiskUsageRecord, HostInfo } from '../../../src/records.js';
import { dockerDfPlugin } from '../../../src/sources/docker-df/plugin.js';
import { BUSYBOX_IMAGE, DOCKER_ENGINES, startDockerd, type PrivateDockerd } from '../../harness/dockerd.js';
import { outSink, removeDir, startAgent, waitFor } from '../../harness/agent.js';
import { engineJson } from '../../harness/engine-http.js';
import { run } from '../../harness/proc.js';
import { ofKind } from '../../harness/records.js';
import { collectingContext } from '../../harness/source-context.js';
import { cliRows, parseCliJsonLines } from './cli-rows.js';

const MiB = 1024 * 1024;

const apiAtLeast = (v: string, major: number, minor: number): boolean => {
  const [a = 0, b = 0] = v.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};
const UNUSED_IMAGE = 'local/df-unused:1';

/** The parts of `GET /system/df` the prune test reads. */
interface RawDf {
  readonly Volumes: ReadonlyArray<{ Name: string; UsageData: { Size: number; RefCount: number } }>;
  readonly BuildCache: ReadonlyArray<{ ID: string; Size: number; InUse: boolean; Shared: boolean }> | null;
}

/** Debian bookworm's docker.io CLI (20.10): BuildKit built in (`DOCKER_BUILDKIT=1`), no buildx plugin needed. */
const BUILDKIT_CLI = '/usr/bin/docker';

/** The agent with its events source and a file sink (test/harness/agent.ts). */
const eventsAgentConfig = (dockerHost: string) => `
docker: { host: "${dockerHost}" }
state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
  events: { type: docker_events }
sinks:
${outSink(['events'])}
`;

/** `docker run --rm` writing `mib` MiB into a named volume. */
/** Removes every unused volume: from API 1.42 (Engine 23) a plain prune keeps named volumes, and 1.41 knows no `all` filter. */
async function pruneVolumes(d: PrivateDockerd): Promise<string> {
  return d.dockerOk(['volume', 'prune', '--force', ...(apiAtLeast(d.apiVersion, 1, 42) ? ['--all'] : [])]);
}

async function fillVolume(d: PrivateDockerd, volume: string, mib: number): Promise<void> {
  await d.dockerOk(['volume', 'create', volume]);
  await d.dockerOk(['run', '--rm', '--network', 'none', '-v', `${volume}:/data`, BUSYBOX_IMAGE, 'dd', 'if=/dev/zero', 'of=/data/f', 'bs=1M', `count=${mib}`]);
}

describe.each(DOCKER_ENGINES)('docker_df on a private dockerd (%s)', (engine) => {
  let d: PrivateDockerd;
  let docker: DockerClient;
  let host: HostInfo;
  let workDir: string;

  beforeAll(async () => {
    workDir = mkdtempSync(join(tmpdir(), 'dsdf-'));
    d = await startDockerd({ name: 'docker-df', engine });
    docker = new DockerClient(resolveConnection({ host: d.host }), { timeoutMs: 30_000, log: nullLogger() });
    await docker.negotiate();
    host = await docker.identity();

    // The known state: an unused volume holding 5 MiB, a stopped container with
    // a 2 MiB writable layer, a running container, the busybox image in use
    // (with a second tag) and another image nobody uses.
    await fillVolume(d, 'df-vol', 5);
    await d.dockerOk(['run', '--name', 'df-stopped', '--network', 'none', BUSYBOX_IMAGE, 'dd', 'if=/dev/zero', 'of=/blob', 'bs=1M', 'count=2']);
    await d.runContainer(['--name', 'df-running', BUSYBOX_IMAGE, 'sleep', '3600']);
    await d.dockerOk(['tag', BUSYBOX_IMAGE, 'local/df-tagged:1']);
    const rootfs = join(workDir, 'rootfs');
    const tar = join(workDir, 'unused.tar');
    await run('mkdir', ['-p', rootfs]);
    writeFileSync(join(rootfs, 'blob'), Buffer.alloc(MiB, 7));
    const tarRes = await run('tar', ['-C', rootfs, '--numeric-owner', '-cf', tar, '.']);
    expect(tarRes.code).toBe(0);
    await d.importTar(tar, UNUSED_IMAGE);
  });

  afterAll(async () => {
    await docker?.close();
    await d?.stop();
    if (workDir) rmSync(workDir, { recursive: true, force: true });
  });

  it('emits the numbers docker system df prints, row for row', async () => {
    const { ctx, records } = collectingContext(docker, host, new AbortController().signal);
    const options = dockerDfPlugin.options.parse({ verbose: true, top: 5 });
    await dockerDfPlugin.create('df', options, {}).run(ctx);
    const cli = await d.dockerOk(['system', 'df', '--format', '{{json .}}']);

    expect(records).toHaveLength(1);
    const record = records[0] as DiskUsageRecord;
    // Counts exact, sizes and percents as the CLI formats them.
    expect(cliRows(record)).toEqual(parseCliJsonLines(cli));

    // Reclaimable bytes per type, by the CLI's definitions, from the daemon's own figures.
    const stoppedRw = Number(await d.dockerOk(['inspect', '--size', '--format', '{{.SizeRw}}', 'df-stopped']));
    const runningRw = Number(await d.dockerOk(['inspect', '--size', '--format', '{{.SizeRw}}', 'df-running']));
    const unusedSize = Number(await d.dockerOk(['image', 'inspect', '--format', '{{.Size}}', UNUSED_IMAGE]));
    const busyboxSize = Number(await d.dockerOk(['image', 'inspect', '--format', '{{.Size}}', BUSYBOX_IMAGE]));
    expect(stoppedRw).toBeGreaterThanOrEqual(2 * MiB);
    expect(record.types.images).toEqual({
      total: 2,
      active: 1,
      size_bytes: unusedSize + busyboxSize,
      reclaimable_bytes: unusedSize,
      reclaimable_percent: Math.trunc((unusedSize * 100) / (unusedSize + busyboxSize)),
    });
    expect(record.types.containers).toEqual({
      total: 2,
      active: 1,
      size_bytes: stoppedRw + runningRw,
      reclaimable_bytes: stoppedRw,
      reclaimable_percent: Math.trunc((stoppedRw * 100) / (stoppedRw + runningRw)),
    });
    expect(record.types.volumes).toEqual({ total: 1, active: 0, size_bytes: 5 * MiB, reclaimable_bytes: 5 * MiB, reclaimable_percent: 100 });
    expect(record.types.build_cache).toEqual({ total: 0, active: 0, size_bytes: 0, reclaimable_bytes: 0, reclaimable_percent: 0 });
    expect(record.total.reclaimable_bytes).toBe(unusedSize + stoppedRw + 5 * MiB);
    expect(record.reclaimable_source).toBe('cli_formula');
    expect(record.host).toEqual(host);
    expect(record.duration_ms).toBeGreaterThanOrEqual(0);

    expect(record.largest?.volumes).toEqual([{ id: 'df-vol', name: 'df-vol', size_bytes: 5 * MiB, reclaimable: true }]);
    expect(record.largest?.containers?.map((c) => [c.name, c.reclaimable])).toEqual([
      ['df-stopped', true],
      ['df-running', false],
    ]);
    expect(record.largest?.images?.find((i) => i.name === UNUSED_IMAGE)).toMatchObject({ size_bytes: unusedSize, reclaimable: true });
    expect(record.largest?.images?.find((i) => i.reclaimable === false)?.size_bytes).toBe(busyboxSize);
  });

  it('a volume reclaimable rule fires when the volume appears and resolves when it is pruned', async () => {
    await d.dockerOk(['volume', 'rm', 'df-vol']);
    const ac = new AbortController();
    const { ctx, records } = collectingContext(docker, host, ac.signal);
    const options = dockerDfPlugin.options.parse({
      interval: '1s',
      objects: ['volumes'],
      rules: [{ name: 'volumes-reclaimable', object: 'volumes', reclaimable_bytes: '4MiB' }],
    });
    const running = dockerDfPlugin.create('df', options).run(ctx);
    const usage = (): DiskUsageRecord[] => ofKind(records, 'disk_usage');
    const alerts = (): AlertRecord[] => ofKind(records, 'alert');
    try {
      await waitFor(() => usage().length >= 1, 30_000, 'a first poll');
      expect(usage()[0]?.types.volumes?.reclaimable_bytes).toBe(0);

      await fillVolume(d, 'df-alert', 5);
      await waitFor(() => alerts().length >= 1, 30_000, 'firing');
      const sinceSec = Math.floor(Date.now() / 1000) - 60;
      await pruneVolumes(d);
      expect(await d.dockerOk(['volume', 'ls', '-q'])).toBe('');
      await waitFor(() => alerts().length >= 2, 30_000, 'resolved');
      ac.abort();
      await running;

      expect(alerts()).toEqual([
        expect.objectContaining({
          kind: 'alert',
          state: 'firing',
          rule: 'volumes-reclaimable',
          object: 'volumes',
          metric: 'reclaimable_bytes',
          value: 5 * MiB,
          threshold: 4 * MiB,
        }),
        expect.objectContaining({ kind: 'alert', state: 'resolved', rule: 'volumes-reclaimable', value: 0, threshold: 4 * MiB }),
      ]);

      // The daemon's prune event says what the prune freed (the agent's records of it: the last test).
      const events = await d.dockerOk([
        'events',
        '--since',
        String(sinceSec),
        '--until',
        String(Math.ceil(Date.now() / 1000)),
        '--filter',
        'type=volume',
        '--filter',
        'event=prune',
        '--format',
        '{{json .}}',
      ]);
      const prune = events
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
      expect(prune.map((e) => e.Actor.Attributes['reclaimed'])).toEqual([String(5 * MiB)]);
    } finally {
      ac.abort();
      await running;
    }
  });
  it('keeps alert state across restarts: a still-true alert is not fired again, one cleared while down is resolved', async () => {
    await pruneVolumes(d);
    const stateDir = mkdtempSync(join(tmpdir(), 'ds-alert-state-'));
    const options = dockerDfPlugin.options.parse({
      interval: '1s',
      objects: ['volumes'],
      rules: [{ name: 'volumes-reclaimable', object: 'volumes', reclaimable_bytes: '4MiB' }],
    });
    /** One agent lifetime: a fresh source on `dir`, until `polls` disk_usage records (or an alert, with `untilAlert`). */
    const lifetime = async (dir: string, polls: number, untilAlert = false): Promise<AlertRecord[]> => {
      const ac = new AbortController();
      const { ctx, records } = collectingContext(docker, host, ac.signal);
      const running = dockerDfPlugin.create('df', options).run({ ...ctx, stateDir: dir });
      const alerts = () => ofKind(records, 'alert');
      try {
        await waitFor(() => ofKind(records, 'disk_usage').length >= polls && (!untilAlert || alerts().length > 0), 30_000, 'polls');
      } finally {
        ac.abort();
        await running;
      }
      return alerts();
    };
    const without = mkdtempSync(join(tmpdir(), 'ds-alert-none-'));
    try {
      await fillVolume(d, 'df-persist', 5);
      expect((await lifetime(stateDir, 1, true)).map((a) => [a.state, a.value])).toEqual([['firing', 5 * MiB]]);
      const file = join(stateDir, 'alerts', 'df.json');
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ rules: { 'volumes-reclaimable': { phase: 'firing' } } });
      expect(statSync(file).mode & 0o777).toBe(0o600);
      // Restarted, still above: silence (without the state file it would fire again).
      expect(await lifetime(stateDir, 3)).toEqual([]);
      expect((await lifetime(without, 1, true)).map((a) => a.state)).toEqual(['firing']);
      // Cleared while no agent ran: the next start resolves it.
      await pruneVolumes(d);
      expect((await lifetime(stateDir, 1, true)).map((a) => [a.state, a.rule, a.value])).toEqual([['resolved', 'volumes-reclaimable', 0]]);
      expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ rules: { 'volumes-reclaimable': { phase: 'ok' } } });
      expect(await lifetime(stateDir, 2)).toEqual([]);
    } finally {
      rmSync(stateDir, { recursive: true, force: true });
      rmSync(without, { recursive: true, force: true });
    }
  });

  // Last: it prunes the known state away.
  it("the agent's prune event records carry the bytes each prune freed, as the daemon answered it", async () => {
    const a = startAgent(eventsAgentConfig(d.host));
    try {
      await waitFor(() => a.records().some((r) => r.kind === 'inventory'), 30_000, 'inventory');
      // Two unused volumes of sizes no one would guess (3 MiB + 7000 bytes, 2 MiB), one in use (kept).
      await fillVolume(d, 'df-prune-a', 3);
      await d.dockerOk(['run', '--rm', '--network', 'none', '-v', 'df-prune-a:/data', BUSYBOX_IMAGE, 'dd', 'if=/dev/zero', 'of=/data/g', 'bs=1000', 'count=7']);
      await fillVolume(d, 'df-prune-b', 2);
      await d.dockerOk(['volume', 'create', 'df-prune-kept']);
      const user = await d.runContainer(['-v', 'df-prune-kept:/data', BUSYBOX_IMAGE, 'sleep', '3600']);
      // Another stopped container with a writable layer of its own, besides df-stopped.
      await d.dockerOk(['run', '--name', 'df-prune-stopped', '--network', 'none', BUSYBOX_IMAGE, 'dd', 'if=/dev/zero', 'of=/blob', 'bs=1000', 'count=1234']);

      // Build cache: a COPY-only BuildKit build (no RUN: no network, no runtime), its image removed so no
      // cache record is shared. BuildKit's client: Debian's docker.io CLI (20.10) has one built in; newer
      // CLIs need the buildx plugin, which no engine here ships. The daemon side is each engine's own.
      const context = join(workDir, 'build');
      await run('mkdir', ['-p', context]);
      writeFileSync(join(context, 'Dockerfile'), 'FROM scratch\nCOPY blob /blob\n');
      writeFileSync(join(context, 'blob'), Buffer.alloc(1_500_000, 3));
      const build = await run(BUILDKIT_CLI, ['-H', d.host, 'build', '-q', '-t', 'local/df-built:1', context], {
        env: { PATH: process.env['PATH'], HOME: workDir, DOCKER_BUILDKIT: '1' },
        timeoutMs: 120_000,
      });
      expect(build.code, build.stderr).toBe(0);
      await d.dockerOk(['rmi', 'local/df-built:1']);

      // What the daemon holds just before each prune, and what it answers for it.
      const df = await engineJson<RawDf>(d.socketPath, 'GET', '/system/df');
      const unusedVolumes = df.Volumes.filter((v) => v.UsageData.RefCount === 0);
      expect(unusedVolumes.map((v) => v.Name).sort()).toEqual(['df-prune-a', 'df-prune-b']);
      const volumeBytes = unusedVolumes.reduce((sum, v) => sum + v.UsageData.Size, 0);
      expect(volumeBytes).toBe(5 * MiB + 7000);
      const all = apiAtLeast(d.apiVersion, 1, 42) ? `?filters=${encodeURIComponent('{"all":["true"]}')}` : '';
      const volumes = await engineJson<{ VolumesDeleted: string[] | null; SpaceReclaimed: number }>(d.socketPath, 'POST', `/volumes/prune${all}`);
      expect([...(volumes.VolumesDeleted ?? [])].sort()).toEqual(['df-prune-a', 'df-prune-b']);
      expect(volumes.SpaceReclaimed).toBe(volumeBytes);

      const stopped = (await engineJson<Array<{ Id: string; State: string; SizeRw?: number }>>(d.socketPath, 'GET', '/containers/json?all=1&size=1')).filter(
        (c) => c.State === 'exited',
      );
      expect(stopped).toHaveLength(2);
      const containers = await engineJson<{ ContainersDeleted: string[] | null; SpaceReclaimed: number }>(d.socketPath, 'POST', '/containers/prune');
      expect([...(containers.ContainersDeleted ?? [])].sort()).toEqual(stopped.map((c) => c.Id).sort());
      expect(containers.SpaceReclaimed).toBe(stopped.reduce((sum, c) => sum + (c.SizeRw ?? 0), 0));
      expect(containers.SpaceReclaimed).toBeGreaterThanOrEqual(2 * MiB + 1_234_000); // the two blobs written

      const [unusedId = '', unusedSize = ''] = (await d.dockerOk(['image', 'inspect', '--format', '{{.Id}} {{.Size}}', UNUSED_IMAGE])).split(' ');
      const unusedImage = Number(unusedSize);
      const dangling = encodeURIComponent('{"dangling":["false"]}');
      const images = await engineJson<{ ImagesDeleted: Array<{ Untagged?: string; Deleted?: string }> | null; SpaceReclaimed: number }>(
        d.socketPath,
        'POST',
        `/images/prune?filters=${dangling}`,
      );
      // The unused image goes; the one the running containers use stays (Docker may drop one of its extra tags).
      expect((images.ImagesDeleted ?? []).map((i) => i.Untagged)).toContain(UNUSED_IMAGE);
      expect((images.ImagesDeleted ?? []).filter((i) => i.Deleted !== undefined).map((i) => i.Deleted)).toContain(unusedId);
      expect((await d.docker(['image', 'inspect', UNUSED_IMAGE])).code).not.toBe(0);
      // Its one layer is its own: pruning it frees exactly its size.
      expect(images.SpaceReclaimed).toBe(unusedImage);

      const cache = df.BuildCache ?? [];
      expect(cache.filter((c) => c.InUse || c.Shared)).toEqual([]);
      const cacheBytes = cache.reduce((sum, c) => sum + c.Size, 0);
      expect(cacheBytes).toBeGreaterThanOrEqual(2 * 1_500_000); // the context's copy and the COPY layer
      const builder = await engineJson<{ CachesDeleted: string[] | null; SpaceReclaimed: number }>(d.socketPath, 'POST', '/build/prune');
      expect([...(builder.CachesDeleted ?? [])].sort()).toEqual(cache.map((c) => c.ID).sort());
      expect(builder.SpaceReclaimed).toBe(cacheBytes);

      const answered = [
        { type: 'volume', reclaimed_bytes: volumes.SpaceReclaimed },
        { type: 'container', reclaimed_bytes: containers.SpaceReclaimed },
        { type: 'image', reclaimed_bytes: images.SpaceReclaimed },
        { type: 'builder', reclaimed_bytes: builder.SpaceReclaimed },
      ];
      const pruneRecords = () => ofKind(a.records(), 'event').filter((r) => r.action === 'prune');
      await waitFor(() => pruneRecords().length >= 4, 30_000, 'four prune records');
      await a.stop();
      const got = pruneRecords();
      console.log(`${engine} prune reclaimed_bytes: ${got.map((e) => `${e.type} ${e.reclaimed_bytes}`).join(', ')}`);
      expect(got.map((e) => ({ type: e.type, reclaimed_bytes: e.reclaimed_bytes }))).toEqual(answered);
      expect(got.every((e) => e.host.engine === 'docker' && e.host.api_version === host.api_version)).toBe(true);
      await d.dockerOk(['rm', '-f', user]);
    } finally {
      await a.stop();
      removeDir(a.dir);
    }
  });
});
