// A private Prometheus server (Debian's `prometheus`, 2.42 on bookworm) for
// tests: its own config, rule files and TSDB in a temp dir, the remote-write
// receiver on, listening on 127.0.0.1:<free port>. Stopped by PID (SIGTERM,
// then SIGKILL) in stop(), at process exit, and when a start fails.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive, signal, sleep, waitForExit } from './proc.js';

export interface PrometheusServer {
  readonly url: string;
  readonly pid: number;
  readonly dir: string;
  /** GET /api/v1/<path> with query parameters; throws unless status is success. */
  api<T = unknown>(path: string, params?: Record<string, string>): Promise<T>;
  /** Instant query: the result vector. */
  query(expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]>;
  /** Tail of the server's log, for failure messages. */
  logTail(): string;
  stop(): Promise<void>;
}

export interface PrometheusOptions {
  /** `scrape_configs` entries: job name → `host:port` targets. */
  readonly scrape?: Readonly<Record<string, readonly string[]>>;
  /** Rule file name → YAML text, written into the server's dir and loaded. */
  readonly rules?: Readonly<Record<string, string>>;
  /** Scrape and evaluation interval, e.g. `1s`. */
  readonly interval?: string;
  /** Serve HTTPS with this certificate and key (PEM file paths; `--web.config.file`). */
  readonly tls?: { readonly cert: string; readonly key: string };
}

const live = new Set<number>();
let exitHook = false;

/** A free loopback port (bind 0, read, close): for configs that must name a port up front. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function configYaml(opts: PrometheusOptions, ruleFiles: readonly string[]): string {
  const interval = opts.interval ?? '1s';
  const jobs = Object.entries(opts.scrape ?? {}).map(
    ([job, targets]) => `  - job_name: ${JSON.stringify(job)}\n    static_configs:\n      - targets: ${JSON.stringify(targets)}`,
  );
  return [
    'global:',
    `  scrape_interval: ${interval}`,
    `  evaluation_interval: ${interval}`,
    `rule_files: ${JSON.stringify(ruleFiles)}`,
    jobs.length > 0 ? `scrape_configs:\n${jobs.join('\n')}` : 'scrape_configs: []',
    '',
  ].join('\n');
}

/** GET over http or https (trusting `ca`): status and body. */
function get(url: string, ca: Buffer | undefined): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (url.startsWith('https:') ? httpsGet : httpGet)(url, ca ? { ca } : {}, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

export async function startPrometheus(opts: PrometheusOptions = {}): Promise<PrometheusServer> {
  const dir = mkdtempSync(join(tmpdir(), 'dsprom-'));
  const ruleFiles = Object.entries(opts.rules ?? {}).map(([name, text]) => {
    const file = join(dir, name);
    writeFileSync(file, text);
    return file;
  });
  writeFileSync(join(dir, 'prometheus.yml'), configYaml(opts, ruleFiles));
  const web = opts.tls ? [`--web.config.file=${join(dir, 'web.yml')}`] : [];
  if (opts.tls) writeFileSync(join(dir, 'web.yml'), `tls_server_config:\n  cert_file: ${opts.tls.cert}\n  key_file: ${opts.tls.key}\n`);
  const port = await freePort();
  const url = `${opts.tls ? 'https' : 'http'}://127.0.0.1:${port}`;
  const ca = opts.tls ? readFileSync(opts.tls.cert) : undefined;
  const child = spawn(
    'prometheus',
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-remote-write-receiver',
      '--log.level=info',
      ...web,
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const pid = child.pid;
  if (pid === undefined) throw new Error('prometheus did not start (is the Debian package installed?)');
  live.add(pid);
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const p of live) signal(p, 'SIGKILL');
    });
  }
  let log = '';
  child.stderr?.on('data', (b: Buffer) => {
    log = (log + b.toString('utf8')).slice(-20_000);
  });
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    if (isAlive(pid)) {
      signal(pid, 'SIGTERM');
      if (!(await waitForExit(pid, 10_000))) signal(pid, 'SIGKILL');
      await waitForExit(pid, 5_000);
    }
    live.delete(pid);
    rmSync(dir, { recursive: true, force: true });
  };
  const api = async <T>(path: string, params: Record<string, string> = {}): Promise<T> => {
    const qs = new URLSearchParams(params).toString();
    const res = await get(`${url}/api/v1/${path}${qs ? `?${qs}` : ''}`, ca);
    const body = JSON.parse(res.body) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`prometheus ${path} ${JSON.stringify(params)}: ${res.status} ${body.error ?? ''}`);
    return body.data;
  };
  try {
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (!isAlive(pid)) throw new Error(`prometheus exited during start-up:\n${log.slice(-2000)}`);
      const ready = await get(`${url}/-/ready`, ca).then(
        (r) => r.status === 200,
        () => false,
      );
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`prometheus not ready within 30 s:\n${log.slice(-2000)}`);
      await sleep(100);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    url,
    pid,
    dir,
    api,
    query: async (expr) => (await api<{ result: { metric: Record<string, string>; value: [number, string] }[] }>('query', { query: expr })).result,
    logTail: () => log.slice(-4000),
    stop,
  };
}
