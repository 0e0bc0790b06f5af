#!/usr/bin/env node
// Cost of one stats round with N idle containers on a private dockerd,
// side by side with `docker stats --no-stream` for the same containers,
// alternating in the same run:
//
//   node bench/stats.mjs [containers=100] [rounds=6] [concurrency list=128,32]
//
// Per round: wall time; dockerd CPU (utime+stime from /proc/<pid>/stat) and
// dockerd + containerd + shims (plus the reaped children of containerd and
// the shims, cutime+cstime); for the agent its own CPU per container sample
// (process.cpuUsage) and RSS; for the CLI its own CPU (/usr/bin/time).
// Writes its section of bench/results/stats.md (notes around it are kept). Removes every container and
// stops the daemon at the end, also on failure.
//
// Then the agent process once more against a private Podman service with as
// many containers (Podman answers at once; dockerd 20.10 from its collector).
//
// Compiles the modules it needs (tsc, no type check) into bench/.out/stats first.
import { spawn } from 'node:child_process';
import { setMaxListeners } from 'node:events';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { cpuTimes, rssMiB, voluntarySwitches } from './lib/proc.mjs';
import { compileModules } from './lib/compile.mjs';
import { writeGeneratedSection } from './lib/sections.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', '.out', 'stats');
const load = compileModules(out, [
  'src/sources/docker-stats/round.ts',
  'src/sources/docker-stats/source.ts',
  'src/sources/docker-stats/container-set.ts',
  'src/sources/docker-stats/selection.ts',
  'src/docker/client.ts',
  'src/docker/host.ts',
  'src/log.ts',
  'src/telemetry/metrics.ts',
  'test/harness/dockerd.ts',
  'test/harness/reap.ts',
  'test/harness/podman.ts',
]);
const { startDockerd, BUSYBOX_IMAGE } = await load('test/harness/dockerd.js');
const { pidsOf } = await load('test/harness/reap.js');
const { DockerClient } = await load('src/docker/client.js');
const { resolveConnection } = await load('src/docker/host.js');
const { ContainerSet } = await load('src/sources/docker-stats/container-set.js');
const { containerSelector } = await load('src/sources/docker-stats/selection.js');
const { statsRound } = await load('src/sources/docker-stats/round.js');
const { createStatsClient } = await load('src/sources/docker-stats/source.js');
const { nullLogger } = await load('src/log.js');
const { SelfMetrics } = await load('src/telemetry/metrics.js');

/** Which engine (test/harness/engines.ts): DST_BENCH_ENGINE=docker-28 node bench/stats.mjs … */
const ENGINE = process.env.DST_BENCH_ENGINE ?? 'docker-20.10';
const N = Number(process.argv[2] ?? 100);
const ROUNDS = Number(process.argv[3] ?? 6);
const CONCURRENCIES = String(process.argv[4] ?? '128,32')
  .split(',')
  .map(Number);
const lines = [];
const say = (s = '') => {
  lines.push(s);
  console.log(s);
};

/** CPU seconds of a pid: own (utime+stime) and reaped children (cutime+cstime); 0 when it is gone. */
function procCpu(pid) {
  const t = cpuTimes(pid);
  return t === null ? { own: 0, children: 0 } : { own: t.user + t.sys, children: t.childrenUser + t.childrenSys };
}

function comm(pid) {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

/** dockerd alone, and dockerd + containerd + shims (own + reaped children). */
function daemonCpu(d) {
  const dockerd = procCpu(d.pid).own;
  let all = procCpu(d.pid).own;
  for (const pid of pidsOf(d.dir)) {
    const name = comm(pid);
    if (pid === d.pid || !(name === 'containerd' || name.startsWith('containerd-shim'))) continue;
    const c = procCpu(pid);
    all += c.own + c.children;
  }
  return { dockerd, all };
}

function run(cmd, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`${cmd} ${args.slice(0, 4).join(' ')}… exited ${code}: ${stderr.trim()}`)),
    );
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const fmt = (x, digits = 3) => x.toFixed(digits);

const AGENT_INTERVAL_S = 2;

/** The report as a BENCHMARKS.md section: tables stay, notes become bullets, raw rows a code block. */
function toMarkdown(report) {
  const raw = report.indexOf('raw rows');
  const body = (raw < 0 ? report : report.slice(0, raw)).flatMap((l, i, all) => {
    if (l.startsWith('# ')) return [];
    if (l === '' || l.startsWith('|')) return !l.startsWith('|') || all[i - 1]?.startsWith('|') ? [l] : ['', l]; // a table starts its own block
    return [`- ${l}`];
  });
  const title = report[0]?.replace(/^# /, '') ?? '';
  return [
    `## Container stats${ENGINE === 'docker-20.10' ? '' : ` on ${ENGINE}`}: one round with idle containers, against \`docker stats --no-stream\``,
    '',
    `Command: \`${ENGINE === 'docker-20.10' ? '' : `DST_BENCH_ENGINE=${ENGINE} `}node bench/stats.mjs ${process.argv.slice(2).join(' ')}\`  (arguments: containers, rounds, concurrencies). ${title}.`,
    '',
    ...body,
    ...(raw < 0 ? [] : ['', '```', ...report.slice(raw), '```']),
    '',
  ].join('\n');
}

/** The real agent as a process: CPU (from /proc) per container sample over whole rounds, and RSS. */
async function measureAgentProcess(d, n) {
  const work = join(root, 'bench', '.out', 'stats-agent');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const out = join(work, 'stats.ndjson');
  const config = join(work, 'config.yaml');
  writeFileSync(
    config,
    [
      `docker: { host: "${d.host}" }`,
      `state_dir: ${join(work, 'state')}`,
      'telemetry: { listen: false }',
      'sources:',
      `  stats: { type: docker_stats, interval: ${AGENT_INTERVAL_S}s, concurrency: 128 }`,
      'sinks:',
      `  out: { type: file, inputs: [stats], path: ${out}, fsync: never }`,
      '',
    ].join('\n'),
  );
  // STATS_BENCH_CPU_PROF=DIR: a V8 CPU profile of the agent process, for finding where the time goes.
  const prof = process.env.STATS_BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.STATS_BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...prof, join(root, 'dist', 'src', 'main.js'), 'run', '-c', config], { stdio: ['ignore', 'ignore', 'ignore'] });
  const lines = () => {
    try {
      return readFileSync(out, 'utf8').split('\n').length - 1;
    } catch {
      return 0;
    }
  };
  const rss = () => (rssMiB(child.pid) ?? 0) * 2 ** 20;
  try {
    const until = async (cond, ms) => {
      const t = Date.now();
      while (!cond()) {
        if (Date.now() - t > ms) throw new Error('agent process: timed out');
        await sleep(50);
      }
    };
    // Warm-up: the first round has no CPU %, and for ~20 s after start V8 still compiles hot code
    // and runs its post-start-up GCs. Measured: whole rounds after that, the steady state of an agent
    // that runs for days (the start-up cost is reported separately).
    const WARM_ROUNDS = 10;
    await until(() => lines() >= WARM_ROUNDS * n, 120_000);
    const startCpu = cpuTimes(child.pid);
    const wakeups0 = voluntarySwitches(child.pid);
    const rssStart = rss();
    const ROUNDS_P = 10;
    const l0 = lines();
    const c0 = cpuTimes(child.pid);
    let rssMax = rssStart;
    await until(() => {
      rssMax = Math.max(rssMax, rss());
      return lines() >= l0 + ROUNDS_P * n;
    }, 180_000);
    const c1 = cpuTimes(child.pid);
    const wakeups = voluntarySwitches(child.pid) - wakeups0;
    const samples = lines() - l0;
    return {
      rounds: ROUNDS_P,
      warmRounds: WARM_ROUNDS,
      wakeupsPerSample: wakeups / samples,
      startCpuS: startCpu.user + startCpu.sys,
      samples,
      rssStart,
      rssMax,
      msPerSample: ((c1.user + c1.sys - (c0.user + c0.sys)) * 1000) / samples,
      userMs: ((c1.user - c0.user) * 1000) / samples,
      sysMs: ((c1.sys - c0.sys) * 1000) / samples,
    };
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
  }
}

/** The harnesses wait on unref'd handles (made for test workers): keep the loop alive meanwhile. */
async function keepingAlive(fn) {
  const keepAlive = setInterval(() => undefined, 1000);
  try {
    return await fn();
  } finally {
    clearInterval(keepAlive);
  }
}

/** CPU per wake-up of an idle Node process on this machine: timers `gapMs` apart that do nothing. */
async function wakeupCost(gapMs) {
  const rows = [];
  for (let r = 0; r < 5; r++) {
    const c0 = process.cpuUsage();
    for (let i = 0; i < 100; i++) await sleep(gapMs);
    const c = process.cpuUsage(c0);
    rows.push((c.user + c.system) / 100);
  }
  return median(rows);
}

const d = await startDockerd({ name: 'stats-bench', engine: ENGINE });
/** That engine's own docker CLI (chrooted into its rootfs for docker-26/28). */
const docker = (args) => run(d.command[0], [...d.command.slice(1), ...args]);
try {
  say(`# docker_stats bench — ${new Date().toISOString()}`);
  say(`engine ${ENGINE}`);
  say(`host: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), node ${process.version}, load avg before: ${readFileSync('/proc/loadavg', 'utf8').trim()}`);
  const version = JSON.parse((await docker(['version', '--format', '{{json .}}'])).stdout);
  say(
    `dockerd ${version.Server?.Version} (API ${version.Server?.ApiVersion}), docker CLI ${version.Client?.Version}; ${N} idle containers (busybox sleep, --network none); ${ROUNDS} rounds each, alternating`,
  );

  // Create the containers, a few at a time.
  const ids = [];
  const t0 = performance.now();
  for (let i = 0; i < N; i += 8) {
    const batch = Array.from({ length: Math.min(8, N - i) }, (_, k) =>
      docker(['run', '-d', '--network', 'none', '--stop-timeout', '1', '--label', 'bench=stats', BUSYBOX_IMAGE, 'sleep', '36000']),
    );
    for (const r of await Promise.all(batch)) ids.push(r.stdout.trim());
  }
  say(`started ${ids.length} containers in ${fmt((performance.now() - t0) / 1000, 1)} s`);
  await sleep(3000); // let start-up work settle

  const host = { name: 'bench', daemon_id: '', engine: 'docker', version: version.Server?.Version ?? '', api_version: '' };
  const ac = new AbortController();
  setMaxListeners(1000, ac.signal); // as the source does for its own signal
  const shared = new DockerClient(resolveConnection({ host: d.host }), { timeoutMs: 30_000, log: nullLogger() });
  await shared.negotiate();
  const agents = [];
  for (const concurrency of CONCURRENCIES) {
    // The stats client exactly as the source builds it, for the default 10 s interval.
    const client = createStatsClient(shared, { timeout: 30_000, concurrency, interval: 10_000 }, nullLogger());
    await client.negotiate();
    let emitted = 0;
    const ctx = {
      docker: client,
      host: () => host,
      setHost: () => undefined,
      emit: () => void emitted++,
      hasCapacity: () => true,
      onEvent: () => () => undefined,
      log: nullLogger(),
      metrics: new SelfMetrics(),
      signal: ac.signal,
    };
    const set = new ContainerSet(containerSelector(), (c) => ({ id: c.id, name: c.name, image: c.image }));
    set.beginList();
    set.applyList(await shared.getJson('/containers/json', { query: { filters: JSON.stringify({ status: ['running'] }) } }));
    const opts = { source: 'stats', concurrency, timeoutMs: 30_000, emit: true, signal: ac.signal };
    await statsRound(ctx, client, set, opts); // warm-up: connections, JIT, previous samples
    agents.push({ concurrency, client, ctx, set, opts, rows: [], emittedSoFar: () => emitted });
  }

  const cliRows = [];
  /** 1-min load average at each round: other engineers' tests share these 2 cores. */
  const loads = [];
  let peakRss = 0;
  for (let i = 0; i < ROUNDS; i++) {
    for (const a of agents) {
      await sleep(1000);
      const before = { daemon: daemonCpu(d), cpu: process.cpuUsage(), emitted: a.emittedSoFar(), t: performance.now() };
      const res = await statsRound(a.ctx, a.client, a.set, a.opts);
      const wall = (performance.now() - before.t) / 1000;
      const cpu = process.cpuUsage(before.cpu);
      const daemon = daemonCpu(d);
      const samples = a.emittedSoFar() - before.emitted;
      peakRss = Math.max(peakRss, process.memoryUsage().rss);
      a.rows.push({
        wall,
        samples,
        failed: res.failed,
        dockerd: daemon.dockerd - before.daemon.dockerd,
        all: daemon.all - before.daemon.all,
        agentMsPerSample: (cpu.user + cpu.system) / 1000 / Math.max(1, samples),
      });
    }
    await sleep(1000);
    loads.push(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
    const before = { daemon: daemonCpu(d), t: performance.now() };
    const res = await run('/usr/bin/time', ['-f', '%U %S', ...d.command, 'stats', '--no-stream', '--format', '{{.ID}} {{.CPUPerc}} {{.MemUsage}}', ...ids]);
    const wall = (performance.now() - before.t) / 1000;
    const daemon = daemonCpu(d);
    const [u, s] = res.stderr.trim().split('\n').pop().split(' ').map(Number);
    cliRows.push({
      wall,
      samples: res.stdout.trim().split('\n').length,
      dockerd: daemon.dockerd - before.daemon.dockerd,
      all: daemon.all - before.daemon.all,
      cliCpu: u + s,
    });
  }
  // Back-to-back rounds (no idle gap): the agent's steady-state cost per sample, without the
  // cold-cache wake-up that a round every ~10 s pays on a busy shared machine.
  // Alternated with two floors: the same requests and JSON.parse through a bare undici Pool (the
  // transport the agent used before) and through a bare Http1Pool (the one it uses), no agent code.
  const hot = [];
  const floors = { undici: [], http1: [] };
  const first = agents[0];
  const { Pool } = await import('undici');
  const { Http1Pool } = await load('src/docker/http1/pool.js');
  const bareUndici = new Pool('http://localhost', { socketPath: d.socketPath, connections: first.concurrency, keepAliveTimeout: 15_000 });
  const bareHttp1 = new Http1Pool(resolveConnection({ host: d.host }), { connections: first.concurrency, keepAliveTimeoutMs: 15_000, userAgent: 'bench' });
  const apiVersion = first.client.apiVersion;
  const statsPath = (id) => `/v${apiVersion}/containers/${id}/stats?stream=false&one-shot=true`;
  const fetchers = {
    undici: async (id) => {
      const res = await bareUndici.request({ method: 'GET', path: statsPath(id) });
      JSON.parse(Buffer.from(await res.body.arrayBuffer()).toString('utf8'));
    },
    http1: async (id) => {
      const res = await bareHttp1.request('GET', statsPath(id), { timeoutMs: 30_000 });
      JSON.parse(res.body.toString('utf8'));
    },
  };
  for (const fetchOne of Object.values(fetchers)) await Promise.all(ids.map(fetchOne)); // connections, JIT
  for (let i = 0; i < ROUNDS; i++) {
    const cpu0 = process.cpuUsage();
    const emitted0 = first.emittedSoFar();
    const t = performance.now();
    await statsRound(first.ctx, first.client, first.set, first.opts);
    const cpu = process.cpuUsage(cpu0);
    const n = Math.max(1, first.emittedSoFar() - emitted0);
    hot.push({
      wall: (performance.now() - t) / 1000,
      msPerSample: (cpu.user + cpu.system) / 1000 / n,
      userMs: cpu.user / 1000 / n,
      sysMs: cpu.system / 1000 / n,
    });
    for (const [name, fetchOne] of Object.entries(fetchers)) {
      const cpu1 = process.cpuUsage();
      await Promise.all(ids.map(fetchOne));
      const c = process.cpuUsage(cpu1);
      floors[name].push({ ms: (c.user + c.system) / 1000 / ids.length, userMs: c.user / 1000 / ids.length, sysMs: c.system / 1000 / ids.length });
    }
  }
  await bareUndici.close();
  bareHttp1.close();
  const mem = process.memoryUsage();
  const wakeupUs = { gap1: await wakeupCost(1), gap13: await wakeupCost(13) };
  const agentProc = await measureAgentProcess(d, ids.length);
  // The same agent against a private Podman service, which answers each one-shot call at once
  // (no collector tick): answers arrive close together, so one wake-up costs less.
  // Podman is measured beside docker-20.10 only (the docker-28 run is about that engine's collector).
  let podmanProc;
  let podmanVersion;
  if (ENGINE === 'docker-20.10') {
    const { startPodman, BUSYBOX_IMAGE: PODMAN_IMAGE } = await load('test/harness/podman.js');
    const podman = await startPodman();
    try {
      podmanVersion = await podman.podmanOk(['version', '--format', '{{.Version}}']);
      for (let i = 0; i < N; i += 5) await Promise.all(Array.from({ length: Math.min(5, N - i) }, () => podman.runContainer([PODMAN_IMAGE, 'sleep', '36000'])));
      podmanProc = await measureAgentProcess(podman, N);
    } finally {
      await keepingAlive(() => podman.stop());
    }
  }
  // The pure part: parse + normalise one recorded sample (no I/O).
  const { normalize, cpuSampleOf } = await load('src/sources/docker-stats/normalize.js');
  const { parseStatsBody } = await load('src/sources/docker-stats/raw.js');
  const body = readFileSync(join(root, 'test', 'fixtures', 'stats', 'v1-idle-cache.json'), 'utf8');
  const prev = cpuSampleOf(parseStatsBody(body));
  for (let i = 0; i < 20_000; i++) normalize(parseStatsBody(body), prev, { id: 'x', name: 'x', image: 'x' }, host);
  const pure0 = process.cpuUsage();
  for (let i = 0; i < 50_000; i++) normalize(parseStatsBody(body), prev, { id: 'x', name: 'x', image: 'x' }, host);
  const pure = process.cpuUsage(pure0);

  say();
  say('per round (median over rounds; raw rows below)');
  say('| what | wall s | samples | dockerd CPU s | dockerd+containerd+shims CPU s | client CPU |');
  say('|---|---|---|---|---|---|');
  for (const a of agents) {
    const r = a.rows;
    say(
      `| agent, concurrency ${a.concurrency} | ${fmt(median(r.map((x) => x.wall)))} | ${median(r.map((x) => x.samples))} | ${fmt(median(r.map((x) => x.dockerd)), 2)} | ${fmt(median(r.map((x) => x.all)), 2)} | ${fmt(median(r.map((x) => x.agentMsPerSample)))} ms/sample |`,
    );
  }
  say(
    `| docker stats --no-stream | ${fmt(median(cliRows.map((x) => x.wall)))} | ${median(cliRows.map((x) => x.samples))} | ${fmt(median(cliRows.map((x) => x.dockerd)), 2)} | ${fmt(median(cliRows.map((x) => x.all)), 2)} | ${fmt(median(cliRows.map((x) => x.cliCpu)), 2)} s CLI |`,
  );
  say();
  say(
    `stats round code in this process, concurrency ${first.concurrency}, ${ROUNDS} rounds back to back: wall ${fmt(median(hot.map((x) => x.wall)))} s, ${fmt(median(hot.map((x) => x.msPerSample)))} ms/sample (user ${fmt(median(hot.map((x) => x.userMs)))}, sys ${fmt(median(hot.map((x) => x.sysMs)))}; median)`,
  );
  const floorLine = (rows) =>
    `${fmt(median(rows.map((x) => x.ms)))} ms/sample (user ${fmt(median(rows.map((x) => x.userMs)))}, sys ${fmt(median(rows.map((x) => x.sysMs)))}; median)`;
  say(
    `  same requests + JSON.parse, no agent code, alternated: bare Http1Pool (the agent's transport) ${floorLine(floors.http1)}; bare undici Pool (the transport before) ${floorLine(floors.undici)}`,
  );
  say(`parse + normalise alone: ${fmt((pure.user + pure.system) / 50_000, 1)} µs/sample`);
  say(
    `agent RSS: peak ${fmt(peakRss / 2 ** 20, 1)} MiB over the alternating rounds, ${fmt(mem.rss / 2 ** 20, 1)} MiB after the back-to-back ones (heap used ${fmt(mem.heapUsed / 2 ** 20, 1)} MiB) — this bench process, which also holds the harness`,
  );
  say(
    `this machine's CPU per wake-up of an idle Node process (a timer that does nothing, 100 in a row): ${fmt(wakeupUs.gap1, 0)} µs at 1 ms apart, ${fmt(wakeupUs.gap13, 0)} µs at 13 ms apart (a round's answers arrive ~13 ms apart)`,
  );
  say(
    `load avg after: ${readFileSync('/proc/loadavg', 'utf8').trim()}; 1-min load at each CLI round: ${loads.join(', ')} (2 cores shared with other test runs: the numbers are noisy)`,
  );
  say(
    `agent process (dist/src/main.js: stats source only, interval ${AGENT_INTERVAL_S} s, file sink), ${agentProc.rounds} rounds after ${agentProc.warmRounds} warm-up rounds: ${fmt(agentProc.msPerSample)} ms CPU/sample (user ${fmt(agentProc.userMs)}, sys ${fmt(agentProc.sysMs)}; everything the process does in that time, idle timers included), ${agentProc.samples} samples; ${fmt(agentProc.wakeupsPerSample, 2)} wake-ups/sample (voluntary context switches, all threads); start-up and warm-up rounds ${fmt(agentProc.startCpuS, 2)} s CPU; RSS ${fmt(agentProc.rssStart / 2 ** 20, 1)} MiB after warm-up, max ${fmt(agentProc.rssMax / 2 ** 20, 1)} MiB`,
  );
  if (podmanProc)
    say(
      `the same agent process against Podman ${podmanVersion} (its service answers each call at once), ${N} idle containers: ${fmt(podmanProc.msPerSample)} ms CPU/sample (user ${fmt(podmanProc.userMs)}, sys ${fmt(podmanProc.sysMs)}), ${fmt(podmanProc.wakeupsPerSample, 2)} wake-ups/sample (Podman sends the head and the body apart), ${podmanProc.samples} samples`,
    );
  say();
  say('raw rows');
  for (const a of agents)
    for (const [i, x] of a.rows.entries())
      say(
        `agent c=${a.concurrency} #${i + 1}: wall ${fmt(x.wall)} s, ${x.samples} samples, ${x.failed} failed, dockerd ${fmt(x.dockerd, 2)} s, all ${fmt(x.all, 2)} s, agent ${fmt(x.agentMsPerSample)} ms/sample`,
      );
  for (const [i, x] of cliRows.entries())
    say(`cli #${i + 1}: wall ${fmt(x.wall)} s, ${x.samples} rows, dockerd ${fmt(x.dockerd, 2)} s, all ${fmt(x.all, 2)} s, CLI ${fmt(x.cliCpu, 2)} s`);

  ac.abort();
  await Promise.all([shared.close(), ...agents.map((a) => a.client.close())]);
  mkdirSync(join(root, 'bench', 'results'), { recursive: true });
  const owner = ENGINE === 'docker-20.10' ? 'bench/stats.mjs' : `bench/stats.mjs ${ENGINE}`;
  writeGeneratedSection(join(root, 'bench', 'results', 'stats.md'), owner, toMarkdown(lines));
  console.log('\nsaved bench/results/stats.md');
} finally {
  await keepingAlive(() => d.stop()); // removes all containers, stops dockerd, removes its directory
}
