#!/usr/bin/env node
// Events throughput: the same replay of N events, read as fast as possible by
//   agent-file    the agent with a `file` sink (default options: fsync interval)
//   agent-stdout  the agent with a `stdout` sink, stdout redirected to a file
//   cli-28/cli-20 `docker events --format '{{json .}}' > file` (the two docker CLIs here)
//   agent-file@DIR, agent-stdout@DIR  the agent compiled into DIR (DIR/src/main.js),
//                 to compare builds (bench/events-compare.mjs)
// in interleaved rounds (so machine load hits all of them alike). Per run:
// events/s from the moment the replay daemon opened the /events stream to the
// moment all N lines were in the output file, CPU seconds of the consumer
// (utime + stime of all its threads from /proc, start-up excluded) per
// 100,000 events, and its peak RSS.
//
//   node bench/events-throughput.mjs [--events 200000] [--runs 3] [--consumers agent-file,agent-stdout,cli-28,cli-20]
//        [--agent dist/src/main.js] [--no-build]
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AGENT_MAIN, buildAgent, CLIS, cliVersion, startAgent, startCli, writeAgentConfig } from './lib/consumers.mjs';
import { waitForLines } from './lib/line-counter.mjs';
import { cpuSeconds, loadAverage, median, sampleRss, stopChild } from './lib/proc.mjs';
import { startReplay } from './lib/replay.mjs';

export const DEFAULT_CONSUMERS = ['agent-file', 'agent-stdout', 'cli-28', 'cli-20'];

/** `agent-file@/some/dir` → { sink: 'file', main: '/some/dir/src/main.js' }; CLIs → { cli }. */
export function parseConsumer(name, agentMain = AGENT_MAIN) {
  if (CLIS[name]) return { cli: CLIS[name] };
  const m = /^agent-(file|stdout)(?:@(.+))?$/.exec(name);
  if (!m) throw new Error(`unknown consumer ${name} (agent-file, agent-stdout, agent-file@DIR, ${Object.keys(CLIS).join(', ')})`);
  return { sink: m[1], main: m[2] ? join(resolve(m[2]), 'src', 'main.js') : agentMain };
}

/** A short label: `agent-file@bench/.out/agent-before` → `agent-file@agent-before`. */
export function label(name) {
  const at = name.indexOf('@');
  return at === -1 ? name : `${name.slice(0, at)}@${basename(name.slice(at + 1))}`;
}

function startConsumer(name, { socket, work, out, nodeArgs, agentMain, batch }) {
  const file = label(name).replace(/[^\w.-]/g, '_');
  const log = join(work, `${file}.log`);
  const spec = parseConsumer(name, agentMain);
  if (spec.cli) return { child: startCli({ bin: spec.cli, socket, outFile: out, logFile: log }), extraLines: 0, log };
  const config = join(work, `${file}.yaml`);
  const stateDir = join(work, `${file}-state`);
  // A fresh state dir: a cursor left by the previous run would make the agent resume (and emit a gap).
  rmSync(stateDir, { recursive: true, force: true });
  writeAgentConfig(config, { socket, stateDir, sink: spec.sink === 'file' ? { type: 'file', path: out } : { type: 'stdout' }, batch });
  const child = startAgent({ config, logFile: log, stdout: spec.sink === 'stdout' ? out : undefined, nodeArgs, main: spec.main });
  // The agent writes one `inventory` record before the events.
  return { child, extraLines: 1, log };
}

/** One consumer reading one full replay. */
export async function measureOnce(replay, name, { events, socket, work, nodeArgs = [], agentMain, batch }) {
  const out = join(work, `${label(name).replace(/[^\w.-]/g, '_')}.ndjson`);
  rmSync(out, { force: true });
  const mark = replay.streams.length;
  const { child, extraLines, log } = startConsumer(name, { socket, work, out, nodeArgs, agentMain, batch });
  const exited = new Promise((resolve) => child.once('exit', (code, sig) => resolve({ code, sig })));
  try {
    // The live stream (the agent may also make a bounded since/until query; it has no `until`).
    const open = await Promise.race([
      replay.next((m) => m.stream === 'open' && !m.until, mark),
      exited.then((e) => Promise.reject(new Error(`${name} exited early (${e.code ?? e.sig}); see ${log}`))),
    ]);
    const cpu0 = cpuSeconds(child.pid);
    const rss = sampleRss(child.pid, 100);
    const done = await waitForLines(out, events + extraLines, { stallMs: 8000 });
    const cpu1 = cpuSeconds(child.pid);
    const rssSamples = rss.stop();
    const sent = await replay.next((m) => m.stream === 'done' && m.id === open.id, mark, 10_000).catch(() => null);
    const lines = done.lines - extraLines;
    const seconds = (done.at - open.t) / 1000;
    const cpu = cpu1 - cpu0;
    return {
      consumer: name,
      label: label(name),
      events,
      lines,
      complete: !done.stalled,
      seconds: round(seconds, 3),
      rate: Math.round(lines / seconds),
      cpuSeconds: round(cpu, 2),
      cpuPer100k: round((cpu / lines) * 100_000, 3),
      rssMaxMiB: round(Math.max(...rssSamples.map((s) => s.mib)), 1),
      daemonWriteRate: sent?.rate ?? null,
      outputBytes: done.bytes,
    };
  } finally {
    await stopChild(child);
    rmSync(out, { force: true });
    if (/dropping records/.test(readFileSync(log, 'utf8'))) process.stderr.write(`${label(name)}: the agent dropped records (see ${log})\n`);
  }
}

export function round(x, digits) {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/**
 * Runs every consumer once per round, `runs` rounds. Ratios against the first
 * CLI are taken per round (the same load for both), then their median.
 */
export async function runThroughput({
  events = 200_000,
  runs = 3,
  consumers = DEFAULT_CONSUMERS,
  work,
  log = console.log,
  nodeArgs = [],
  agentMain = AGENT_MAIN,
  batch,
}) {
  mkdirSync(work, { recursive: true });
  const socket = join('/tmp', `dsb-tp-${process.pid}.sock`);
  const replay = await startReplay({ socket, events });
  const results = [];
  try {
    for (let r = 1; r <= runs; r++) {
      for (const name of consumers) {
        const loadBefore = loadAverage();
        const res = await measureOnce(replay, name, { events, socket, work, nodeArgs, agentMain, batch });
        Object.assign(res, { run: r, loadBefore, loadAfter: loadAverage() });
        results.push(res);
        log(
          `  run ${r} ${res.label.padEnd(22)} ${String(res.rate).padStart(7)} ev/s  ${res.seconds.toFixed(2)} s  cpu ${res.cpuSeconds} s ` +
            `(${res.cpuPer100k} s/100k)  rss max ${res.rssMaxMiB} MiB${res.complete ? '' : `  INCOMPLETE ${res.lines}/${events}`}  [load ${loadBefore}]`,
        );
      }
    }
  } finally {
    await replay.stop();
  }
  const summary = {};
  for (const name of consumers) {
    const mine = results.filter((x) => x.consumer === name);
    summary[name] = {
      label: label(name),
      rate: Math.round(median(mine.map((x) => x.rate))),
      cpuPer100k: round(median(mine.map((x) => x.cpuPer100k)), 3),
      perCpuSecond: Math.round(100_000 / median(mine.map((x) => x.cpuPer100k))),
      rssMaxMiB: round(median(mine.map((x) => x.rssMaxMiB)), 1),
      complete: mine.every((x) => x.complete),
    };
  }
  const ratios = [];
  const cli = consumers.find((c) => CLIS[c]);
  if (cli) {
    for (const name of consumers.filter((c) => !CLIS[c])) {
      const perRun = [];
      for (let r = 1; r <= runs; r++) {
        const a = results.find((x) => x.consumer === name && x.run === r);
        const b = results.find((x) => x.consumer === cli && x.run === r);
        if (a && b) perRun.push({ rate: a.rate / b.rate, cpu: a.cpuPer100k / b.cpuPer100k });
      }
      ratios.push({
        consumer: name,
        versus: cli,
        rate: round(median(perRun.map((p) => p.rate)), 2),
        cpu: round(median(perRun.map((p) => p.cpu)), 2),
        perRun: perRun.map((p) => round(p.rate, 2)),
      });
    }
  }
  const clis = Object.fromEntries(consumers.filter((c) => CLIS[c]).map((c) => [c, `${CLIS[c]} ${cliVersion(CLIS[c])}`]));
  return { events, runs, consumers, clis, results, summary, ratios };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      events: { type: 'string', default: '200000' },
      runs: { type: 'string', default: '3' },
      consumers: { type: 'string', default: DEFAULT_CONSUMERS.join(',') },
      agent: { type: 'string' },
      work: { type: 'string', default: `/dev/shm/dsb-throughput-${process.pid}` },
      'no-build': { type: 'boolean', default: false },
    },
  });
  if (!values.agent && !values['no-build']) buildAgent(console.log);
  try {
    const res = await runThroughput({
      events: Number(values.events),
      runs: Number(values.runs),
      consumers: values.consumers.split(','),
      work: values.work,
      agentMain: values.agent ? resolve(values.agent) : AGENT_MAIN,
    });
    console.log(JSON.stringify({ summary: res.summary, ratios: res.ratios, clis: res.clis }, null, 2));
  } finally {
    rmSync(values.work, { recursive: true, force: true });
  }
}
