import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** The built agent (`npm test`'s pretest builds it). */
export const MAIN = join(ROOT, 'dist', 'src', 'main.js');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export interface CliOptions {
  /** The whole environment of the agent (nothing is inherited but what is given). */
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** A command the agent runs under: `[...wrap, node, main.js, ...args]` (unshare, setpriv). */
  readonly wrap?: readonly string[];
  readonly timeoutMs?: number;
}

export interface CliProcess {
  readonly child: ChildProcess;
  stdout(): string;
  stderr(): string;
  readonly exited: Promise<number | null>;
  /** Polls until `ok(stdout, stderr)` holds; throws with both streams after the timeout. */
  waitFor(ok: (stdout: string, stderr: string) => boolean, timeoutMs?: number): Promise<void>;
  /** SIGTERM (SIGKILL after 30 s) and the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `dockstream args…` (under `wrap`, if any) with exactly `env`. */
export function startCli(args: readonly string[], opts: CliOptions = {}): CliProcess {
  const argv = [...(opts.wrap ?? []), process.execPath, MAIN, ...args];
  const child = spawn(argv[0] as string, argv.slice(1), {
    cwd: opts.cwd ?? ROOT,
    env: opts.env ?? { PATH: process.env['PATH'], HOME: process.env['HOME'] },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  const kill = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      clearTimeout(kill);
      resolve(code);
    }),
  );
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(ok, timeoutMs = 20_000) {
      const until = Date.now() + timeoutMs;
      while (!ok(out, err)) {
        if (Date.now() > until || child.exitCode !== null)
          throw new Error(`condition not met (exit ${child.exitCode})\nstdout: ${out.slice(-2000)}\nstderr: ${err.slice(-2000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs `dockstream args…` to completion (SIGKILL after the timeout). */
export async function runCli(args: readonly string[], opts: CliOptions = {}): Promise<CliResult> {
  const p = startCli(args, { ...opts, timeoutMs: opts.timeoutMs ?? 30_000 });
  const code = await p.exited;
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

/**
 * `unshare` wrapper: the agent sees its own /etc and/or /run (tmpfs in a
 * private mount namespace, as root) holding only the given files and socket
 * links, so the well-known paths (/etc/dockstream/config.yaml,
 * /var/run/docker.sock, /run/podman/podman.sock) can be tested without
 * touching the machine's.
 */
export function privateView(view: { readonly etcConfig?: string | null; readonly runLinks?: Readonly<Record<string, string>> }): string[] {
  const q = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
  const steps: string[] = [];
  // etcConfig null: an empty /etc (no /etc/dockstream/config.yaml whatever the machine has).
  if (view.etcConfig !== undefined) steps.push('mount -t tmpfs tmpfs /etc');
  if (typeof view.etcConfig === 'string') steps.push('mkdir /etc/dockstream', `cp ${q(view.etcConfig)} /etc/dockstream/config.yaml`);
  if (view.runLinks !== undefined) {
    steps.push('mount -t tmpfs tmpfs /run');
    for (const [path, target] of Object.entries(view.runLinks))
      steps.push(`mkdir -p "$(dirname ${q(join('/run', path))})"`, `ln -s ${q(target)} ${q(join('/run', path))}`);
  }
  return ['unshare', '--mount', '--propagation', 'private', 'sh', '-ec', `${steps.map((st) => `${st}; `).join('')}exec "$@"`, 'sh'];
}

/** A scratch tree under /tmp (mode 755: `nobody` may reach what is below), with helpers for CLI tests. */
export function scratchTree(prefix: string): {
  readonly dir: string;
  /** A fresh sub-directory (an empty cwd, a HOME). */
  fresh(name: string): string;
  /** `<dir>/links/<name>.sock` → `target` (a real daemon's socket): which lookup step answered shows in the address. */
  link(name: string, target: string): string;
  remove(): void;
} {
  const dir = mkdtempSync(prefix);
  chmodSync(dir, 0o755);
  const fresh = (name: string): string => {
    const p = join(dir, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  return {
    dir,
    fresh,
    link(name, target) {
      const p = join(fresh('links'), `${name}.sock`);
      if (!existsSync(p)) symlinkSync(target, p);
      return p;
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** The real docker CLI with its config (contexts) in `home`; returns stdout. */
export function dockerCliIn(home: string, args: readonly string[]): string {
  return execFileSync('docker', args, { env: { PATH: process.env['PATH'], HOME: home }, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
