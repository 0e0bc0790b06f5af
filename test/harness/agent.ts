import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { Agent } from '../../src/agent/agent.js';
import { parseConfig } from '../../src/config/load.js';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';
import type { DsRecord } from '../../src/records.js';

export interface LogEntry {
  readonly level: number;
  readonly msg: string;
  readonly [k: string]: unknown;
}

/** A pino logger that keeps its entries in memory, for asserting on logs. */
export function memoryLogger(level = 'debug'): { log: Logger; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const log = pino({ level }, { write: (line: string) => entries.push(JSON.parse(line) as LogEntry) });
  return { log, entries };
}

export interface RunningAgent {
  readonly agent: Agent;
  readonly dir: string;
  readonly logs: LogEntry[];
  readonly done: Promise<void>;
  /** NDJSON records the file sink named `out` wrote so far (current and rotated files). */
  records(): DsRecord[];
  stop(): Promise<void>;
}

/**
 * The file sink `out` (under `sinks:`) that `records()` reads: `inputs` into
 * ${DIR}/out/records.ndjson, batches lingering 20 ms unless `linger` says
 * otherwise, `fsync` only when given (the sink's default otherwise).
 */
export function outSink(inputs: readonly string[], opts: { fsync?: 'never' | 'batch' | 'interval'; linger?: string } = {}): string {
  return [
    '  out:',
    '    type: file',
    `    inputs: [${inputs.join(', ')}]`,
    '    path: ${DIR}/out/records.ndjson',
    ...(opts.fsync === undefined ? [] : [`    fsync: ${opts.fsync}`]),
    `    batch: { linger: ${opts.linger ?? '20ms'} }`,
  ].join('\n');
}

/** An agent config: the events source on `host`, volume events only, into `sinks` (YAML under `sinks:`, from a new line). */
export function volumeEventsConfig(host: string, sinks: string): string {
  return `
docker: { host: "${host}" }
state_dir: \${DIR}/state
sources:
  events:
    type: docker_events
    filters: { type: [volume] }
sinks:${sinks}
`;
}

/**
 * Runs an agent in-process with a config whose `${DIR}` is a fresh temp dir
 * (state_dir and file sink paths go there). Always `stop()` it in a finally.
 */
export function startAgent(yaml: string, env: NodeJS.ProcessEnv = {}): RunningAgent {
  const dir = mkdtempSync(join(tmpdir(), 'ds-agent-'));
  const parsed = parseConfig(yaml, 'test.yaml', BUILTIN_PLUGINS, { ...env, DIR: dir });
  // The default 127.0.0.1:9323 would collide between agents and parallel runs: off unless the yaml sets it.
  const config = /^telemetry:/m.test(yaml) ? parsed : { ...parsed, telemetry: { listen: false as const } };
  const { log, entries } = memoryLogger();
  const agent = new Agent(config, log, { plugins: BUILTIN_PLUGINS });
  const done = agent.run();
  let stopped = false;
  return {
    agent,
    dir,
    logs: entries,
    done,
    records: () => readRecords(join(dir, 'out')),
    async stop() {
      if (stopped) return;
      stopped = true;
      await agent.stop();
      await done;
    },
  };
}

/** Every record in the NDJSON files under `dir`, oldest file first. */
export function readRecords(dir: string): DsRecord[] {
  let files: string[];
  try {
    files = readdirSync(dir)
      .filter((f) => !f.endsWith('.gz'))
      .sort();
  } catch {
    return [];
  }
  const current = files.filter((f) => f.endsWith('.ndjson'));
  const rotated = files.filter((f) => !f.endsWith('.ndjson'));
  const out: DsRecord[] = [];
  for (const f of [...rotated, ...current]) {
    for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) if (line) out.push(JSON.parse(line) as DsRecord);
  }
  return out;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Polls `check` every `intervalMs` until it returns a truthy value or the time
 * runs out. A shorter interval is for a test that counts what happened by the
 * time the condition held, while the source under test keeps producing.
 */
export async function waitFor<T>(check: () => T | Promise<T>, timeoutMs = 20_000, what = 'condition', intervalMs = 100): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
