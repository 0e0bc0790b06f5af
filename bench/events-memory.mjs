#!/usr/bin/env node
// Agent memory (RSS from /proc/<pid>/status):
//   idle     connected to the replay daemon, /events open and silent, after a settle time;
//   blocked  a `stdout` sink whose pipe nobody reads (the bench never reads the agent's
//            stdout) while the replay daemon sends a steady rate for `blockSeconds`:
//            the sink's send never completes, its queue fills to its bound, and from
//            then on new records are dropped and counted. RSS is sampled throughout;
//            then the bench starts reading the pipe and checks that the agent delivers
//            the queued records and a `gap` record saying how many it dropped.
// RSS at full throughput comes from the throughput runs (bench/events-throughput.mjs).
//
//   node bench/events-memory.mjs [--block-seconds 60] [--rate 10000] [--agent dist/src/main.js] [--no-build]
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { AGENT_MAIN, buildAgent, ROOT, startAgent, writeAgentConfig } from './lib/consumers.mjs';
import { loadAverage, median, rssMiB, sampleRss, stopChild } from './lib/proc.mjs';
import { startReplay } from './lib/replay.mjs';

/** The sink buffer of the blocked run: the agent's defaults, written out so the report can state them. */
export const BLOCKED_BUFFER = { max_records: 10_000, max_size: '64MiB' };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** RSS (MiB) of a Node process that imports `modules` (none: bare Node) and idles half a second. */
function rssAfterImport(modules) {
  const code = `for (const m of ${JSON.stringify(modules)}) await import(m); await new Promise((r) => setTimeout(r, 500)); console.log(process.memoryUsage().rss);`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8', cwd: ROOT });
  return Number(out.trim()) / 2 ** 20;
}

/** What idle RSS is made of: bare Node, and Node with the agent's modules loaded (nothing running). */
export function idleBaseline(agentMain = AGENT_MAIN) {
  const src = dirname(agentMain);
  return {
    bareNodeMiB: rssAfterImport([]),
    undiciMiB: rssAfterImport(['undici']),
    agentModulesMiB: rssAfterImport([pathToFileURL(join(src, 'agent.js')).href]),
  };
}

/** RSS of an agent with an open, silent /events stream, after `settleMs`. */
export async function measureIdle({ work, agentMain = AGENT_MAIN, settleMs = 5000 }) {
  mkdirSync(work, { recursive: true });
  const socket = join('/tmp', `dsb-idle-${process.pid}.sock`);
  const replay = await startReplay({ socket, events: 1, delayMs: 3_600_000 });
  const config = join(work, 'idle.yaml');
  const stateDir = join(work, 'idle-state');
  rmSync(stateDir, { recursive: true, force: true });
  writeAgentConfig(config, { socket, stateDir, sink: { type: 'file', path: join(work, 'idle.ndjson') } });
  const agent = startAgent({ config, logFile: join(work, 'idle.log'), main: agentMain });
  try {
    await replay.next((m) => m.stream === 'open', 0, 30_000);
    await sleep(settleMs);
    // The median of 2 s of samples: whether a GC has just run moves single readings by ~10 MB.
    const samples = [];
    for (let i = 0; i < 20; i++) {
      samples.push(rssMiB(agent.pid));
      await sleep(100);
    }
    return { rssMiB: median(samples), settleSeconds: settleMs / 1000, load: loadAverage(), ...idleBaseline(agentMain) };
  } finally {
    await stopChild(agent);
    await replay.stop();
  }
}

/** Reads `stream` until `pred(line)` or `timeoutMs`; returns { lines, match }. */
function readUntil(stream, pred, timeoutMs) {
  return new Promise((resolve) => {
    let carry = '';
    let lines = 0;
    const finish = (match) => {
      clearTimeout(timer);
      stream.off('data', onData);
      resolve({ lines, match });
    };
    const onData = (chunk) => {
      const text = carry + chunk.toString('utf8');
      const parts = text.split('\n');
      carry = parts.pop() ?? '';
      for (const line of parts) {
        lines++;
        if (pred(line)) return finish(line);
      }
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    stream.on('data', onData);
  });
}

/**
 * A stdout sink into an unread pipe for `blockSeconds` while `rate` events/s
 * arrive; RSS every 250 ms. Then the pipe is read: the queued records and the
 * gap record must come out.
 */
export async function measureBlocked({ work, agentMain = AGENT_MAIN, blockSeconds = 60, rate = 10_000, log = () => {} }) {
  mkdirSync(work, { recursive: true });
  const socket = join('/tmp', `dsb-blk-${process.pid}.sock`);
  const events = rate * (blockSeconds + 30);
  const replay = await startReplay({ socket, events, rate, delayMs: 2000 });
  const config = join(work, 'blocked.yaml');
  const stateDir = join(work, 'blocked-state');
  const agentLog = join(work, 'blocked.log');
  rmSync(stateDir, { recursive: true, force: true });
  writeAgentConfig(config, { socket, stateDir, sink: { type: 'stdout' }, buffer: BLOCKED_BUFFER });
  const agent = startAgent({ config, logFile: agentLog, stdout: 'pipe', main: agentMain });
  const loadBefore = loadAverage();
  try {
    await replay.next((m) => m.stream === 'open', 0, 30_000);
    await sleep(2000); // the stream's idle start
    const blockedAt = Date.now();
    const rss = sampleRss(agent.pid, 250);
    let firstDropAt = null;
    while (Date.now() - blockedAt < blockSeconds * 1000) {
      await sleep(1000);
      if (firstDropAt === null && /dropping records/.test(readFileSync(agentLog, 'utf8'))) firstDropAt = Date.now();
      const s = (Date.now() - blockedAt) / 1000;
      if (Math.round(s) % 15 === 0) log(`  blocked ${Math.round(s)} s: rss ${rssMiB(agent.pid)?.toFixed(1)} MiB`);
    }
    const samples = rss.stop();
    const at = (sec) => samples.filter((x) => x.t - blockedAt <= sec * 1000).at(-1)?.mib ?? NaN;
    const max = Math.max(...samples.map((x) => x.mib));
    const half = (blockSeconds / 2) * 1000;
    const firstHalf = samples.filter((x) => x.t - blockedAt < half).map((x) => x.mib);
    const lastHalf = samples.filter((x) => x.t - blockedAt >= half).map((x) => x.mib);
    // Unblock: read the pipe; the agent must deliver what it queued, then announce the drops.
    const unblockedAt = Date.now();
    const { lines, match } = await readUntil(agent.stdout, (line) => line.includes('"kind":"gap"'), 30_000);
    const gap = match ? JSON.parse(match) : null;
    agent.stdout.resume(); // keep draining until it exits
    return {
      rate,
      blockSeconds,
      buffer: BLOCKED_BUFFER,
      rssAtBlock: samples[0]?.mib ?? NaN,
      rssAt: Object.fromEntries([...new Set([10, 30, blockSeconds])].filter((sec) => sec <= blockSeconds).map((sec) => [sec, at(sec)])),
      rssMax: max,
      firstHalf: { min: Math.min(...firstHalf), max: Math.max(...firstHalf) },
      lastHalf: { min: Math.min(...lastHalf), max: Math.max(...lastHalf) },
      firstDropAfterSeconds: firstDropAt === null ? null : (firstDropAt - blockedAt) / 1000,
      linesBeforeGap: lines - 1,
      gapDropped: gap?.dropped ?? null,
      gapReason: gap?.reason ?? null,
      recoverySeconds: match ? (Date.now() - unblockedAt) / 1000 : null,
      loadBefore,
      loadAfter: loadAverage(),
    };
  } finally {
    agent.stdout?.resume();
    await stopChild(agent);
    await replay.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      'block-seconds': { type: 'string', default: '60' },
      rate: { type: 'string', default: '10000' },
      agent: { type: 'string' },
      work: { type: 'string', default: `/dev/shm/dsb-memory-${process.pid}` },
      'no-build': { type: 'boolean', default: false },
    },
  });
  if (!values.agent && !values['no-build']) buildAgent(console.log);
  const agentMain = values.agent ? resolve(values.agent) : AGENT_MAIN;
  try {
    console.log(JSON.stringify(await measureIdle({ work: values.work, agentMain })));
    console.log(
      JSON.stringify(
        await measureBlocked({ work: values.work, agentMain, blockSeconds: Number(values['block-seconds']), rate: Number(values.rate), log: console.log }),
      ),
    );
  } finally {
    rmSync(values.work, { recursive: true, force: true });
  }
}
