// A private dockerd per test run (DESIGN.md section 6): its own socket, data
// root, exec root, containerd namespace and config file under a short /tmp
// directory, no bridge, no iptables. Tests act on it with the docker CLI.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { buildBusyboxTar, importBusybox } from './busybox.js';
import { dockerCli, type DockerCli } from './docker-cli.js';
import { isAlive, signal, sleep, startTicks } from './proc.js';
import { reapDirSync } from './reap.js';
import { pingSocket } from './ping.js';

export { BUSYBOX_IMAGE } from './busybox.js';
export { dockerCli, type DockerCli } from './docker-cli.js';

/** Every harness directory is `/tmp/dst-XXXXXX`: unix socket paths must stay under 108 bytes. */
const DIR_PREFIX = '/tmp/dst-';
const MARKER = 'harness.json';
const PING_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

export interface PrivateDockerd extends DockerCli {
  readonly dir: string;
  readonly socketPath: string;
  /** `unix://<socketPath>`, for DOCKER_HOST or the agent's config. */
  readonly host: string;
  /** Pid of the running dockerd; changes on restart. */
  readonly pid: number;
  /** Milliseconds the first start took until /_ping answered, and the busybox import. */
  readonly timings: { readonly startMs: number; readonly importMs: number };
  /** SIGTERM, wait for exit, start again on the same directories, wait for /_ping. */
  restart(): Promise<void>;
  /** SIGTERM and wait for exit; the directory stays for a later startDaemon(). */
  stopDaemon(): Promise<void>;
  /** Starts dockerd again after stopDaemon(); waits for /_ping. */
  startDaemon(): Promise<void>;
  /** Removes containers, stops the daemon, unmounts and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

interface Marker {
  readonly ownerPid: number;
  readonly ownerStart: string | undefined;
}

/** Directories whose daemons are still running at process exit: SIGKILLed and removed then. */
const live = new Set<string>();
let exitHookInstalled = false;

function reapLive(): void {
  for (const dir of live) {
    try {
      reapDirSync(dir);
    } catch {
      // Nothing left to do at exit; the next run's leftover sweep retries.
    }
    live.delete(dir);
  }
}

/**
 * 'exit' covers a normal end; SIGTERM is how vitest ends its worker processes
 * (SIGKILL 500 ms later), and Node's default SIGTERM skips 'exit' handlers.
 * After reaping, SIGTERM is re-raised (unless something else ends the
 * process first) so the process still dies of it as it would have.
 */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', reapLive);
  const onSigterm = (): void => {
    reapLive();
    process.off('SIGTERM', onSigterm);
    // Other listeners (vitest's own, in its main process) may be ending the process already.
    setTimeout(() => process.kill(process.pid, 'SIGTERM'), 100);
  };
  process.on('SIGTERM', onSigterm);
}

/**
 * Removes directories of earlier runs that are clearly ours (prefix and marker
 * file) and abandoned (the process that started them is gone). A daemon that
 * is merely down belongs to a live run in the middle of a restart: left alone.
 */
export function sweepLeftovers(): string[] {
  const swept: string[] = [];
  for (const name of readdirSync('/tmp')) {
    const dir = `/tmp/${name}`;
    if (!dir.startsWith(DIR_PREFIX) || live.has(dir)) continue;
    let marker: Marker;
    try {
      marker = JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as Marker;
    } catch {
      continue;
    }
    const ownerAlive = isAlive(marker.ownerPid) && startTicks(marker.ownerPid) === marker.ownerStart;
    if (ownerAlive) continue;
    reapDirSync(dir);
    swept.push(dir);
  }
  return swept;
}

function logTail(dir: string, lines = 20): string {
  try {
    return readFileSync(join(dir, 'dockerd.log'), 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no dockerd.log)';
  }
}

function dockerdArgs(dir: string): string[] {
  const tag = basename(dir);
  return [
    '-H', `unix://${dir}/docker.sock`,
    '--data-root', `${dir}/data`,
    '--exec-root', `${dir}/exec`,
    '--pidfile', `${dir}/docker.pid`,
    // Our own (empty) config file, so /etc/docker/daemon.json cannot change the daemon.
    '--config-file', `${dir}/daemon.json`,
    // Only matters when a system containerd runs: keep our containers out of its "moby" namespace.
    '--containerd-namespace', tag,
    '--containerd-plugins-namespace', `${tag}-plugins`,
    '--bridge=none', '--iptables=false', '--ip-masq=false', '--ip6tables=false',
  ];
}

export async function startDockerd(opts: { name?: string } = {}): Promise<PrivateDockerd> {
  installExitHook();
  sweepLeftovers();
  const dir = mkdtempSync(DIR_PREFIX);
  const marker: Marker & { name?: string } = {
    ownerPid: process.pid,
    ownerStart: startTicks(process.pid),
    ...(opts.name === undefined ? {} : { name: opts.name }),
  };
  writeFileSync(join(dir, MARKER), JSON.stringify(marker));
  writeFileSync(join(dir, 'daemon.json'), '{}\n');
  live.add(dir);

  const socketPath = join(dir, 'docker.sock');
  const host = `unix://${socketPath}`;
  const cli = dockerCli(host);
  let child: ChildProcess | undefined;
  // Resolves when the current dockerd has exited and Node has seen it (so `running` is accurate).
  let exited: Promise<void> = Promise.resolve();
  let running = false;
  let stopped = false;

  const startDaemon = async (): Promise<void> => {
    if (stopped) throw new Error('private dockerd was stopped for good');
    if (running) return;
    const log = openSync(join(dir, 'dockerd.log'), 'a');
    let proc: ChildProcess;
    try {
      proc = spawn('dockerd', dockerdArgs(dir), { stdio: ['ignore', log, log] });
      // A forgotten daemon must not keep the test process alive; the exit hook reaps it.
      proc.unref();
    } finally {
      closeSync(log);
    }
    child = proc;
    running = true;
    exited = new Promise((resolve) => {
      proc.once('exit', () => {
        running = false;
        resolve();
      });
      proc.once('error', () => {
        running = false;
        resolve();
      });
    });
    const deadline = Date.now() + PING_TIMEOUT_MS;
    while (!(await pingSocket(socketPath))) {
      if (!running) {
        throw new Error(`dockerd exited (${proc.exitCode ?? proc.signalCode}) during start:\n${logTail(dir)}`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`dockerd did not answer /_ping within ${PING_TIMEOUT_MS} ms:\n${logTail(dir)}`);
      }
      await sleep(50);
    }
  };

  const waitExited = async (timeoutMs: number): Promise<boolean> => {
    const timer = sleep(timeoutMs, false, { ref: false });
    return Promise.race([exited.then(() => true), timer]);
  };

  const stopDaemon = async (): Promise<void> => {
    const pid = child?.pid;
    if (!running || pid === undefined) return;
    // dockerd stops its containers and its containerd before it exits.
    signal(pid, 'SIGTERM');
    if (!(await waitExited(STOP_TIMEOUT_MS))) {
      signal(pid, 'SIGKILL');
      await waitExited(5000);
    }
  };

  const removeContainers = async (): Promise<void> => {
    const ids = await cli.docker(['ps', '-aq'], { timeoutMs: 15_000 });
    const list = ids.code === 0 ? ids.stdout.split('\n').filter(Boolean) : [];
    if (list.length > 0) await cli.docker(['rm', '-f', '-v', ...list], { timeoutMs: 30_000 });
  };

  const t0 = performance.now();
  let timings = { startMs: 0, importMs: 0 };
  try {
    // Build the image tar while dockerd boots; awaited after the ping (no unhandled rejection meanwhile).
    const tarPromise = buildBusyboxTar(dir);
    tarPromise.catch(() => undefined);
    await startDaemon();
    const t1 = performance.now();
    await importBusybox(cli.docker, await tarPromise);
    timings = { startMs: Math.round(t1 - t0), importMs: Math.round(performance.now() - t1) };
  } catch (e) {
    stopped = true;
    await stopDaemon().catch(() => undefined);
    reapDirSync(dir);
    live.delete(dir);
    throw e;
  }

  return {
    ...cli,
    dir,
    socketPath,
    host,
    get pid(): number {
      return child?.pid ?? -1;
    },
    timings,
    restart: async () => {
      await stopDaemon();
      await startDaemon();
    },
    stopDaemon,
    startDaemon,
    stop: async () => {
      if (stopped) return;
      stopped = true;
      try {
        if (running && (await pingSocket(socketPath))) await removeContainers();
        await stopDaemon();
      } finally {
        reapDirSync(dir);
        live.delete(dir);
      }
    },
  };
}

/** True while `pid` is running; for tests checking that stop() really ended the daemon. */
export { isAlive };
