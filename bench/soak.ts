/**
 * Soak: the built agent for a long run against a private dockerd with N
 * containers churning (one replaced every `churn` seconds, N kept running),
 * stats every 2 s, into a file sink and a Kafka sink (librdkafka mock
 * cluster). Reports the agent's RSS (start / end / peak) and open fds over
 * time, and checks that nothing was lost: every container lifecycle event
 * the churn caused is in the file and in Kafka, no record was dropped, no
 * gap was announced, and file and Kafka hold the same number of stats records.
 *
 * Run:   node --import tsx bench/soak.ts [seconds=600] [containers=200] [--write]
 * With --write, writes its section of bench/results/soak.md.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cpuSeconds, loadAverage, machine, stopChild } from './lib/proc.mjs';
import { writeGeneratedSection } from './lib/sections.mjs';
import { BUSYBOX_IMAGE, startDockerd } from '../test/harness/dockerd.js';
import { startKafkaMock } from '../test/harness/kafka-mock.js';
import { consumeUntil } from '../test/sinks/kafka/consume.js';

const ROOT = join(fileURLToPath(new URL('.', import.meta.url)), '..');
const MAIN = join(ROOT, 'dist', 'src', 'main.js');
const args = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const SECONDS = Number(args[0] ?? 600);
const CONTAINERS = Number(args[1] ?? 200);
const WRITE = process.argv.includes('--write');
const CHURN_EVERY_MS = 1000;
const PARALLEL_STARTS = 4;

const log = (msg: string) => console.error(`[soak ${new Date().toISOString().slice(11, 19)}] ${msg}`);

function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

function fds(pid: number): { total: number; sockets: number } | null {
  try {
    const entries = readdirSync(`/proc/${pid}/fd`);
    let sockets = 0;
    for (const e of entries) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${e}`).startsWith('socket:')) sockets++;
      } catch {
        // closed meanwhile
      }
    }
    return { total: entries.length, sockets };
  } catch {
    return null;
  }
}

interface Sample {
  readonly s: number;
  readonly rss: number;
  readonly fds: number;
  readonly sockets: number;
}

async function main(): Promise<void> {
  const started = Date.now();
  const loadAtStart = loadAverage();
  const d = await startDockerd({ name: 'soak' });
  const kafka = await startKafkaMock({ brokers: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'ds-soak-'));
  let agent: ReturnType<typeof spawn> | undefined;
  try {
    // N long-lived containers, started a few at a time.
    log(`starting ${CONTAINERS} containers`);
    const running: string[] = [];
    const run = () => d.dockerOk(['run', '-d', '--network', 'none', '--label', 'soak=1', BUSYBOX_IMAGE, 'sleep', '100000']);
    for (let i = 0; i < CONTAINERS; i += PARALLEL_STARTS) {
      running.push(...(await Promise.all(Array.from({ length: Math.min(PARALLEL_STARTS, CONTAINERS - i) }, run))));
    }
    const ready = Date.now();
    log(`containers up in ${((ready - started) / 1000).toFixed(0)} s`);

    const config = `
docker: { host: "${d.host}" }
state_dir: ${join(dir, 'state')}
log_level: info
sources:
  events: { type: docker_events }
  stats: { type: docker_stats, interval: 2s }
sinks:
  file:
    type: file
    inputs: [events, stats]
    path: ${join(dir, 'out', 'records.ndjson')}
    max_size: 256MiB
    max_files: 50
  kafka:
    type: kafka
    inputs: [events, stats]
    brokers: [${kafka.brokers.map((b) => `"${b}"`).join(', ')}]
    topic: "soak.{kind}"
    buffer: { type: disk, max_size: 256MiB }
telemetry: { listen: "127.0.0.1:0" }
`;
    writeFileSync(join(dir, 'config.yaml'), config);
    let stderr = '';
    const child = spawn(process.execPath, [MAIN, 'run', '-c', join(dir, 'config.yaml')], { stdio: ['ignore', 'ignore', 'pipe'] });
    agent = child;
    child.stderr?.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2_000_000)));
    const pid = child.pid as number;
    const logLines = () =>
      stderr
        .split('\n')
        .filter(Boolean)
        .flatMap((l) => {
          try {
            return [JSON.parse(l) as Record<string, unknown>];
          } catch {
            return [];
          }
        });
    while (!logLines().some((l) => l['msg'] === 'docker events stream open')) await new Promise((r) => setTimeout(r, 200));
    const listen = logLines().find((l) => l['msg'] === 'telemetry endpoint listening')?.['listen'] as string;
    await new Promise((r) => setTimeout(r, 5000)); // first stats rounds
    const t0 = Date.now();
    const cpu0 = cpuSeconds(pid) ?? 0;
    log(`agent ${pid} streaming; soak for ${SECONDS} s`);

    const samples: Sample[] = [];
    const sample = () => {
      const rss = rssMiB(pid);
      const f = fds(pid);
      if (rss !== null && f !== null) samples.push({ s: (Date.now() - t0) / 1000, rss, fds: f.total, sockets: f.sockets });
    };
    sample();
    const sampler = setInterval(sample, 1000);

    // Churn: replace one container per CHURN_EVERY_MS; remember what was created and removed.
    const created: string[] = [];
    const removed: string[] = [];
    const end = t0 + SECONDS * 1000;
    let next = 0;
    while (Date.now() < end) {
      const tick = Date.now();
      const victim = running.splice(next++ % running.length, 1)[0] as string;
      await d.dockerOk(['rm', '-f', victim]);
      removed.push(victim);
      const fresh = await run();
      created.push(fresh);
      running.push(fresh);
      await new Promise((r) => setTimeout(r, Math.max(0, CHURN_EVERY_MS - (Date.now() - tick))));
    }
    log(`churn done: ${created.length} created, ${removed.length} removed; draining`);
    await new Promise((r) => setTimeout(r, 10_000));
    clearInterval(sampler);
    sample();
    const metricsText = await (await fetch(`http://${listen}/metrics`)).text();
    const cpuPercent = (((cpuSeconds(pid) ?? cpu0) - cpu0) / ((Date.now() - t0) / 1000)) * 100;
    const exit = await stopChild(child, 'SIGTERM', 60_000);
    agent = undefined;

    // What arrived.
    const outDir = join(dir, 'out');
    const fileRecords = readdirSync(outDir).flatMap((f) =>
      readFileSync(join(outDir, f), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    );
    const key = (r: Record<string, unknown>) => `${(r['actor'] as { id: string }).id}:${String(r['action'])}`;
    const fileEvents = new Set(fileRecords.filter((r) => r['kind'] === 'event').map(key));
    const fileStats = fileRecords.filter((r) => r['kind'] === 'stats').length;
    const fileGaps = fileRecords.filter((r) => r['kind'] === 'gap').length;
    const expected = [...created.flatMap((id) => [`${id}:create`, `${id}:start`]), ...removed.flatMap((id) => [`${id}:die`, `${id}:destroy`])];
    const missingFile = expected.filter((k) => !fileEvents.has(k));
    log('reading Kafka back');
    const kEvents = await consumeUntil(kafka.brokers, ['soak.event'], (got) => got.length >= fileRecords.filter((r) => r['kind'] === 'event').length, {
      timeoutMs: 120_000,
      settleMs: 2000,
    });
    const kafkaEvents = new Set(kEvents.map((m) => key(m.value as Record<string, unknown>)));
    const missingKafka = expected.filter((k) => !kafkaEvents.has(k));
    const metric = (name: string, labels = '') => {
      const re = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm');
      let sum = 0;
      for (const m of metricsText.matchAll(re)) if ((m[1] ?? '').includes(labels)) sum += Number(m[2]);
      return sum;
    };
    const kafkaStats = metric('dockstream_sink_records_total', 'sink="kafka",kind="stats"');
    const dropped = metric('dockstream_dropped_records_total');
    const skippedBusy = metric('dockstream_skipped_ticks_total', 'reason="busy"');
    const skippedFull = metric('dockstream_skipped_ticks_total', 'reason="sinks_full"');
    const rounds = metric('dockstream_source_records_total', 'source="stats"');

    const rss = samples.map((x) => x.rss);
    const fdsSeries = samples.map((x) => x.fds);
    const first = samples[0] as Sample;
    const last = samples[samples.length - 1] as Sample;
    const peak = Math.max(...rss);
    const minute = (m: number) => samples.find((x) => x.s >= m * 60) ?? last;
    const m = machine();
    const lines = [
      `## Soak: ${CONTAINERS} containers churning, stats every 2 s, file + Kafka (issue 18)`,
      '',
      `Command: \`node --import tsx bench/soak.ts ${SECONDS} ${CONTAINERS}${WRITE ? ' --write' : ''}\` (took ${((Date.now() - started) / 1000).toFixed(0)} s; ${((ready - started) / 1000).toFixed(0)} s of it starting the containers)`,
      '',
      `Machine: ${m.cores} × ${m.model}, Node ${m.node}, ${new Date().toISOString().slice(0, 10)}; load average at start ${loadAtStart}, at end ${loadAverage()} (shared with 3 other engineers' work).`,
      `Private dockerd 20.10 (\`--network none\` containers, busybox \`sleep\`), ${CONTAINERS} running the whole time, one replaced every ${CHURN_EVERY_MS / 1000} s (\`rm -f\` + \`run -d\`); the agent (\`dist/src/main.js\`) tails all events and polls stats every 2 s into a file sink and a Kafka sink (3 mock brokers, disk spool).`,
      '',
      '| | value |',
      '|---|---:|',
      `| soak duration | ${SECONDS} s |`,
      `| containers replaced | ${created.length} |`,
      `| agent RSS start / end / peak | ${first.rss.toFixed(1)} / ${last.rss.toFixed(1)} / ${peak.toFixed(1)} MiB |`,
      `| agent RSS at 1 / 5 / 10 min | ${minute(1).rss.toFixed(1)} / ${minute(5).rss.toFixed(1)} / ${minute(10).rss.toFixed(1)} MiB |`,
      `| open fds start / end / max (sockets at end) | ${first.fds} / ${last.fds} / ${Math.max(...fdsSeries)} (${last.sockets}) |`,
      `| lifecycle events expected (create, start, die, destroy of the churn) | ${expected.length} |`,
      `| missing in the file / in Kafka | ${missingFile.length} / ${missingKafka.length} |`,
      `| stats records in the file / acknowledged by Kafka | ${fileStats} / ${kafkaStats} |`,
      `| dropped records / gap records | ${dropped} / ${fileGaps} |`,
      `| stats ticks skipped: previous round still running / sinks full | ${skippedBusy} / ${skippedFull} |`,
      `| stats records emitted by the source | ${rounds} |`,
      `| agent CPU (user + system, % of one core, during the soak) | ${cpuPercent.toFixed(0)} |`,
      `| agent exit code | ${String(exit.code)} |`,
      '',
    ];
    console.log(lines.join('\n'));
    if (missingFile.length || missingKafka.length)
      console.log(`missing (first 10): file ${missingFile.slice(0, 10).join(' ')} kafka ${missingKafka.slice(0, 10).join(' ')}`);
    writeFileSync(join(tmpdir(), 'ds-soak-samples.json'), JSON.stringify(samples));
    if (WRITE) writeGeneratedSection(join(ROOT, 'bench', 'results', 'soak.md'), 'bench/soak.ts', lines.join('\n'));
  } finally {
    if (agent) await stopChild(agent, 'SIGKILL', 5000);
    await kafka.stop();
    await d.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
