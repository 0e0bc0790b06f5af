#!/usr/bin/env node
// Events latency: the replay daemon sends events at a fixed rate, each stamped
// with `timeNano` = the wall clock when it went on the socket; the agent
// writes them with its `file` sink (default options); this process follows the
// file (inotify, and a 2 ms poll) and takes, for every line, the time it saw
// the line minus its `time_nano`. Both processes read the same clock
// (performance.timeOrigin + performance.now(), bench/lib/event-shapes.mjs).
// "Written" is therefore "visible in the file to a reader", an upper bound on
// the sink's own write time. One second of idle stream first, so the agent's
// start-up is not measured.
//
//   node bench/events-latency.mjs [--rates 1000,10000] [--seconds 10] [--runs 2] [--agent dist/src/main.js] [--no-build]
import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { AGENT_MAIN, buildAgent, startAgent, writeAgentConfig } from './lib/consumers.mjs';
import { wallClockMs } from './lib/event-shapes.mjs';
import { followLines } from './lib/line-counter.mjs';
import { loadAverage, percentile, stopChild } from './lib/proc.mjs';
import { startReplay } from './lib/replay.mjs';

const WARM_UP_MS = 1000;

/** time_nano of a record line without parsing all of it (the follower must stay cheap). */
function timeNanoMs(line) {
  const at = line.indexOf('"time_nano":"');
  if (at === -1) return null;
  const digits = line.slice(at + 13, line.indexOf('"', at + 13));
  // ms with µs precision: seconds and fraction apart, Number cannot hold 19 digits.
  return Number(digits.slice(0, -6)) + Number(digits.slice(-6)) / 1e6;
}

/** One run: `rate` events/s for `seconds`, latencies of every event line. */
export async function measureLatency({ rate, seconds, work, agentMain = AGENT_MAIN, batch, nodeArgs = [] }) {
  mkdirSync(work, { recursive: true });
  const events = Math.round(rate * seconds);
  const socket = join('/tmp', `dsb-lat-${process.pid}.sock`);
  const out = join(work, 'latency.ndjson');
  const stateDir = join(work, 'latency-state');
  rmSync(out, { force: true });
  rmSync(stateDir, { recursive: true, force: true });
  const replay = await startReplay({ socket, events, rate, delayMs: WARM_UP_MS });
  const latencies = [];
  /** time_nano (ms) of each latency, to look at the first second apart. */
  const seen = [];
  let negative = 0;
  const follower = followLines(
    out,
    (line, seenAt) => {
      const t = timeNanoMs(line);
      if (t === null) return; // the inventory record
      const ms = seenAt - t;
      if (ms < 0) negative++;
      latencies.push(ms);
      seen.push(t);
    },
    { pollMs: 2, clock: wallClockMs },
  );
  const config = join(work, 'latency.yaml');
  writeAgentConfig(config, { socket, stateDir, sink: { type: 'file', path: out }, batch });
  const loadBefore = loadAverage();
  const agent = startAgent({ config, logFile: join(work, 'latency.log'), nodeArgs, main: agentMain });
  try {
    const open = await replay.next((m) => m.stream === 'open' && !m.until, 0, 30_000);
    const done = await replay.next((m) => m.stream === 'done' && m.id === open.id, 0, (seconds + 60) * 1000);
    // The last events: at most a linger time plus a write away.
    const deadline = Date.now() + 5000;
    while (latencies.length < events && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const sorted = [...latencies].sort((a, b) => a - b);
    // Without the first second of events: the agent's code is still being optimised (JIT) then.
    const from = (seen[0] ?? 0) + 1000;
    const steady = latencies.filter((_, i) => (seen[i] ?? 0) >= from).sort((a, b) => a - b);
    return {
      rate,
      seconds,
      events,
      received: latencies.length,
      sentRate: done.rate,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
      max: sorted.at(-1) ?? NaN,
      steady: { p50: percentile(steady, 50), p99: percentile(steady, 99), max: steady.at(-1) ?? NaN },
      negative,
      loadBefore,
      loadAfter: loadAverage(),
    };
  } finally {
    follower.stop();
    await stopChild(agent);
    await replay.stop();
    rmSync(out, { force: true });
  }
}

/** Every rate once per round, `runs` rounds (interleaved, so load hits each rate alike). */
export async function runLatency({ rates = [1000, 10_000], seconds = 10, runs = 2, work, agentMain = AGENT_MAIN, batch, log = console.log }) {
  const results = [];
  for (let r = 1; r <= runs; r++) {
    for (const rate of rates) {
      const res = await measureLatency({ rate, seconds, work, agentMain, batch });
      res.run = r;
      results.push(res);
      log(
        `  run ${r} ${String(rate).padStart(6)} ev/s: p50 ${res.p50.toFixed(2)} ms  p99 ${res.p99.toFixed(2)} ms  max ${res.max.toFixed(2)} ms  ` +
          `(${res.received}/${res.events} events${res.negative ? `, ${res.negative} negative` : ''})  [load ${res.loadBefore}]`,
      );
    }
  }
  return { rates, seconds, runs, results };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      rates: { type: 'string', default: '1000,10000' },
      seconds: { type: 'string', default: '10' },
      runs: { type: 'string', default: '2' },
      linger: { type: 'string' },
      agent: { type: 'string' },
      work: { type: 'string', default: `/dev/shm/dsb-latency-${process.pid}` },
      'no-build': { type: 'boolean', default: false },
    },
  });
  if (!values.agent && !values['no-build']) buildAgent(console.log);
  try {
    await runLatency({
      rates: values.rates.split(',').map(Number),
      seconds: Number(values.seconds),
      runs: Number(values.runs),
      work: values.work,
      agentMain: values.agent ? resolve(values.agent) : AGENT_MAIN,
      ...(values.linger ? { batch: { linger: values.linger } } : {}),
    });
  } finally {
    rmSync(values.work, { recursive: true, force: true });
  }
}
