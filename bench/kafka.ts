/**
 * Kafka sink throughput into librdkafka's mock cluster (3 brokers, loopback).
 * Run: node --import tsx bench/kafka.ts [records-per-case]   (default 200000)
 * Prints a table and appends it to bench/results/kafka.txt.
 *
 * One batch in flight at a time (as the pipeline sends), batches of the
 * plugin's default size. CPU is this process's user+system time during the
 * sends only (record generation is not counted); the mock broker runs in its
 * own process and is not counted either.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nullLogger } from '../src/log.js';
import type { Sink } from '../src/pipeline/types.js';
import type { DsRecord } from '../src/records.js';
import { kafkaOptionsSchema } from '../src/sinks/kafka/options.js';
import { kafkaSinkPlugin } from '../src/sinks/kafka/plugin.js';
import { SelfMetrics } from '../src/telemetry/metrics.js';
import { startKafkaMock } from '../test/harness/kafka-mock.js';
import { containerRef, eventRecord, HOST, statsRecord } from '../test/sinks/kafka/fixtures.js';

interface Case {
  readonly label: string;
  readonly kind: 'event' | 'stats';
  readonly options: Record<string, unknown>;
  /** Call reject() on every record first, as the pipeline screens them. */
  readonly screen: boolean;
  /** Records per send; default: the plugin's batch default. */
  readonly batch?: number;
}

const CASES: readonly Case[] = [
  { label: 'event  acks=all  none              ', kind: 'event', options: { acks: 'all', compression: 'none' }, screen: false },
  { label: 'event  acks=all  gzip              ', kind: 'event', options: { acks: 'all', compression: 'gzip' }, screen: false },
  { label: 'event  acks=all  none + reject()   ', kind: 'event', options: { acks: 'all', compression: 'none' }, screen: true },
  { label: 'event  acks=all  none, batch 2000  ', kind: 'event', options: { acks: 'all', compression: 'none' }, screen: false, batch: 2000 },
  { label: 'event  acks=none none              ', kind: 'event', options: { acks: 'none', compression: 'none' }, screen: false },
  { label: 'stats  acks=all  none              ', kind: 'stats', options: { acks: 'all', compression: 'none' }, screen: false },
  { label: 'stats  acks=all  gzip              ', kind: 'stats', options: { acks: 'all', compression: 'gzip' }, screen: false },
];

const total = Number(process.argv[2] ?? 200_000);
const containers = Array.from({ length: 50 }, (_, i) => containerRef(i));
/**
 * How fast this machine is right now, in µs: JSON.stringify of one event
 * record, and Buffer.alloc(512), which KafkaJS's own encoders did ~5 times
 * per message (the sink replaces them since; see src/sinks/kafka/kafkajs-internals.ts).
 */
function calibrate(): { stringifyUs: number; allocUs: number } {
  const records = pool('event');
  const time = (rounds: number, fn: () => void) => {
    fn();
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) fn();
    return Number(process.hrtime.bigint() - t0) / 1e3 / (rounds * records.length);
  };
  return {
    stringifyUs: time(10, () => records.forEach((r) => JSON.stringify(r))),
    allocUs: time(10, () => records.forEach(() => Buffer.alloc(512))),
  };
}

const pool = (kind: Case['kind']): DsRecord[] =>
  Array.from({ length: 5_000 }, (_, i) =>
    kind === 'event' ? eventRecord(i, containers[i % containers.length]!, i % 2 ? 'start' : 'die') : statsRecord(i, containers[i % containers.length]!),
  );

async function runCase(sink: Sink, c: Case, records: readonly DsRecord[], count: number) {
  const batchSize = c.batch ?? kafkaSinkPlugin.batchDefaults.maxRecords;
  const signal = new AbortController().signal;
  let wallNs = 0n;
  let cpuUs = 0;
  let bytes = 0;
  for (let sent = 0; sent < count; sent += batchSize) {
    const start = sent % records.length;
    const batch = records.slice(start, start + batchSize);
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    if (c.screen) for (const r of batch) if (sink.reject!(r) !== null) throw new Error('unexpected reject');
    await sink.send(batch, signal);
    wallNs += process.hrtime.bigint() - t0;
    const cpu = process.cpuUsage(cpu0);
    cpuUs += cpu.user + cpu.system;
    if (sent === 0) for (const r of batch) bytes += Buffer.byteLength(JSON.stringify(r));
  }
  const seconds = Number(wallNs) / 1e9;
  return {
    recordsPerSec: Math.round(count / seconds),
    cpuMsPer1000: (cpuUs / 1000 / count) * 1000,
    cpuPercentOfOneCore: (cpuUs / 1e6 / seconds) * 100,
    /** Records/s if the sink had one core to itself and never waited for the broker. */
    cpuBoundCeiling: Math.round(count / (cpuUs / 1e6)),
    avgRecordBytes: Math.round(bytes / Math.min(batchSize, count)),
  };
}

async function main(): Promise<void> {
  const mock = await startKafkaMock({ brokers: 3 });
  const lines: string[] = [];
  const say = (line: string) => {
    lines.push(line);
    console.log(line);
  };
  try {
    for (const kind of ['event', 'stats']) await mock.createTopic(`bench.${kind}`, 6, 3);
    say(`# kafka sink benchmark — ${new Date().toISOString()}`);
    say(`# node ${process.version}, ${cpus().length} x ${cpus()[0]?.model ?? 'cpu'}, librdkafka mock cluster (3 brokers, 6 partitions, rf 3)`);
    say(`# ${total} records per case, batches of ${kafkaSinkPlugin.batchDefaults.maxRecords} unless said, one batch in flight`);
    const cal = calibrate();
    say(
      `# load average at start: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    );
    say(`# calibration: JSON.stringify(event record) = ${cal.stringifyUs.toFixed(2)} µs, Buffer.alloc(512) = ${cal.allocUs.toFixed(2)} µs`);
    say('# CPU = this process (user+sys) during sends; ceiling = records/s at 100% of one core with no broker wait');
    say('');
    say('case                                  records/s   CPU ms/1000 rec   CPU % of one core   ceiling rec/s   record bytes');
    for (const c of CASES) {
      const options = kafkaOptionsSchema.parse({ brokers: mock.brokers, topic: 'bench.{kind}', ...c.options });
      const sink = kafkaSinkPlugin.create('bench', options, { log: nullLogger(), metrics: new SelfMetrics(), host: () => HOST });
      try {
        await sink.start(new AbortController().signal);
        const records = pool(c.kind);
        await runCase(sink, c, records, 20_000); // warm-up: JIT, connections, metadata
        const r = await runCase(sink, c, records, total);
        say(
          `${c.label}  ${String(r.recordsPerSec).padStart(9)}   ${r.cpuMsPer1000.toFixed(2).padStart(15)}   ${r.cpuPercentOfOneCore.toFixed(0).padStart(17)}   ${String(r.cpuBoundCeiling).padStart(13)}   ${String(r.avgRecordBytes).padStart(12)}`,
        );
      } finally {
        await sink.close();
      }
    }
  } finally {
    await mock.stop();
  }
  const out = join(dirname(fileURLToPath(import.meta.url)), 'results', 'kafka.txt');
  mkdirSync(dirname(out), { recursive: true });
  // Appended: on a shared machine one run says little, the spread across runs says more.
  appendFileSync(out, lines.join('\n') + '\n\n');
}

await main();
