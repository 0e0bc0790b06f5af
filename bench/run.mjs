#!/usr/bin/env node
// `npm run bench [-- NAME ...]`: runs the named benchmarks (default: all),
// each of which writes its section to bench/results/<name>.md, then
// assembles BENCHMARKS.md from every section present (so a partial run keeps
// the other sections' last results).
//
//   npm run bench                 all benchmarks (about 15 minutes on 2 cores)
//   npm run bench -- events       only the events pipeline
//   npm run bench -- --assemble   only rebuild BENCHMARKS.md from bench/results/*.md
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const node = process.execPath;

/** In BENCHMARKS.md order. `cmd` runs from the repo root. */
export const BENCHES = [
  { name: 'events', issue: 9, cmd: [node, 'bench/events.mjs', '--agent', 'dist/src/main.js'] },
  // Before/after each hot-path change: needs the builds named in its command (see the section), so not run by default.
  { name: 'events-fixes', issue: 9, cmd: null },
  { name: 'stats', issue: 3, cmd: [node, 'bench/stats.mjs', '100', '6', '128,32'] },
  { name: 'kafka', issue: 5, cmd: [node, '--import', 'tsx', 'bench/kafka-pipeline.ts', '50000', '5', '--write'] },
  // Node's young-generation size against RSS and CPU: commands in the section, run by hand.
  { name: 'memory-tuning', issue: 9, cmd: null },
  // Before/after A/B of the issue-19 refactor: commands in the section, run by hand in two checkouts.
  { name: 'refactor-ab', issue: 19, cmd: null },
  // 10 minutes plus start-up: run it with `npm run bench -- soak`.
  { name: 'soak', issue: 18, cmd: null, manual: [node, '--import', 'tsx', 'bench/soak.ts', '600', '200', '--write'] },
];

const args = process.argv.slice(2);
const assembleOnly = args.includes('--assemble');
const wanted = args.filter((a) => !a.startsWith('--'));
for (const w of wanted) {
  if (!BENCHES.some((b) => b.name === w)) {
    console.error(`bench: unknown benchmark "${w}" (one of ${BENCHES.map((b) => b.name).join(', ')})`);
    process.exit(64);
  }
}

if (!assembleOnly) {
  // Benchmarks run the built agent.
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
  for (const b of BENCHES) {
    if (wanted.length > 0 ? !wanted.includes(b.name) : b.cmd === null) continue;
    if (b.cmd === null && b.manual && wanted.includes(b.name)) {
      console.error(`\n== bench ${b.name}: node ${b.manual.slice(1).join(' ')}`);
      execFileSync(b.manual[0], b.manual.slice(1), { cwd: root, stdio: 'inherit' });
      continue;
    }
    if (b.cmd === null) {
      console.error(`bench ${b.name}: run its command by hand (bench/results/${b.name}.md says which)`);
      continue;
    }
    console.error(`\n== bench ${b.name}: node ${b.cmd.slice(1).join(' ')}`);
    execFileSync(b.cmd[0], b.cmd.slice(1), { cwd: root, stdio: 'inherit' });
  }
}

const sections = BENCHES.map((b) => ({ ...b, path: join(root, 'bench', 'results', `${b.name}.md`) })).filter((b) => existsSync(b.path));
const header = [
  '# Benchmarks',
  '',
  'Produced by `npm run bench` ([bench/run.mjs](bench/run.mjs)); each section says the exact',
  'command, the machine, the date and the load average of its own run, and compares',
  'with the peer (the docker CLI, `docker stats`) measured in the same run. Run one',
  'section with `npm run bench -- <name>` (' + BENCHES.map((b) => `\`${b.name}\``).join(', ') + ').',
  '',
  `Machine of the last assembly: ${cpus().length} × ${cpus()[0]?.model ?? '?'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}.`,
  'These are shared 2-vCPU VMs: numbers move by ±20 % between runs; ratios measured',
  'in the same run (interleaved) are the stable part.',
  '',
];
const body = sections.flatMap((s) => [readFileSync(s.path, 'utf8').trim(), '']);
writeFileSync(join(root, 'BENCHMARKS.md'), [...header, ...body].join('\n'));
console.error(`\nBENCHMARKS.md: ${sections.map((s) => s.name).join(', ') || 'no sections yet'}`);
