#!/usr/bin/env node
// The events pipeline benchmark (issue 9): throughput against the docker CLI,
// latency, memory, and what bounds the hot path. Writes bench/results/events.md.
//
//   node bench/events.mjs              # defaults: about 5 minutes
//   node bench/events.mjs --quick      # a smoke run: about 1 minute
//   options: --events N --runs N --consumers a,b --latency-seconds S --latency-runs N
//            --block-seconds S --block-rate N --sections throughput,latency,memory,costs,profile
//            --agent dist/src/main.js (default: src/ compiled into bench/.out/agent) --no-build --out FILE
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runThroughput, DEFAULT_CONSUMERS, measureOnce } from './events-throughput.mjs';
import { runLatency } from './events-latency.mjs';
import { measureBlocked, measureIdle } from './events-memory.mjs';
import { AGENT_MAIN, buildAgent, ROOT } from './lib/consumers.mjs';
import { summarizeProfile } from './lib/cpuprofile.mjs';
import { hotPathCosts } from './lib/hot-path.mjs';
import { loadAverage } from './lib/proc.mjs';
import { startReplay } from './lib/replay.mjs';
import { renderReport } from './lib/events-report.mjs';

const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    events: { type: 'string' },
    runs: { type: 'string' },
    consumers: { type: 'string', default: DEFAULT_CONSUMERS.join(',') },
    'latency-seconds': { type: 'string' },
    'latency-runs': { type: 'string' },
    'block-seconds': { type: 'string' },
    'block-rate': { type: 'string', default: '5000' },
    sections: { type: 'string', default: 'throughput,latency,memory,costs,profile' },
    agent: { type: 'string' },
    'no-build': { type: 'boolean', default: false },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'events.md') },
    work: { type: 'string', default: `/dev/shm/dsb-events-${process.pid}` },
  },
});
const q = values.quick;
const opts = {
  events: Number(values.events ?? (q ? 50_000 : 200_000)),
  runs: Number(values.runs ?? (q ? 1 : 3)),
  consumers: values.consumers.split(','),
  latencySeconds: Number(values['latency-seconds'] ?? (q ? 3 : 10)),
  latencyRuns: Number(values['latency-runs'] ?? (q ? 1 : 2)),
  blockSeconds: Number(values['block-seconds'] ?? (q ? 10 : 60)),
  blockRate: Number(values['block-rate']),
  sections: new Set(values.sections.split(',')),
};
const agentMain = values.agent ? resolve(values.agent) : AGENT_MAIN;
const work = values.work;
const started = Date.now();
const log = console.log;

const report = {
  command: `node ${['bench/events.mjs', ...process.argv.slice(2)].join(' ')}`.trim(),
  date: new Date().toISOString(),
  agent: relative(ROOT, agentMain),
  opts,
  loadBefore: loadAverage(),
};

if (!values.agent && !values['no-build']) buildAgent(log);
mkdirSync(work, { recursive: true });
try {
  if (opts.sections.has('throughput')) {
    log(`throughput: ${opts.events} events x ${opts.runs} runs: ${opts.consumers.join(', ')}`);
    report.throughput = await runThroughput({ events: opts.events, runs: opts.runs, consumers: opts.consumers, work, agentMain, log });
  }
  if (opts.sections.has('latency')) {
    log(`latency: 1,000 and 10,000 events/s, ${opts.latencySeconds} s x ${opts.latencyRuns} runs`);
    report.latency = await runLatency({ rates: [1000, 10_000], seconds: opts.latencySeconds, runs: opts.latencyRuns, work, agentMain, log });
  }
  if (opts.sections.has('memory')) {
    log('memory: idle');
    report.idle = await measureIdle({ work, agentMain });
    log(`  idle rss ${report.idle.rssMiB.toFixed(1)} MiB`);
    log(`memory: stdout sink blocked for ${opts.blockSeconds} s at ${opts.blockRate} events/s`);
    report.blocked = await measureBlocked({ work, agentMain, blockSeconds: opts.blockSeconds, rate: opts.blockRate, log });
  }
  if (opts.sections.has('costs')) {
    log('hot-path costs (in process)');
    report.costs = await hotPathCosts(dirname(dirname(agentMain)));
  }
  if (opts.sections.has('profile')) {
    log(`profile: agent-file with --cpu-prof, ${opts.events} events`);
    const dir = join(work, 'profile');
    const socket = join('/tmp', `dsb-prof-${process.pid}.sock`);
    const replay = await startReplay({ socket, events: opts.events });
    try {
      report.profileRun = await measureOnce(replay, 'agent-file', {
        events: opts.events,
        socket,
        work,
        agentMain,
        nodeArgs: ['--cpu-prof', '--cpu-prof-dir', dir],
      });
    } finally {
      await replay.stop();
    }
    report.profile = summarizeProfile(dir);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
report.loadAfter = loadAverage();
report.seconds = Math.round((Date.now() - started) / 1000);
mkdirSync(dirname(values.out), { recursive: true });
writeFileSync(values.out, renderReport(report));
log(`wrote ${relative(process.cwd(), values.out)} in ${report.seconds} s`);
