// A private dockerd per test run (docs/design.md §6): its own socket, data
// root, exec root, containerd namespace and config file under a short /tmp
// directory, no bridge, no iptables. Tests act on it with the docker CLI.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildBusyboxTar, importBusybox } from './busybox.js';
import type { DockerCli } from './docker-cli.js';
import { prepareDockerd, type DockerdLaunch } from './dockerd-launch.js';
import type { DockerEngine } from './engines.js';
import { isAlive, signal, sleep, startTicks } from './proc.js';
import { reapDirSync } from './reap.js';
import { RUN_ID_ENV } from './run-id.js';
import { pingSocket } from './ping.js';

export { BUSYBOX_IMAGE } from './busybox.js';
export { dockerCli, type DockerCli } from './docker-cli.js';
export { DOCKER_ENGINES, PODMAN_ENGINES, type DockerEngine, type PodmanEngine } from './engines.js';

/** Every harness directory is `/tmp/dst-XXXXXX`: unix socket paths must stay under 108 bytes. */
const DIR_PREFIX = '/tmp/dst-';
const MARKER = 'harness.json';
const PING_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 20_000;

export interface PrivateDockerd extends DockerCli {
  readonly dir: string;
  readonly socketPath: string;
  readonly engine: DockerEngine;
  /** What the engine says it is (`/version`): e.g. `28.5.2+dfsg4`, `1.51`. */
  readonly serverVersion: string;
  readonly apiVersion: string;
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
  /** The `npm test` run that made it (global-setup.ts), for the end-of-run leftover check. */
  readonly runId?: string | undefined;
}

/** Directories whose daemons are still running at process exit: SIGKILLed and removed then. */
const live = new Set<string>();
let exitHookInstalled = false;

/** Directories of daemons started in this process and not stopped yet (the per-file leak check reads it). */
export function liveDockerdDirs(): string[] {
  return [...live];
}

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

function logTail(logPath: string, lines = 20): string {
  try {
    return readFileSync(logPath, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no dockerd.log)';
  }
}

export async function startDockerd(opts: { name?: string; engine?: DockerEngine } = {}): Promise<PrivateDockerd> {
  const engine = opts.engine ?? 'docker-20.10';
  installExitHook();
  sweepLeftovers();
  const dir = mkdtempSync(DIR_PREFIX);
  const marker: Marker & { name?: string } = {
    ownerPid: process.pid,
    ownerStart: startTicks(process.pid),
    runId: process.env[RUN_ID_ENV],
    ...(opts.name === undefined ? {} : { name: opts.name }),
  };
  writeFileSync(join(dir, MARKER), JSON.stringify({ ...marker, engine }));
  live.add(dir);
  let launch: DockerdLaunch;
  try {
    launch = await prepareDockerd(dir, engine);
  } catch (e) {
    reapDirSync(dir);
    live.delete(dir);
    throw e;
  }
  const { socketPath, cli, logPath } = launch;
  const host = `unix://${socketPath}`;
  let child: ChildProcess | undefined;
  // Resolves when the current dockerd has exited and Node has seen it (so `running` is accurate).
  let exited: Promise<void> = Promise.resolve();
  let running = false;
  let stopped = false;

  const startDaemon = async (): Promise<void> => {
    if (stopped) throw new Error('private dockerd was stopped for good');
    if (running) return;
    const proc = launch.spawnDockerd();
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
        throw new Error(`dockerd exited (${proc.exitCode ?? proc.signalCode}) during start:\n${logTail(logPath)}`);
      }
      if (Date.now() >= deadline) {
        throw new Error(`dockerd did not answer /_ping within ${PING_TIMEOUT_MS} ms:\n${logTail(logPath)}`);
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
  let version = '';
  try {
    // Build the image tar while dockerd boots; awaited after the ping (no unhandled rejection meanwhile).
    const tarPromise = buildBusyboxTar(dir);
    tarPromise.catch(() => undefined);
    await startDaemon();
    const t1 = performance.now();
    await importBusybox(cli, await tarPromise);
    version = await cli.dockerOk(['version', '--format', '{{.Server.Version}} {{.Server.APIVersion}}']);
    timings = { startMs: Math.round(t1 - t0), importMs: Math.round(performance.now() - t1) };
  } catch (e) {
    stopped = true;
    await stopDaemon().catch(() => undefined);
    await launch.stopSupport().catch(() => undefined);
    reapDirSync(dir);
    live.delete(dir);
    throw e;
  }

  return {
    ...cli,
    dir,
    socketPath,
    host,
    engine,
    serverVersion: version.split(' ')[0] ?? '',
    apiVersion: version.split(' ')[1] ?? '',
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
        await launch.stopSupport();
      } finally {
        reapDirSync(dir);
        live.delete(dir);
      }
    },
  };
}

/** True while `pid` is running; for tests checking that stop() really ended the daemon. */
export { isAlive };
