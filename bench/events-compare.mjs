#!/usr/bin/env node
// Before/after of hot-path changes: several compiled agents (each a directory
// holding src/main.js, e.g. `src/` of one commit built with
// `node -e "import('./bench/lib/consumers.mjs').then(m => m.buildAgent(console.log, 'bench/.out/fixes/f1'))"`),
// measured side by side in the same run: throughput to the file sink against
// the docker CLI (interleaved rounds), p50/p99 latency at 10,000 events/s, the
// in-process stage costs, and peak RSS. Writes bench/results/events-fixes.md.
//
//   node bench/events-compare.mjs --builds before=bench/.out/fixes/before,f1=bench/.out/fixes/f1,...
//        [--notes notes.json] [--events 200000] [--runs 3] [--latency-seconds 8] [--latency-runs 2]
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { runThroughput } from './events-throughput.mjs';
import { measureLatency } from './events-latency.mjs';
import { ROOT } from './lib/consumers.mjs';
import { hotPathCosts } from './lib/hot-path.mjs';
import { machineLine, num, table } from './lib/markdown.mjs';
import { loadAverage, median } from './lib/proc.mjs';

const { values } = parseArgs({
  options: {
    builds: { type: 'string' },
    notes: { type: 'string' },
    events: { type: 'string', default: '200000' },
    runs: { type: 'string', default: '3' },
    'latency-seconds': { type: 'string', default: '8' },
    'latency-runs': { type: 'string', default: '2' },
    out: { type: 'string', default: join(ROOT, 'bench', 'results', 'events-fixes.md') },
    work: { type: 'string', default: `/dev/shm/dsb-compare-${process.pid}` },
  },
});
if (!values.builds) {
  process.stderr.write('usage: events-compare.mjs --builds name=dir,name=dir,... [--notes notes.json]\n');
  process.exit(64);
}
const builds = values.builds.split(',').map((b) => {
  const [name, dir] = b.split('=');
  return { name, dir: resolve(dir) };
});
/** { name: "what this build changes" }, shown in the table. */
const notes = values.notes ? JSON.parse(readFileSync(values.notes, 'utf8')) : {};
const started = Date.now();
const loadBefore = loadAverage();
const work = values.work;
const rows = Object.fromEntries(builds.map((b) => [b.name, { latency: [] }]));

try {
  console.log('throughput');
  const consumers = [...builds.map((b) => `agent-file@${b.dir}`), 'cli-28'];
  const tp = await runThroughput({ events: Number(values.events), runs: Number(values.runs), consumers, work });
  for (const b of builds) {
    const s = tp.summary[`agent-file@${b.dir}`];
    const ratio = tp.ratios.find((x) => x.consumer === `agent-file@${b.dir}`);
    Object.assign(rows[b.name], { rate: s.rate, cpuPer100k: s.cpuPer100k, rssMaxMiB: s.rssMaxMiB, vsCli: ratio?.rate, complete: s.complete });
  }
  rows.cli = { rate: tp.summary['cli-28'].rate, cpuPer100k: tp.summary['cli-28'].cpuPer100k, rssMaxMiB: tp.summary['cli-28'].rssMaxMiB };
  console.log('latency at 10,000 events/s');
  for (let r = 0; r < Number(values['latency-runs']); r++) {
    for (const b of builds) {
      const res = await measureLatency({ rate: 10_000, seconds: Number(values['latency-seconds']), work, agentMain: join(b.dir, 'src', 'main.js') });
      rows[b.name].latency.push(res);
      console.log(`  ${b.name}: p50 ${res.p50.toFixed(2)} ms, p99 ${res.p99.toFixed(2)} ms [load ${res.loadBefore}]`);
    }
  }
  console.log('stage costs');
  // Builds in turn, three times over, best per stage: load changes hit every build alike.
  for (let r = 0; r < 3; r++) {
    for (const b of builds) {
      const c = await hotPathCosts(b.dir, { rounds: 3 });
      const prev = rows[b.name].costs;
      rows[b.name].costs = prev ? Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Math.min(v, prev[k])])) : c;
    }
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

const mb = (mib) => mib * 1.048576;
const lat = (name, k) => median(rows[name].latency.map((x) => x[k]));
const text = [
  '## Events hot path: before/after each change (issue 9)',
  '',
  `- Command: \`node bench/events-compare.mjs ${process.argv.slice(2).join(' ')}\` (${Math.round((Date.now() - started) / 1000)} s)`,
  `- Machine: ${machineLine()}; date ${new Date().toISOString()}; load average ${loadBefore} → ${loadAverage()}`,
  `- Each build is the agent with the changes up to that row (cumulative). Throughput: ${num(Number(values.events))} events per run, ` +
    `${values.runs} interleaved rounds with the docker CLI 28 (medians; ratio per round, then median). Latency: 10,000 events/s for ` +
    `${values['latency-seconds']} s, ${values['latency-runs']} rounds (medians). Stage costs: in-process CPU µs per event (bench/lib/hot-path.mjs), ` +
    'best of the builds measured in turn. "lost events": in some round the agent dropped records (its queue overflowed), so that rate counts fewer lines.',
  '',
  table(
    [
      'build',
      'change',
      'events/s',
      'CPU s / 100k',
      'vs CLI',
      'peak RSS (MB)',
      'p50 / p99 at 10k/s (ms)',
      'parse',
      'normalise',
      'serialise',
      'boundary',
      'framing',
    ],
    [
      ...builds.map(({ name }) => {
        const r = rows[name];
        const c = r.costs;
        return [
          name,
          notes[name] ?? '',
          `${num(r.rate)}${r.complete ? '' : ' (lost events)'}`,
          num(r.cpuPer100k, 2),
          `${num(r.vsCli, 2)}×`,
          num(mb(r.rssMaxMiB), 0),
          `${num(lat(name, 'p50'), 1)} / ${num(lat(name, 'p99'), 1)}`,
          num(c.parseEventLine, 2),
          num(c.normalizeEvent, 2),
          num(c.serialize, 2),
          num(c.boundaryAdmit, 2),
          num(c.framing, 2),
        ];
      }),
      [
        'cli-28',
        '`docker events --format {{json .}}`',
        num(rows.cli.rate),
        num(rows.cli.cpuPer100k, 2),
        '1×',
        num(mb(rows.cli.rssMaxMiB), 0),
        '',
        '',
        '',
        '',
        '',
        '',
      ],
    ],
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r'],
  ),
  '',
].join('\n');
writeFileSync(values.out, text);
console.log(`wrote ${values.out}`);
