/**
 * Records/s from the pipeline into librdkafka's mock cluster (3 brokers,
 * loopback), and the agent's CPU per 1000 records.
 *
 * Run: node --import tsx bench/kafka-pipeline.ts [records-per-run] [runs]   (defaults 50000, 5)
 * Prints a markdown section; `--write` also puts it into bench/results/kafka.md
 * (between its generated-section markers, keeping the notes around them).
 *
 * Each record goes the agent's way: Pipeline.emit → the kafka SinkRunner's
 * bounded queue → batch (plugin defaults: 500 records, 50 ms linger) →
 * reject() screening → KafkaSink.send → KafkaJS → broker ack → queue ack.
 * Only the events source is left out (it would need a daemon able to emit
 * 50k events/s; bench/events-* measures it). Records are fresh objects per
 * emit (a shallow copy of a pre-built event), so every record is serialized
 * once, as in the agent. CPU is this process's user+system time (all threads:
 * gzip runs on libuv's pool) from the first emit to the last broker ack; the
 * mock brokers run in another process and are not counted.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setImmediate as tick, setTimeout as sleep } from 'node:timers/promises';
import { createSink } from '../src/agent/components.js';
import { parseConfig } from '../src/config/load.js';
import { BUILTIN_PLUGINS } from '../src/builtin-plugins.js';
import { nullLogger } from '../src/log.js';
import { Pipeline } from '../src/pipeline/pipeline.js';
import type { DsRecord } from '../src/records.js';
import { kafkajsInternals } from '../src/sinks/kafka/kafkajs-internals.js';
import { SelfMetrics } from '../src/telemetry/metrics.js';
import { startKafkaMock } from '../test/harness/kafka-mock.js';
import { containerRef, eventRecord, HOST, statsRecord } from '../test/sinks/kafka/fixtures.js';
import { encodeCosts, type EncodeCosts } from './kafka-encode.js';
import { cpusAllowed, cpuSeconds } from './lib/proc.mjs';
import { writeGeneratedSection } from './lib/sections.mjs';

interface Case {
  readonly label: string;
  readonly kind: 'event' | 'stats';
  readonly acks: 'all' | 'leader';
  readonly compression: 'none' | 'gzip';
  /** batch.max_records; default: the plugin's (500). */
  readonly batch?: number;
  /** KafkaJS as published, without the sink's replacements (a child process with DOCKSTREAM_KAFKAJS_REPLACEMENTS=off). */
  readonly asPublished?: boolean;
  /** Run the agent side in a child process held to one CPU (`taskset`), the mock brokers on the other. */
  readonly pinned?: boolean;
}

const CASES: readonly Case[] = [
  { label: 'event, acks all, none', kind: 'event', acks: 'all', compression: 'none' },
  { label: 'event, acks all, none, agent held to one core', kind: 'event', acks: 'all', compression: 'none', pinned: true },
  { label: 'event, acks all, none, KafkaJS as published', kind: 'event', acks: 'all', compression: 'none', asPublished: true },
  { label: 'event, acks all, gzip', kind: 'event', acks: 'all', compression: 'gzip' },
  { label: 'event, acks all, none, batch 1000', kind: 'event', acks: 'all', compression: 'none', batch: 1000 },
  { label: 'event, acks all, none, batch 2000', kind: 'event', acks: 'all', compression: 'none', batch: 2000 },
  { label: 'stats, acks all, none', kind: 'stats', acks: 'all', compression: 'none' },
];

const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const WRITE = process.argv.includes('--write');
const PER_RUN = Number(args[0] ?? 50_000);
const RUNS = Number(args[1] ?? 5);
const ONLY = process.env['BENCH_CASE']; // one case's label, for profiling it alone
/** `--child=<label> --brokers=<list>`: run that one case against the parent's mock cluster, print JSON. */
const option = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const CHILD = option('child');
const WARMUP = 20_000;
const QUEUE = 20_000;

const containers = Array.from({ length: 50 }, (_, i) => containerRef(i));
const templates = (kind: Case['kind']): DsRecord[] =>
  Array.from({ length: 5_000 }, (_, i) =>
    kind === 'event' ? eventRecord(i, containers[i % containers.length]!, i % 2 ? 'start' : 'die') : statsRecord(i, containers[i % containers.length]!),
  );

interface Run {
  readonly recordsPerSec: number;
  readonly cpuMsPer1000: number;
  readonly cpuPercent: number;
  /** The mock brokers' CPU for the same records (they share the machine's cores). */
  readonly brokerCpuMsPer1000: number;
}

/** CPU seconds (user + system, all threads) of another process, from /proc. */
function processCpuSeconds(pid: number): number {
  const seconds = cpuSeconds(pid);
  if (seconds === null) throw new Error(`process ${pid} is gone`);
  return seconds;
}

function configYaml(brokers: readonly string[], c: Case, stateDir: string): string {
  return `
state_dir: ${stateDir}
sources:
  events: { type: docker_events }
sinks:
  kafka:
    type: kafka
    inputs: [events]
    brokers: [${brokers.map((b) => `"${b}"`).join(', ')}]
    topic: bench.{kind}
    acks: ${c.acks}
    compression: ${c.compression}
    buffer: { max_records: ${QUEUE} }
${c.batch === undefined ? '' : `    batch: { max_records: ${c.batch} }\n`}telemetry: { listen: false }
`;
}

/** Emits `count` fresh records as fast as the queue takes them; resolves when the broker acked the last. */
async function push(pipeline: Pipeline, pool: readonly DsRecord[], count: number): Promise<void> {
  const runner = pipeline.runners[0]!;
  for (let i = 0; i < count;) {
    if (!runner.hasRoom()) {
      await sleep(1);
      continue;
    }
    // A chunk per turn, like a busy events stream delivering several lines per read.
    for (const end = Math.min(count, i + 250); i < end && runner.hasRoom(); i++) {
      pipeline.emit('events', { ...pool[i % pool.length]! });
    }
    await tick();
  }
  while (runner.depth.records > 0) await sleep(1);
}

/** CPUs for a pinned case: the agent's and the brokers'. */
const AGENT_CPU = 1;
const BROKER_CPU = 0;

/** A case that needs a fresh process: this script again, as a child, on the same brokers (held to one CPU when pinned). */
function runInChild(brokers: readonly string[], brokerPid: number, c: Case): Run[] {
  // BENCH_CHILD_NODE_ARGS: extra node flags for the child, e.g. `--cpu-prof` (not allowed in NODE_OPTIONS).
  const nodeArgs = (process.env['BENCH_CHILD_NODE_ARGS'] ?? '').split(' ').filter(Boolean);
  const args = [
    ...nodeArgs,
    '--import',
    'tsx',
    fileURLToPath(import.meta.url),
    String(PER_RUN),
    String(RUNS),
    `--child=${c.label}`,
    `--brokers=${brokers.join(',')}`,
    `--broker-pid=${brokerPid}`,
  ];
  const [command, argv] = c.pinned ? ['taskset', ['-c', String(AGENT_CPU), process.execPath, ...args]] : [process.execPath, args];
  if (c.pinned) execFileSync('taskset', ['-a', '-p', '-c', String(BROKER_CPU), String(brokerPid)], { stdio: 'ignore' });
  try {
    const env = c.asPublished ? { ...process.env, DOCKSTREAM_KAFKAJS_REPLACEMENTS: 'off' } : process.env;
    const out = execFileSync(command, argv, { encoding: 'utf8', env, stdio: ['ignore', 'pipe', 'inherit'], timeout: 120_000 });
    return JSON.parse(out.trim().split('\n').pop() as string) as Run[];
  } finally {
    if (c.pinned) execFileSync('taskset', ['-a', '-p', '-c', `0-${cpus().length - 1}`, String(brokerPid)], { stdio: 'ignore' });
  }
}

async function runCase(brokers: readonly string[], brokerPid: number, c: Case): Promise<Run[]> {
  if ((c.asPublished || c.pinned) && CHILD === undefined) return runInChild(brokers, brokerPid, c);
  if (c.pinned) {
    const allowed = cpusAllowed('self');
    if (allowed !== String(AGENT_CPU)) throw new Error(`pinned case runs on CPUs ${allowed}`);
  }
  const stateDir = mkdtempSync(join(tmpdir(), 'ds-bench-kafka-'));
  const config = parseConfig(configYaml(brokers, c, stateDir), 'bench.yaml', BUILTIN_PLUGINS, {});
  const metrics = new SelfMetrics();
  const log = nullLogger();
  const parts = createSink('kafka', config.sinks['kafka']!, BUILTIN_PLUGINS, log, metrics, () => HOST);
  const pipeline = new Pipeline(config, [parts], { log, metrics, host: () => HOST });
  const pool = templates(c.kind);
  try {
    await pipeline.open();
    pipeline.start();
    await push(pipeline, pool, WARMUP); // JIT, connections, metadata
    // The sink installed them at start.
    const internals = kafkajsInternals();
    const replaced = Object.values(internals ?? {}).filter((v) => v === 'installed').length;
    if (replaced !== (c.asPublished ? 0 : 3)) throw new Error(`kafkajs internals: ${JSON.stringify(internals)}`);
    const runs: Run[] = [];
    for (let r = 0; r < RUNS; r++) {
      const broker0 = processCpuSeconds(brokerPid);
      const cpu0 = process.cpuUsage();
      const t0 = process.hrtime.bigint();
      await push(pipeline, pool, PER_RUN);
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const cpu = process.cpuUsage(cpu0);
      const brokerSec = processCpuSeconds(brokerPid) - broker0;
      const cpuSec = (cpu.user + cpu.system) / 1e6;
      runs.push({
        recordsPerSec: PER_RUN / seconds,
        cpuMsPer1000: (cpuSec * 1e6) / PER_RUN,
        cpuPercent: (cpuSec / seconds) * 100,
        brokerCpuMsPer1000: (brokerSec * 1e6) / PER_RUN,
      });
    }
    const delivered = (await metrics.recordsOut.get()).values.reduce((n, v) => n + v.value, 0);
    const dropped = (await metrics.dropped.get()).values.reduce((n, v) => n + v.value, 0);
    if (delivered !== WARMUP + RUNS * PER_RUN || dropped !== 0) throw new Error(`delivered ${delivered}, dropped ${dropped}`);
    return runs;
  } finally {
    await pipeline.drain(AbortSignal.timeout(10_000));
    rmSync(stateDir, { recursive: true, force: true });
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

function report(results: Array<{ c: Case; runs: Run[] }>, costs: EncodeCosts, meta: { load: string; seconds: number }): string {
  const lines: string[] = [];
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  lines.push('## Kafka sink: pipeline → librdkafka mock cluster', '');
  lines.push(`Command: \`node --import tsx bench/kafka-pipeline.ts ${PER_RUN} ${RUNS} --write\` (took ${Math.round(meta.seconds)} s)`, '');
  lines.push(
    `Machine: ${cpus().length} × ${cpu}, Node ${process.version}, ${new Date().toISOString().slice(0, 10)}; load average at start ${meta.load} (shared machine).`,
  );
  lines.push(
    'Path: `Pipeline.emit` → bounded queue → batcher → `reject()` screening → `KafkaSink.send` → KafkaJS → 3 mock brokers (6 partitions, rf 3) on 127.0.0.1 → ack → queue ack.',
    `${RUNS} runs of ${fmt(PER_RUN)} records per case after ${fmt(WARMUP)} warm-up records; median shown, [min–max] for records/s.`,
    'Agent CPU = this process (user + system, all threads, so GC helpers can take it past 100%) from first emit to last ack. The mock brokers are another process on the same 2 cores, shown apart.',
    '',
  );
  lines.push(
    '| case | records/s median [min–max] | agent CPU ms / 1000 records median (best) | agent CPU % of one core | one-core ceiling, records/s (from best) | mock brokers CPU ms / 1000 records |',
  );
  lines.push('|---|---:|---:|---:|---:|---:|');
  for (const { c, runs } of results) {
    const rps = runs.map((r) => r.recordsPerSec);
    const ms = runs.map((r) => r.cpuMsPer1000);
    lines.push(
      `| ${c.label} | ${fmt(median(rps))} [${fmt(Math.min(...rps))}–${fmt(Math.max(...rps))}] | ${fmt(median(ms), 1)} (${fmt(Math.min(...ms), 1)}) | ${fmt(median(runs.map((r) => r.cpuPercent)))} | ${fmt(1e6 / Math.min(...ms))} | ${fmt(median(runs.map((r) => r.brokerCpuMsPer1000)), 1)} |`,
    );
  }
  const event = results.find((r) => r.c.pinned === true) ?? results.find((r) => r.c.label === 'event, acks all, none');
  lines.push('');
  if (event) {
    const got = median(event.runs.map((r) => r.recordsPerSec));
    const ms = median(event.runs.map((r) => r.cpuMsPer1000));
    const held = event.c.pinned === true;
    const how = held
      ? `${fmt(got)} records/s measured (median) with the agent process and all its threads held to one CPU (\`taskset -c ${AGENT_CPU}\`, the mock brokers on CPU ${BROKER_CPU})`
      : `${fmt(got)} records/s measured (median), agent not held to one core`;
    const verdict =
      got >= 50_000 && held
        ? `**met**: ${how}, ${fmt((got / 50_000) * 100)}% of the target`
        : `**not shown**: ${how}, ${fmt((got / 50_000) * 100)}% of the target`;
    lines.push(
      `Target ≥ 50,000 event records/s on one core (acks all, no compression, default batch): ${verdict}; CPU ${fmt(ms, 1)} ms per 1000 records (median).`,
      '',
    );
  }
  lines.push("Where one event record's CPU goes (µs per record, best of 10–20 timings of 500 records, measured before the runs in a fresh heap):", '');
  lines.push('| step | µs / record |', '|---|---:|');
  lines.push(`| \`JSON.stringify\` of the record (once, cached by \`recordJson\` for the queue and the sink) | ${fmt(costs.stringifyUs, 2)} |`);
  lines.push(`| \`toMessage\` with the JSON cached (key, headers, timestamp, size guard) | ${fmt(costs.toMessageUs, 2)} |`);
  const request = (what: string, us: number) => lines.push(`| produce request encoding (records, record batches, CRC32C), ${what} | ${fmt(us, 2)} |`);
  request(`KafkaJS's own, uncompressed (${costs.batch} records over 6 partitions)`, costs.requestKafkajsUs);
  request("the sink's replacement (same bytes, one allocation, native CRC32C), uncompressed", costs.requestFastUs);
  request("KafkaJS's own, gzip", costs.requestKafkajsGzipUs);
  request("the sink's replacement, gzip", costs.requestFastGzipUs);
  lines.push('');
  return lines.join('\n');
}

async function child(label: string, brokers: string[]): Promise<void> {
  const c = CASES.find((x) => x.label === label);
  if (c === undefined) throw new Error(`no case ${label}`);
  console.log(JSON.stringify(await runCase(brokers, Number(option('broker-pid')), c)));
}

async function main(): Promise<void> {
  const started = Date.now();
  const load = loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  // First, in a small fresh heap: the steps' own cost, not the GC debt of the runs.
  const costs = await encodeCosts(templates('event'));
  const mock = await startKafkaMock({ brokers: 3 });
  const results: Array<{ c: Case; runs: Run[] }> = [];
  try {
    for (const kind of ['event', 'stats']) await mock.createTopic(`bench.${kind}`, 6, 3);
    for (const c of CASES) {
      if (ONLY !== undefined && c.label !== ONLY) continue;
      const runs = await runCase(mock.brokers, mock.pid, c);
      results.push({ c, runs });
      console.error(`${c.label}: ${runs.map((r) => `${fmt(r.recordsPerSec)} rec/s ${fmt(r.cpuMsPer1000, 1)} ms/1000`).join('; ')}`);
    }
  } finally {
    await mock.stop();
  }
  const text = report(results, costs, { load, seconds: (Date.now() - started) / 1000 });
  console.log(text);
  if (WRITE) writeGeneratedSection(join(dirname(fileURLToPath(import.meta.url)), 'results', 'kafka.md'), 'bench/kafka-pipeline.ts', text);
}

if (CHILD === undefined) await main();
else await child(CHILD, (option('brokers') ?? '').split(','));
