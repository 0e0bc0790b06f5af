/**
 * A real-protocol Kafka peer for tests: librdkafka's mock cluster (docs/design.md
 * section 6), built from kafka-mock.c with gcc into .test-run/ and driven over
 * stdin. Brokers listen on 127.0.0.1 ephemeral ports only.
 *
 * The mock's controller id matches no broker, so KafkaJS admin calls that go
 * to the controller (createTopics) fail: create topics with `createTopic`.
 */
import { spawn, execFileSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, '../..');
const source = join(here, 'kafka-mock.c');
const buildDir = join(repoRoot, '.test-run', 'build');
const binary = join(buildDir, 'kafka-mock');

export interface KafkaMock {
  /** `127.0.0.1:port` per broker, broker ids 1..n in order. */
  readonly brokers: string[];
  /** The helper process (benchmarks read its CPU time from /proc). */
  readonly pid: number;
  /** Disconnect one broker and refuse new connections (no leader change). */
  down(brokerId: number): Promise<void>;
  up(brokerId: number): Promise<void>;
  allDown(): Promise<void>;
  allUp(): Promise<void>;
  createTopic(name: string, partitions: number, replication?: number): Promise<void>;
  /**
   * The next Produce requests, cluster-wide and in order, answer these Kafka
   * error codes (0: accepted as usual); the brokers append nothing for a
   * refused one. E.g. `[0, 0, 29]`: two accepted, the third refused with
   * TOPIC_AUTHORIZATION_FAILED.
   */
  failProduce(errorCodes: readonly number[]): Promise<void>;
  /** Idempotent; kills the process by its PID. */
  stop(): Promise<void>;
}

function mtimeMs(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return -1;
  }
}

/** Compiles the helper when the C source is newer than the binary. */
export function buildKafkaMock(): string {
  if (mtimeMs(binary) >= mtimeMs(source)) return binary;
  mkdirSync(buildDir, { recursive: true });
  // Build to a private name and rename: test files may build concurrently.
  const tmp = `${binary}.${process.pid}.tmp`;
  execFileSync('gcc', ['-O1', '-Wall', '-o', tmp, source, '-lrdkafka'], { stdio: 'pipe' });
  renameSync(tmp, binary);
  return binary;
}

export async function startKafkaMock(options: { brokers?: number } = {}): Promise<KafkaMock> {
  const bin = buildKafkaMock();
  const child: ChildProcessWithoutNullStreams = spawn(bin, [String(options.brokers ?? 3)], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });

  const lines = createInterface({ input: child.stdout });
  const waiting: Array<{ resolve: (line: string) => void; reject: (err: Error) => void }> = [];
  let exited = false;
  lines.on('line', (line) => waiting.shift()?.resolve(line));
  child.on('exit', (code, sig) => {
    exited = true;
    const err = new Error(`kafka-mock exited (code ${code}, signal ${sig}): ${stderr.trim()}`);
    for (const w of waiting.splice(0)) w.reject(err);
  });
  const nextLine = () => new Promise<string>((resolve, reject) => waiting.push({ resolve, reject }));

  let stopped = false;
  const kill = () => {
    if (!exited && child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', kill);

  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', kill);
    if (exited) return;
    const gone = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.stdin.end();
    const timer = setTimeout(kill, 2000);
    await gone;
    clearTimeout(timer);
  };

  let bootstraps: string;
  try {
    bootstraps = await nextLine();
  } catch (err) {
    await stop();
    throw err;
  }
  const brokers = bootstraps.split(',').filter((b) => b.length > 0);
  if (brokers.some((b) => !b.startsWith('127.0.0.1:'))) {
    await stop();
    throw new Error(`kafka-mock is not on loopback: ${bootstraps}`);
  }

  // Commands are answered in order, one line each.
  let chain: Promise<unknown> = Promise.resolve();
  const command = (text: string): Promise<void> => {
    const run = chain.then(async () => {
      if (stopped || exited) throw new Error('kafka-mock is stopped');
      const answer = nextLine();
      child.stdin.write(text + '\n');
      const reply = await answer;
      if (reply !== 'ok') throw new Error(`kafka-mock "${text}": ${reply}`);
    });
    chain = run.catch(() => undefined);
    return run;
  };

  return {
    brokers,
    pid: child.pid as number,
    down: (id) => command(`down ${id}`),
    up: (id) => command(`up ${id}`),
    allDown: () => command('down-all'),
    allUp: () => command('up-all'),
    createTopic: (name, partitions, replication = 1) => {
      if (!/^[A-Za-z0-9._-]+$/.test(name)) return Promise.reject(new Error(`bad topic name: ${name}`));
      return command(`topic ${name} ${partitions} ${replication}`);
    },
    failProduce: (errorCodes) => {
      if (errorCodes.length === 0 || errorCodes.length > 64 || errorCodes.some((c) => !Number.isInteger(c))) {
        return Promise.reject(new Error(`bad produce error codes: ${errorCodes.join(' ')}`));
      }
      return command(`produce-errors ${errorCodes.join(' ')}`);
    },
    stop,
  };
}
