// A private Podman service speaking the Docker API (DESIGN.md section 6): its
// own storage root, run root, lock and tmp dirs, events log and containers.conf
// under a short /tmp directory, so it shares nothing with other runs or a
// system podman. Tests act on it with the podman CLI on the same root.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUSYBOX_IMAGE, buildBusyboxTar } from './busybox.js';
import { isAlive, run, signal, sleep, startTicks, type RunResult } from './proc.js';
import { unmountUnder } from './reap.js';
import { pingSocket } from './ping.js';

export { BUSYBOX_IMAGE };

const DIR_PREFIX = '/tmp/dpm-';
const MARKER = 'harness.json';
const READY_TIMEOUT_MS = 30_000;
/** Podman's defaults exceed what this sandbox allows (DESIGN.md section 6). */
export const PODMAN_ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'] as const;

export interface PrivatePodman {
  readonly dir: string;
  readonly socketPath: string;
  /** `unix://<socketPath>`, for the agent's config or `-H`. */
  readonly host: string;
  /** Pid of `podman system service`. */
  readonly pid: number;
  /** File the service logs to (useful in failure messages). */
  readonly logPath: string;
  /** `podman --root … --runroot … args`; never throws for a non-zero exit. */
  podman(args: readonly string[], timeoutMs?: number): Promise<RunResult>;
  /** Like `podman` but throws with stderr; returns stdout without the trailing newline. */
  podmanOk(args: readonly string[], timeoutMs?: number): Promise<string>;
  /** `podman run -d --network none --ulimit … args`; returns the container id. */
  runContainer(args: readonly string[]): Promise<string>;
  /** SIGKILLs `podman system service` (clients see their connections cut); storage and events log stay. */
  killService(): Promise<void>;
  /** Starts the service again on the same socket and waits until it answers `/_ping`. */
  startService(): Promise<void>;
  /** Removes containers, stops the service, unmounts and removes `dir`. Idempotent. */
  stop(): Promise<void>;
}

/**
 * Everything podman would otherwise share machine-wide goes under `dir`:
 * tmp_dir (default /run/libpod), file locks instead of the /dev/shm segment,
 * network configs, volumes; events go to a file (no journald here).
 */
function containersConf(dir: string): string {
  return [
    '[engine]',
    'events_logger = "file"',
    `events_logfile_path = "${dir}/events.log"`,
    'cgroup_manager = "cgroupfs"',
    `tmp_dir = "${dir}/tmp"`,
    'lock_type = "file"',
    `volume_path = "${dir}/root/volumes"`,
    '',
    '[network]',
    `network_config_dir = "${dir}/net"`,
    '',
  ].join('\n');
}

function envFor(dir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('CONTAINER') && !k.startsWith('DOCKER_')) env[k] = v;
  env.CONTAINERS_CONF = join(dir, 'containers.conf');
  return env;
}

const baseArgs = (dir: string) => ['--root', join(dir, 'root'), '--runroot', join(dir, 'run')];

/** Kills what still runs of a podman dir (service, conmon, container processes), unmounts, removes it. */
export function reapPodmanDirSync(dir: string): void {
  const ids = new Set<string>();
  try {
    for (const id of readdirSync(join(dir, 'root', 'overlay-containers'))) if (/^[0-9a-f]{64}$/.test(id)) ids.add(id);
  } catch {
    // no containers were created
  }
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    let cmdline = '';
    let cgroup = '';
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      cgroup = readFileSync(`/proc/${entry}/cgroup`, 'utf8');
    } catch {
      continue;
    }
    if (cmdline.includes(dir) || [...ids].some((id) => cgroup.includes(id))) signal(Number(entry), 'SIGKILL');
  }
  unmountUnder(dir);
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
}

/** Removes `/tmp/dpm-*` directories whose owning test process is gone. */
export function sweepPodmanLeftovers(): string[] {
  const swept: string[] = [];
  for (const name of readdirSync('/tmp')) {
    const dir = `/tmp/${name}`;
    if (!dir.startsWith(DIR_PREFIX)) continue;
    try {
      const marker = JSON.parse(readFileSync(join(dir, MARKER), 'utf8')) as { ownerPid: number; ownerStart?: string };
      if (isAlive(marker.ownerPid) && startTicks(marker.ownerPid) === marker.ownerStart) continue;
    } catch {
      continue;
    }
    reapPodmanDirSync(dir);
    swept.push(dir);
  }
  return swept;
}

/**
 * Why podman cannot run here, from `npm test`'s set-up probe (cached in
 * node_modules/.cache/dockstream), or null when it can (or was not probed).
 */
export function podmanUnavailableReason(): string | null {
  try {
    const probe = JSON.parse(readFileSync(join(import.meta.dirname, '../../node_modules/.cache/dockstream/podman-probe.json'), 'utf8')) as { ok: boolean; reason: string };
    return probe.ok ? null : probe.reason;
  } catch {
    return null;
  }
}

/** Directories of services still running at process exit: killed and removed then. */
const live = new Set<string>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const dir of live) {
      try {
        reapPodmanDirSync(dir);
      } catch {
        // the next run's sweep retries
      }
    }
  });
}

export async function startPodman(): Promise<PrivatePodman> {
  installExitHook();
  sweepPodmanLeftovers();
  const dir = mkdtempSync(DIR_PREFIX);
  live.add(dir);
  writeFileSync(join(dir, MARKER), JSON.stringify({ ownerPid: process.pid, ownerStart: startTicks(process.pid) }));
  writeFileSync(join(dir, 'containers.conf'), containersConf(dir));
  const env = envFor(dir);
  const socketPath = join(dir, 'podman.sock');
  const logPath = join(dir, 'service.log');
  const podman = (args: readonly string[], timeoutMs = 60_000) => run('podman', [...baseArgs(dir), ...args], { env, timeoutMs });
  const podmanOk = async (args: readonly string[], timeoutMs?: number): Promise<string> => {
    const res = await podman(args, timeoutMs);
    if (res.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
    return res.stdout.replace(/\n$/, '');
  };
  let child: ChildProcess | undefined;
  let exited = Promise.resolve();
  let stopped = false;

  const spawnService = async (): Promise<void> => {
    const log = openSync(logPath, 'a');
    try {
      child = spawn('podman', [...baseArgs(dir), 'system', 'service', '--time=0', `unix://${socketPath}`], { env, stdio: ['ignore', log, log] });
      child.unref();
    } finally {
      closeSync(log);
    }
    const proc = child;
    exited = new Promise((resolve) => {
      proc.once('exit', () => resolve());
      proc.once('error', () => resolve());
    });
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (!(await pingSocket(socketPath))) {
      if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`podman system service exited: ${readFileSync(logPath, 'utf8').slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`podman system service did not answer /_ping within ${READY_TIMEOUT_MS} ms`);
      await sleep(100);
    }
  };
  const killService = async (): Promise<void> => {
    const pid = child?.pid;
    if (pid === undefined || !isAlive(pid)) return;
    signal(pid, 'SIGKILL');
    await exited;
  };

  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    try {
      // -t 0: busybox sleep as PID 1 ignores SIGTERM.
      if (existsSync(join(dir, 'root'))) await podman(['rm', '-af', '-t', '0'], 30_000);
      const pid = child?.pid;
      if (pid !== undefined && isAlive(pid)) {
        signal(pid, 'SIGTERM');
        const gone = await Promise.race([exited.then(() => true), sleep(10_000, false, { ref: false })]);
        if (!gone) signal(pid, 'SIGKILL');
      }
    } finally {
      reapPodmanDirSync(dir);
      live.delete(dir);
    }
  };

  try {
    const tar = await buildBusyboxTar(dir);
    await podmanOk(['import', '--change', 'CMD ["sh"]', tar, BUSYBOX_IMAGE]);
    await spawnService();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    dir,
    socketPath,
    host: `unix://${socketPath}`,
    get pid(): number {
      return child?.pid ?? -1;
    },
    logPath,
    podman,
    podmanOk,
    runContainer: async (args) => (await podmanOk(['run', '-d', '--network', 'none', ...PODMAN_ULIMITS, ...args])).trim(),
    killService,
    startService: async () => {
      if (stopped) throw new Error('podman harness already stopped');
      if (child?.pid !== undefined && isAlive(child.pid)) return;
      await spawnService();
    },
    stop,
  };
}
