// The agent against `podman system service` (Podman's Docker-compatible API)
// on a private unix socket. Differences found are in docs/podman.md.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCheck } from '../../src/commands/check.js';
import { runOnce } from '../../src/commands/once.js';
import { parseConfig } from '../../src/config/load.js';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';
import { rfc3339ToNanos } from '../../src/util/units.js';
import { compareApiVersions } from '../../src/docker/negotiate.js';
import { DF_TYPE_PARAM } from '../../src/sources/docker-df/options.js';
import { diskUsagePath } from '../../src/sources/docker-df/source.js';
import { DsError } from '../../src/errors.js';
import type { DiskUsageRecord, DsRecord, EventRecord, StatsRecord } from '../../src/records.js';
import { memoryLogger, outSink, removeDir, startAgent, waitFor } from '../harness/agent.js';
import { PODMAN_ENGINES } from '../harness/engines.js';
import { engineApiRange, engineRequest, type EngineAnswer } from '../harness/engine-http.js';
import { BUSYBOX_IMAGE, PODMAN_ULIMITS, startPodman, type PrivatePodman } from '../harness/podman.js';
import { ofKind } from '../harness/records.js';

/** An event as Podman wrote it, with the exact timeNano digits. */
interface RawPodmanEvent {
  readonly Type: string;
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Record<string, string> };
  readonly HealthStatus?: string;
  readonly timeNano: string;
}

/** GET on the engine's socket, whatever the status. */
const get = (socketPath: string, path: string): Promise<EngineAnswer> => engineRequest(socketPath, 'GET', path, 30_000);

/**
 * What Podman holds from `sinceSec` on. `stream=false` and no `until`:
 * Podman treats `until` as a wall-clock deadline for its log reader, so a
 * past `until` ends the response before the history is read (docs/podman.md).
 */
async function podmanEvents(socketPath: string, sinceSec: number, filters?: string): Promise<RawPodmanEvent[]> {
  const q = new URLSearchParams({ since: sinceSec.toFixed(9), stream: 'false', ...(filters ? { filters } : {}) });
  const { status, body } = await get(socketPath, `/v1.41/events?${q.toString()}`);
  expect(status).toBe(200);
  return body
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => ({ ...(JSON.parse(l) as RawPodmanEvent), timeNano: /"timeNano":(\d+)/.exec(l)?.[1] ?? '' }));
}

const nowNano = () => BigInt(Date.now()) * 1_000_000n;
const sec = (nano: bigint) => Number(nano / 1_000_000n) / 1000;
const inWindow = (timeNano: string, from: bigint, to: bigint) => BigInt(timeNano) >= from && BigInt(timeNano) <= to;

const agentConfig = (host: string, filters = '') => `
docker:
  host: ${host}
state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
  events:
    type: docker_events
    reconnect: { initial: 200ms, max: 1s }
    ${filters}
sinks:
${outSink(['events'])}
`;

/** The agent sampling the `suite=pm-cpu` container every second into a file sink. */
const statsConfig = (host: string) => `
docker:
  host: ${host}
state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
  stats:
    type: docker_stats
    interval: 1s
    include: { labels: [suite=pm-cpu] }
sinks:
${outSink(['stats'])}
`;

/** A row of `podman system df --format '{{json .}}'`, its figures named as in a disk_usage record. */
interface PodmanDfRow {
  readonly type: string;
  readonly figures: { total: number; active: number; size_bytes: number | string | undefined; reclaimable_bytes: number | string | undefined };
}

/** `podman system df`'s rows: Podman 4 prints numbers in Size/Reclaimable; Podman 5 text there and the numbers as RawSize/RawReclaimable. */
async function podmanSystemDf(pm: PrivatePodman, engine: string): Promise<PodmanDfRow[]> {
  return (await pm.podmanOk(['system', 'df', '--format', '{{json .}}'])).split('\n').map((l) => {
    const r = JSON.parse(l) as {
      Type: string;
      Total: number;
      Active: number;
      Size: number | string;
      Reclaimable: number | string;
      RawSize?: number;
      RawReclaimable?: number;
    };
    const v4 = engine === 'podman-4';
    return {
      type: r.Type,
      figures: { total: r.Total, active: r.Active, size_bytes: v4 ? r.Size : r.RawSize, reclaimable_bytes: v4 ? r.Reclaimable : r.RawReclaimable },
    };
  });
}

// Every Podman the run can install runs (podman-4 from the host, podman-5 from the sid rootfs);
// one that cannot start fails here instead of being skipped.
describe.each(PODMAN_ENGINES)('the agent against podman system service (%s)', (engine) => {
  let pm: PrivatePodman;

  beforeAll(async () => {
    pm = await startPodman({ engine });
  });
  afterAll(async () => {
    await pm?.stop();
  });

  it('identifies Podman from its headers and negotiates the compat API version', async () => {
    const ping = await get(pm.socketPath, '/_ping');
    expect(ping.headers['server']).toMatch(/^Libpod\//);
    expect(ping.headers['libpod-api-version']).toMatch(/^\d+\.\d+\.\d+$/);
    const a = startAgent(agentConfig(pm.host));
    try {
      const host = await waitFor(() => (a.agent.hostInfo.engine === 'podman' ? a.agent.hostInfo : null), 20_000, 'podman detected');
      expect(host.api_version).toBe(ping.headers['api-version']);
      expect(host.version).toBe(ping.headers['libpod-api-version']);
    } finally {
      await a.stop();
      removeDir(a.dir);
    }
  });

  it('streams container lifecycle, exec, health and volume events in Docker vocabulary, equal to what Podman sent', async () => {
    const a = startAgent(agentConfig(pm.host));
    try {
      await waitFor(() => a.agent.hostInfo.engine === 'podman', 20_000, 'podman detected');
      // Podman sends the /events response headers only with the first event, so the
      // agent takes its inventory before asking; its `since` covers what follows.
      await waitFor(() => a.records().some((r) => r.kind === 'inventory'), 30_000, 'inventory');

      const t0 = BigInt(Date.now()) * 1_000_000n;
      const id = await pm.runContainer(['--name', 'pm-life', '--health-cmd', 'true', '--health-interval', 'disable', BUSYBOX_IMAGE, 'sleep', '1000']);
      await pm.podmanOk(['healthcheck', 'run', 'pm-life']);
      await pm.podmanOk(['exec', 'pm-life', 'true']);
      await pm.podmanOk(['stop', '-t', '0', 'pm-life']);
      await pm.podmanOk(['rm', 'pm-life']);
      await pm.podmanOk(['volume', 'create', 'pm-vol']);
      await pm.podmanOk(['volume', 'rm', 'pm-vol']);
      const t1 = BigInt(Date.now()) * 1_000_000n;

      const raw = (await podmanEvents(pm.socketPath, Number(t0 / 1_000_000n) / 1000 - 0.001)).filter((e) => inWindow(e.timeNano, t0, t1));
      await waitFor(() => ofKind(a.records(), 'event').filter((e) => inWindow(e.time_nano, t0, t1)).length >= raw.length, 20_000, 'all events in the file');
      await a.stop();
      const got = ofKind(a.records(), 'event').filter((e) => inWindow(e.time_nano, t0, t1));

      // One record per Podman event, same instants digit for digit (Podman's order is not time order).
      expect(got.map((e) => e.time_nano).sort()).toEqual(raw.map((e) => e.timeNano).sort());
      const byTime = new Map(got.map((e) => [e.time_nano, e]));
      const renamed: Record<string, string> = { remove: 'destroy', exec: 'exec_start', exec_died: 'exec_die', died: 'die' };
      for (const e of raw) {
        const r = byTime.get(e.timeNano) as EventRecord;
        expect(r.type).toBe(e.Type);
        expect(r.action, e.Action).toBe(renamed[e.Action] ?? e.Action);
        expect(r.normalized_from).toEqual(renamed[e.Action] ? { action: e.Action } : undefined);
        expect(r.host.engine).toBe('podman');
      }

      const life = got.filter((e) => e.actor.id === id);
      const actions = life.map((e) => e.action);
      for (const want of ['create', 'init', 'start', 'health_status', 'exec_start', 'exec_die', 'die', 'cleanup', 'destroy']) expect(actions).toContain(want);
      expect(life.every((e) => e.container?.name === 'pm-life' && e.container.image === `localhost/${BUSYBOX_IMAGE}`)).toBe(true);
      // The compat endpoint already says `die` (Podman's own word is `died`) and adds exitCode.
      const die = life.find((e) => e.action === 'die');
      expect(die?.normalized_from).toBeUndefined();
      expect(die?.actor.attributes).toMatchObject({ exitCode: '137', containerExitCode: '137' });
      const health = life.find((e) => e.action === 'health_status');
      const rawHealth = raw.find((e) => e.Action === 'health_status');
      expect(health?.action_detail).toBe(rawHealth?.HealthStatus);
      expect(['healthy', 'starting']).toContain(health?.action_detail);
      expect(life.find((e) => e.action === 'destroy')?.normalized_from).toEqual({ action: 'remove' });

      const vol = got.filter((e) => e.type === 'volume').map((e) => `${e.action}:${e.actor.id}:${e.normalized_from?.action ?? ''}`);
      expect(vol).toEqual(['create:pm-vol:', 'destroy:pm-vol:remove']);
    } finally {
      await a.stop();
      removeDir(a.dir);
      await pm.podman(['volume', 'prune', '-f']);
    }
  });

  it('`once --source stats` samples a running container like the Docker API (no cache figure, 5 s stream period aside)', async () => {
    const id = await pm.runContainer(['--name', 'pm-stats', BUSYBOX_IMAGE, 'sleep', '1000']);
    try {
      const raw = JSON.parse((await get(pm.socketPath, `/v1.41/containers/${id}/stats?stream=false`)).body) as {
        name: string;
        memory_stats: { limit: number; stats?: unknown };
        precpu_stats: { cpu_usage: { total_usage: number } };
        cpu_stats: { online_cpus: number };
        networks?: Record<string, unknown>;
      };
      // Podman's shapes: name without '/', all-zero precpu, no memory_stats.stats.
      expect(raw.name).toBe('pm-stats');
      expect(raw.precpu_stats.cpu_usage.total_usage).toBe(0);
      expect(raw.memory_stats.stats).toBeUndefined();

      const out = await once('stats');
      const rec = out.find((r): r is StatsRecord => r.kind === 'stats' && r.container.id === id);
      expect(rec).toBeDefined();
      const s = rec as StatsRecord;
      expect(s.host.engine).toBe('podman');
      expect(s.container).toMatchObject({ id, name: 'pm-stats', image: `localhost/${BUSYBOX_IMAGE}` });
      expect(s.memory.limit_bytes).toBe(raw.memory_stats.limit);
      expect(s.memory.usage_bytes).toBeGreaterThan(0);
      // Nothing to subtract: usage is the raw usage.
      expect(s.memory.usage_bytes).toBe(s.memory.raw_usage_bytes);
      expect(s.memory.cache_bytes).toBeNull();
      expect(s.cpu.online_cpus).toBe(raw.cpu_stats.online_cpus);
      expect(s.pids.current).toBe(1);
      // Podman 5 leaves `networks` out for a container without a network; Podman 4 sends it.
      expect(Object.keys(s.network.interfaces ?? {})).toEqual(Object.keys(raw.networks ?? {}));
    } finally {
      await pm.podman(['rm', '-f', '-t', '0', id]);
    }
  });

  it("the stats source's CPU % of a container capped at half a CPU agrees with the kernel over the same instants, with `podman stats --no-stream`, and is near 50 %", async () => {
    // A large CPU share keeps the loop at its cap on this shared machine (cgroup v1 CFS), as in the Docker stats test.
    const id = await pm.runContainer([
      '--name',
      'pm-cpu',
      '--label',
      'suite=pm-cpu',
      '--cpus',
      '0.5',
      '--cpu-shares',
      '8192',
      BUSYBOX_IMAGE,
      'sh',
      '-c',
      'while :; do :; done',
    ]);
    const cgroup = (await pm.podmanOk(['inspect', '--format', '{{.State.CgroupPath}}', id])).trim();
    const kernelNs = (): number => Number(readFileSync(`/sys/fs/cgroup/cpuacct${cgroup}/cpuacct.usage`, 'utf8').trim());
    // The kernel's CPU time of the container every 20 ms, stamped with this machine's clock (Podman's `read` is the same clock).
    const series: Array<{ atMs: number; ns: number }> = [];
    const sampler = setInterval(() => series.push({ atMs: Date.now(), ns: kernelNs() }), 20);
    const kernelAt = (ms: number): number => {
      const i = series.findIndex((p) => p.atMs >= ms);
      const b = series[i];
      const a = series[i - 1];
      if (i < 1 || a === undefined || b === undefined) throw new Error(`no kernel figure around ${new Date(ms).toISOString()}`);
      return b.atMs === a.atMs ? a.ns : a.ns + ((b.ns - a.ns) * (ms - a.atMs)) / (b.atMs - a.atMs);
    };
    const a = startAgent(statsConfig(pm.host));
    const samples = () => ofKind(a.records(), 'stats').filter((r) => r.container.id === id);
    const busy = () => samples().filter((r) => r.cpu.percent !== null);
    try {
      // A few seconds of samples first: Podman's --no-stream figure is the average since the container started.
      await waitFor(() => busy().length >= 3, 30_000, 'three samples with CPU %');
      const before = Date.now();
      const out = await pm.podmanOk(['stats', '--no-stream', '--format', '{{json .}}', id]);
      const after = Date.now();
      await waitFor(() => busy().some((r) => Date.parse(r.time) > after + 1000), 20_000, 'samples after the CLI');
      await a.stop();
      clearInterval(sampler);

      // Each CPU % covers [previous sample's read, this one's read]: the kernel's figure for the same span.
      const readMs = (r: StatsRecord): number => Number(BigInt(rfc3339ToNanos(r.time) ?? '0') / 1000n) / 1000;
      const all = samples();
      const spans = all.slice(1).map((r, i) => ({ from: readMs(all[i] as StatsRecord), to: readMs(r), percent: r.cpu.percent }));
      expect(spans.length).toBeGreaterThanOrEqual(4);
      expect(spans.every((s) => s.percent !== null)).toBe(true);
      const covered = spans.filter((s) => s.from > (series[0]?.atMs ?? Infinity));
      const from = covered[0]?.from ?? 0;
      const to = covered.at(-1)?.to ?? 0;
      const ours = covered.reduce((sum, s) => sum + (s.percent as number) * (s.to - s.from), 0) / (to - from);
      const kernel = ((kernelAt(to) - kernelAt(from)) / ((to - from) * 1e6)) * 100;
      const perSpan = covered.map((s) =>
        [(s.percent as number).toFixed(1), (((kernelAt(s.to) - kernelAt(s.from)) / ((s.to - s.from) * 1e6)) * 100).toFixed(1)].join('/'),
      );

      // Podman 4 prints an array of text fields (`"cpu_percent": "49.87%"`), Podman 5 one object with a number (`"CPU": 49.87`).
      const parsed = JSON.parse(out) as Array<{ cpu_percent: string }> | { CPU: number };
      const theirs = Array.isArray(parsed) ? Number.parseFloat(parsed[0]?.cpu_percent ?? 'NaN') : parsed.CPU;
      const window = busy().filter((r) => Date.parse(r.time) >= before - 1000 && Date.parse(r.time) <= after + 1000);
      const oursAtCli = window.reduce((sum, r) => sum + (r.cpu.percent as number), 0) / window.length;
      console.log(
        `${engine} CPU % (--cpus 0.5): source ${ours.toFixed(2)} vs kernel ${kernel.toFixed(2)} over ${covered.length} spans (source/kernel: ${perSpan.join(' ')}); ` +
          `around the CLI: source ${oursAtCli.toFixed(2)} (mean of ${window.length}), podman stats ${theirs.toFixed(2)}`,
      );
      // Over the same instants the source is the kernel's figure: only the 20 ms sampling of the kernel separates them.
      expect(covered.length).toBeGreaterThanOrEqual(3);
      expect(Math.abs(ours - kernel)).toBeLessThan(2);
      for (const s of covered) expect(Math.abs((s.percent as number) - ((kernelAt(s.to) - kernelAt(s.from)) / ((s.to - s.from) * 1e6)) * 100)).toBeLessThan(3);
      // Podman's own CLI (the average since the container started): the Docker stats test's tolerance.
      expect(Number.isFinite(theirs)).toBe(true);
      expect(window.length).toBeGreaterThan(0);
      expect(Math.abs(oursAtCli - theirs)).toBeLessThan(15);
      // Near the cap: never above it (the Docker formula on Podman's system_cpu_usage gave 167 % on a
      // recording, docs/podman.md), and only as far below as this shared 2-core machine holds the loop back
      // (43–51 % measured under machine loads of 3–7, the kernel agreeing).
      expect(ours).toBeGreaterThan(35);
      expect(ours).toBeLessThan(55);
      expect(busy().every((r) => r.host.engine === 'podman' && r.cpu.online_cpus > 0)).toBe(true);
    } finally {
      clearInterval(sampler);
      await a.stop();
      removeDir(a.dir);
      await pm.podman(['rm', '-f', '-t', '0', id]);
    }
  });

  it('`once --source df` counts what Podman holds', async () => {
    await pm.podmanOk(['volume', 'create', 'pm-df-vol']);
    const running = await pm.runContainer(['--name', 'pm-df-run', '-v', 'pm-df-vol:/data', BUSYBOX_IMAGE, 'sleep', '1000']);
    const created = await pm.podmanOk(['create', '--name', 'pm-df-created', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    try {
      const raw = JSON.parse((await get(pm.socketPath, '/v1.41/system/df')).body) as {
        LayersSize: number;
        Images: unknown[];
        Containers: Array<{ State: string }>;
        Volumes: unknown[];
        BuildCache: unknown[] | null;
      };
      const out = await once('df');
      const du = out.find((r): r is DiskUsageRecord => r.kind === 'disk_usage') as DiskUsageRecord;
      expect(du.host.engine).toBe('podman');
      expect(du.types.images?.total).toBe(raw.Images.length);
      expect(du.types.containers?.total).toBe(raw.Containers.length);
      expect(du.types.containers).toMatchObject({ total: 2, active: 1 });
      // Only pm-df-vol is in use (earlier tests' volumes are gone).
      expect(du.types.volumes).toMatchObject({ total: raw.Volumes.length, active: 1 });
      expect(raw.Volumes.length).toBe(1);
      // Podman has no build cache (and reports LayersSize 0: docs/podman.md).
      expect(raw.BuildCache ?? []).toEqual([]);
      expect(du.types.build_cache).toMatchObject({ total: 0, size_bytes: 0 });
      // Podman 4 reports LayersSize 0 (it would make the Docker CLI's image formula negative); Podman 5 a real
      // figure. Either way the numbers are `podman system df`'s.
      if (engine === 'podman-4') expect(raw.LayersSize).toBe(0);
      else expect(raw.LayersSize).toBeGreaterThan(0);
      const cli = await podmanSystemDf(pm, engine);
      const types = { Images: du.types.images, Containers: du.types.containers, 'Local Volumes': du.types.volumes };
      for (const row of cli) {
        const ours = types[row.type as keyof typeof types];
        expect(ours, row.type).toMatchObject(row.figures);
      }
      expect(cli.map((r) => r.type)).toEqual(['Images', 'Containers', 'Local Volumes']);
      expect(du.types.images?.reclaimable_bytes).toBeGreaterThanOrEqual(0);
      expect(du.types.images?.size_bytes).toBeGreaterThan(0);
    } finally {
      await pm.podman(['rm', '-f', '-t', '0', running, created.trim()]);
      await pm.podman(['volume', 'rm', '-f', 'pm-df-vol']);
    }
  });

  it("`once --source df` with only some object types configured (Podman 5 speaks 1.44, so `type=` is sent) gives `podman system df`'s rows for those types", async () => {
    const { max } = await engineApiRange(pm.socketPath);
    await pm.podmanOk(['volume', 'create', 'pm-dft-used']);
    await pm.podmanOk(['volume', 'create', 'pm-dft-idle']);
    // A busybox container writing `kb` thousand zero bytes to `of`.
    const dd = (args: readonly string[], of: string, kb: number) =>
      pm.podmanOk(['run', ...args, '--network', 'none', ...PODMAN_ULIMITS, BUSYBOX_IMAGE, 'dd', 'if=/dev/zero', `of=${of}`, 'bs=1000', `count=${kb}`]);
    await dd(['--rm', '-v', 'pm-dft-used:/data'], '/data/f', 1200);
    await dd(['--rm', '-v', 'pm-dft-idle:/data'], '/data/f', 2345);
    const running = await pm.runContainer(['--name', 'pm-dft-run', '-v', 'pm-dft-used:/data', BUSYBOX_IMAGE, 'sleep', '1000']);
    await dd(['--name', 'pm-dft-stopped'], '/blob', 321);
    try {
      const cliRows = async () => new Map((await podmanSystemDf(pm, engine)).map((r) => [r.type, r.figures] as const));
      const cliType = { images: 'Images', containers: 'Containers', volumes: 'Local Volumes' } as const;
      for (const objects of [['volumes'], ['images', 'containers'], ['containers', 'volumes']] as const) {
        const out = await once('df', { dfObjects: objects });
        const cli = await cliRows();
        const du = out.find((r): r is DiskUsageRecord => r.kind === 'disk_usage') as DiskUsageRecord;
        // The negotiated version is the engine's own maximum: from 1.42 on (Podman 5) the request names the types.
        expect(du.host.api_version).toBe(max);
        const typeParams = objects.map((t) => `type=${DF_TYPE_PARAM[t]}`).join('&');
        expect(diskUsagePath(du.host.api_version, objects, false)).toBe(compareApiVersions(max, '1.42') >= 0 ? `/system/df?${typeParams}` : '/system/df');
        expect(Object.keys(du.types).sort()).toEqual([...objects].sort());
        for (const type of objects) {
          const ours = du.types[type];
          expect(cli.get(cliType[type]), type).toBeDefined();
          expect({ total: ours?.total, active: ours?.active, size_bytes: ours?.size_bytes, reclaimable_bytes: ours?.reclaimable_bytes }, type).toEqual(
            cli.get(cliType[type]),
          );
        }
        const rows = objects.map((t) => du.types[t] as DiskUsageRecord['total']);
        expect(du.total).toMatchObject({
          total: rows.reduce((n, r) => n + r.total, 0),
          size_bytes: rows.reduce((n, r) => n + r.size_bytes, 0),
          reclaimable_bytes: rows.reduce((n, r) => n + r.reclaimable_bytes, 0),
        });
      }
      // The state the rows describe: both volumes hold what was written, one is in use; one container of two runs.
      const all = await once('df', { dfObjects: ['volumes', 'containers'] });
      const du = all.find((r): r is DiskUsageRecord => r.kind === 'disk_usage') as DiskUsageRecord;
      expect(du.types.volumes).toMatchObject({ total: 2, active: 1, size_bytes: 3_545_000, reclaimable_bytes: 2_345_000 });
      expect(du.types.containers).toMatchObject({ total: 2, active: 1 });
      expect(du.types.containers?.reclaimable_bytes).toBeGreaterThanOrEqual(321_000);
    } finally {
      await pm.podman(['rm', '-f', '-t', '0', running, 'pm-dft-stopped']);
      await pm.podman(['volume', 'rm', '-f', 'pm-dft-used', 'pm-dft-idle']);
    }
  });

  it('resumes across a restart of the service without a gap: events before, during and after arrive once', async () => {
    const a = startAgent(agentConfig(pm.host));
    try {
      await waitFor(() => ofKind(a.records(), 'inventory').length > 0, 30_000, 'inventory');
      const t0 = nowNano();
      await pm.podmanOk(['volume', 'create', 'pm-rc-1']);
      await waitFor(() => ofKind(a.records(), 'event').some((e) => e.actor.id === 'pm-rc-1'), 20_000, 'pm-rc-1 streamed');
      await pm.killService(); // the agent's stream is cut
      await pm.podmanOk(['volume', 'create', 'pm-rc-2']); // the CLI still writes the events log
      await pm.startService();
      await pm.podmanOk(['volume', 'create', 'pm-rc-3']);
      const t1 = nowNano();
      await waitFor(() => ofKind(a.records(), 'event').some((e) => e.actor.id === 'pm-rc-3'), 30_000, 'pm-rc-3 after the reconnect');
      const raw = (await podmanEvents(pm.socketPath, sec(t0) - 0.001)).filter((e) => inWindow(e.timeNano, t0, t1));
      await waitFor(() => ofKind(a.records(), 'event').filter((e) => inWindow(e.time_nano, t0, t1)).length >= raw.length, 20_000, 'every event of the window');
      await a.stop();

      const got = ofKind(a.records(), 'event').filter((e) => inWindow(e.time_nano, t0, t1));
      expect(got.map((e) => e.time_nano).sort()).toEqual(raw.map((e) => e.timeNano).sort()); // each exactly once
      expect(got.filter((e) => e.type === 'volume').map((e) => `${e.action}:${e.actor.id}`)).toEqual(['create:pm-rc-1', 'create:pm-rc-2', 'create:pm-rc-3']);
      expect(a.logs.some((l) => l.msg === 'docker events stream lost; reconnecting' || l.msg === 'docker events stream ended; reconnecting')).toBe(true);
      expect(ofKind(a.records(), 'inventory').map((i) => i.reason)).toEqual(['start', 'reconnect']);
      // Podman's /info ID changed (it changes on every call), and that is not a restart to report.
      const ids = ofKind(a.records(), 'inventory').map((i) => i.host.daemon_id);
      expect(ids[0]).not.toBe(ids[1]);
      expect(ofKind(a.records(), 'gap')).toEqual([]);
    } finally {
      await a.stop();
      removeDir(a.dir);
      await pm.podman(['volume', 'rm', '-f', 'pm-rc-1', 'pm-rc-2', 'pm-rc-3']);
    }
  });

  it('`once --source events --since 1m` returns every event Podman holds for the window (no `until`: a deadline there)', async () => {
    const t0 = nowNano();
    await pm.podmanOk(['volume', 'create', 'pm-once']);
    const id = await pm.podmanOk(['create', '--name', 'pm-once-c', '--network', 'none', BUSYBOX_IMAGE, 'true']);
    await pm.podmanOk(['rm', 'pm-once-c']);
    await pm.podmanOk(['volume', 'rm', 'pm-once']);
    const t1 = nowNano();
    const raw = (await podmanEvents(pm.socketPath, sec(t0) - 0.001)).filter((e) => inWindow(e.timeNano, t0, t1));
    const before = nowNano();
    const out = await once('events', { sinceMs: 60_000 });
    const got = ofKind(out, 'event').filter((e) => inWindow(e.time_nano, t0, t1));
    expect(raw.length).toBeGreaterThanOrEqual(4);
    expect(got.map((e) => e.time_nano).sort()).toEqual(raw.map((e) => e.timeNano).sort());
    expect(got.filter((e) => e.actor.id === id.trim()).map((e) => e.action)).toEqual(['create', 'destroy']);
    expect(got.filter((e) => e.type === 'volume').map((e) => `${e.action}:${e.actor.id}`)).toEqual(['create:pm-once', 'destroy:pm-once']);
    // Nothing from before the minute (the daemon's clock is this machine's).
    expect(ofKind(out, 'event').every((e) => BigInt(e.time_nano) >= before - 61_000_000_000n)).toBe(true);
  });

  it('filters in Docker vocabulary match on Podman, and nothing beyond them comes through', async () => {
    const t0 = nowNano();
    const id = await pm.runContainer(['--name', 'pm-flt', BUSYBOX_IMAGE, 'sleep', '1000']);
    await pm.podmanOk(['stop', '-t', '0', 'pm-flt']);
    await pm.podmanOk(['rm', 'pm-flt']);
    await pm.podmanOk(['volume', 'create', 'pm-flt-v']);
    await pm.podmanOk(['volume', 'rm', 'pm-flt-v']);
    await pm.podmanOk(['tag', BUSYBOX_IMAGE, 'local/flt:1']);
    await pm.podmanOk(['rmi', 'local/flt:1']);
    const t1 = nowNano();
    // Podman's own answer to its name for destroy: the image's removal comes too (as `delete`).
    const rawRemove = (await podmanEvents(pm.socketPath, sec(t0) - 0.001, '{"event":{"remove":true}}')).filter((e) => inWindow(e.timeNano, t0, t1));
    expect(rawRemove.map((e) => `${e.Type}:${e.Action}`).sort()).toEqual(['container:remove', 'image:delete', 'volume:remove']);

    const out = await once('events', { sinceMs: 60_000, filters: '{ event: [die, destroy] }' });
    const got = ofKind(out, 'event').filter((e) => inWindow(e.time_nano, t0, t1));
    expect(got.map((e) => `${e.type}:${e.action}:${e.actor.id}`)).toEqual([`container:die:${id}`, `container:destroy:${id}`, 'volume:destroy:pm-flt-v']);
  });

  it('refuses filters Podman cannot serve with CONFIG_INVALID instead of reconnecting in a loop', async () => {
    const err = await once('events', { sinceMs: 60_000, filters: '{ type: [network], network: [n1] }' }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DsError);
    expect((err as DsError).code).toBe('CONFIG_INVALID');
    expect((err as DsError).message).toBe('Podman cannot filter events by network: remove this key from sources.events.filters');

    // `dockstream check` says so up front, as a configuration problem.
    const checkConfig = parseConfig(
      `sources:\n  events: { type: docker_events, filters: { network: [n1] } }\nsinks:\n  out: { type: stdout, inputs: [events] }\ntelemetry: { listen: false }\n`,
      'check.yaml',
      BUILTIN_PLUGINS,
      {},
    );
    const lines = await runCheck(checkConfig, BUILTIN_PLUGINS, memoryLogger().log, pm.host);
    expect(lines.find((l) => l.component === 'source:events')).toEqual({
      component: 'source:events',
      ok: false,
      detail: 'docker_events: Podman cannot filter events by network: remove this key from sources.events.filters',
      configProblem: true,
    });
    expect(lines.find((l) => l.component === 'docker')?.ok).toBe(true);

    const a = startAgent(agentConfig(pm.host, 'filters: { network: [n1] }'));
    try {
      const failed = await waitFor(() => a.logs.find((l) => l.msg === 'source failed'), 20_000, 'the source to stop');
      expect(failed).toMatchObject({
        source: 'events',
        err: { type: 'DsError', code: 'CONFIG_INVALID', message: 'Podman cannot filter events by network: remove this key from sources.events.filters' },
      });
      // /readyz says why until a reload fixes it.
      expect([...a.agent.failedSources]).toEqual([['events', 'Podman cannot filter events by network: remove this key from sources.events.filters']]);
      expect(a.logs.filter((l) => /retrying|reconnecting|backing off|stream open/.test(l.msg))).toEqual([]);
      expect(a.records().filter((r) => r.kind === 'inventory' || r.kind === 'gap')).toEqual([]);
    } finally {
      await a.stop();
      removeDir(a.dir);
    }
  });

  /** One `dockstream once --source … [--since …]` round against the podman socket, in-process. */
  async function once(
    source: 'events' | 'stats' | 'df',
    opts: { sinceMs?: number; filters?: string; dfObjects?: readonly string[] } = {},
  ): Promise<DsRecord[]> {
    const events = `{ type: docker_events${opts.filters ? `, filters: ${opts.filters}` : ''} }`;
    const df = opts.dfObjects ? `  df: { type: docker_df, objects: [${opts.dfObjects.join(', ')}] }\n` : '';
    const config = parseConfig(
      `sources:\n  events: ${events}\n${df}sinks:\n  out: { type: stdout, inputs: [events] }\ntelemetry: { listen: false }\n`,
      'once.yaml',
      BUILTIN_PLUGINS,
      {},
    );
    let text = '';
    const sinceMs = opts.sinceMs !== undefined ? { sinceMs: opts.sinceMs } : {};
    await runOnce(config, BUILTIN_PLUGINS, memoryLogger('warn').log, { source, dockerHost: pm.host, ...sinceMs }, async (t) => {
      text += t;
    });
    return text
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as DsRecord);
  }
});
