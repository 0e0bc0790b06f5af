/**
 * docker_df against its own private dockerd (a clean, known state; the shared
 * daemon holds other tests' objects): the record equals what the docker CLI
 * prints, and a volume rule fires and resolves as the volume comes and goes.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '../../../src/docker/client.js';
import { resolveConnection } from '../../../src/docker/host.js';
import { nullLogger } from '../../../src/log.js';
import type { AlertRecord, DiskUsageRecord, HostInfo } from '../../../src/records.js';
import { reclaimedBytes } from '../../../src/sources/docker-events/normalize.js';
import { dockerDfPlugin } from '../../../src/sources/docker-df/plugin.js';
import { BUSYBOX_IMAGE, DOCKER_ENGINES, startDockerd, type PrivateDockerd } from '../../harness/dockerd.js';
import { run, sleep } from '../../harness/proc.js';
import { collectingContext } from '../../harness/source-context.js';
import { cliRows, parseCliJsonLines } from './cli-rows.js';

const MiB = 1024 * 1024;

const apiAtLeast = (v: string, major: number, minor: number): boolean => {
  const [a = 0, b = 0] = v.split('.').map(Number);
  return a > major || (a === major && b >= minor);
};
const UNUSED_IMAGE = 'local/df-unused:1';

async function waitFor(what: string, cond: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

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
    expect(record.largest?.containers?.map((c) => [c.name, c.reclaimable])).toEqual([['df-stopped', true], ['df-running', false]]);
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
    const usage = (): DiskUsageRecord[] => records.filter((r): r is DiskUsageRecord => r.kind === 'disk_usage');
    const alerts = (): AlertRecord[] => records.filter((r): r is AlertRecord => r.kind === 'alert');
    try {
      await waitFor('a first poll', () => usage().length >= 1);
      expect(usage()[0]?.types.volumes?.reclaimable_bytes).toBe(0);

      await fillVolume(d, 'df-alert', 5);
      await waitFor('firing', () => alerts().length >= 1);
      const sinceSec = Math.floor(Date.now() / 1000) - 60;
      await pruneVolumes(d);
      expect(await d.dockerOk(['volume', 'ls', '-q'])).toBe('');
      await waitFor('resolved', () => alerts().length >= 2);
      ac.abort();
      await running;

      expect(alerts()).toEqual([
        expect.objectContaining({ kind: 'alert', state: 'firing', rule: 'volumes-reclaimable', object: 'volumes', metric: 'reclaimable_bytes', value: 5 * MiB, threshold: 4 * MiB }),
        expect.objectContaining({ kind: 'alert', state: 'resolved', rule: 'volumes-reclaimable', value: 0, threshold: 4 * MiB }),
      ]);

      // The prune event carries the bytes the prune freed.
      const events = await d.dockerOk([
        'events', '--since', String(sinceSec), '--until', String(Math.ceil(Date.now() / 1000)),
        '--filter', 'type=volume', '--filter', 'event=prune', '--format', '{{json .}}',
      ]);
      const prune = events.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { Action: string; Actor: { Attributes: Record<string, string> } });
      expect(prune.map((e) => reclaimedBytes(e.Actor.Attributes))).toEqual([5 * MiB]);
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
      const alerts = () => records.filter((r): r is AlertRecord => r.kind === 'alert');
      try {
        await waitFor('polls', () => records.filter((r) => r.kind === 'disk_usage').length >= polls && (!untilAlert || alerts().length > 0));
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
});
