// A private Podman service speaking the Docker API (docs/design.md §6): its
// own storage root, run root, lock and tmp dirs, events log and containers.conf
// under a short /tmp directory, so it shares nothing with other runs or a
// system podman. Tests act on it with the podman CLI on the same root.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BUSYBOX_IMAGE, buildBusyboxTar } from './busybox.js';
import { mountRoot, rootfsOf, type MountedRoot } from './chroot.js';
import { ENGINE_ROOTFS, type PodmanEngine } from './engines.js';
import { isAlive, run, signal, sleep, startTicks, type RunResult } from './proc.js';
import { unmountUnder } from './reap.js';
import { RUN_ID_ENV } from './run-id.js';
import { pingSocket } from './ping.js';

export { BUSYBOX_IMAGE };

const DIR_PREFIX = '/tmp/dpm-';
const MARKER = 'harness.json';
const READY_TIMEOUT_MS = 30_000;
/** Podman's defaults exceed what this sandbox allows (docs/design.md §6). */
export const PODMAN_ULIMITS = ['--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024'] as const;

export interface PrivatePodman {
  readonly dir: string;
  readonly engine: PodmanEngine;
  /** What this podman says it is (`podman version`), e.g. `5.8.6`. */
  readonly version: string;
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
function containersConf(dir: string, runtime?: string): string {
  return [
    '[engine]',
    // crun (Podman 5's default) refuses this machine's hybrid cgroup layout; runc runs there.
    ...(runtime === undefined ? [] : [`runtime = "${runtime}"`]),
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
  // Podman 5 warns on every call about cgroup v1 (this machine's layout); the warning is not news.
  env.PODMAN_IGNORE_CGROUPSV1_WARNING = '1';
  return env;
}

const baseArgs = (dir: string) => ['--root', join(dir, 'root'), '--runroot', join(dir, 'run')];

/** Container ids in a podman storage root (host podman: dir/root, rootfs podman: dir/s/root). */
function podmanContainerIds(dir: string): string[] {
  return [join(dir, 'root'), join(dir, 's', 'root')].flatMap((r) => {
    try {
      return readdirSync(join(r, 'overlay-containers')).filter((id) => /^[0-9a-f]{64}$/.test(id));
    } catch {
      return [];
    }
  });
}

/** Kills what still runs of a podman dir (service, conmon, container processes), unmounts, removes it. */
export function reapPodmanDirSync(dir: string): void {
  const ids = new Set(podmanContainerIds(dir));
  // A chrooted podman sees its dir as /run/<tag> (chroot.ts): match the tag, which both paths hold.
  const tag = basename(dir);
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
    if (cmdline.includes(tag) || [...ids].some((id) => cgroup.includes(id))) signal(Number(entry), 'SIGKILL');
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

/** Directories of services still running at process exit: killed and removed then. */
const live = new Set<string>();
let exitHookInstalled = false;

/** Directories of services started in this process and not stopped yet (the per-file leak check reads it). */
export function livePodmanDirs(): string[] {
  return [...live];
}

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

/**
 * A private podman service of `engine`: the host's podman (podman-4), or the
 * sid rootfs's podman run through chroot (podman-5) with everything under the
 * instance's state directory, which it sees as /run/<tag>.
 */
export async function startPodman(opts: { engine?: PodmanEngine } = {}): Promise<PrivatePodman> {
  const engine = opts.engine ?? 'podman-4';
  installExitHook();
  sweepPodmanLeftovers();
  const dir = mkdtempSync(DIR_PREFIX);
  live.add(dir);
  writeFileSync(join(dir, MARKER), JSON.stringify({ ownerPid: process.pid, ownerStart: startTicks(process.pid), runId: process.env[RUN_ID_ENV], engine }));
  const suite = ENGINE_ROOTFS[engine];
  let mounted: MountedRoot | undefined;
  try {
    if (suite !== null) mounted = mountRoot(dir, (await rootfsOf(suite)).dir);
  } catch (e) {
    reapPodmanDirSync(dir);
    live.delete(dir);
    throw e;
  }
  // `base`: the instance directory as podman sees it; `state`: the same directory from here.
  const base = mounted?.inner ?? dir;
  const state = mounted?.state ?? dir;
  writeFileSync(join(state, 'containers.conf'), containersConf(base, mounted === undefined ? undefined : 'runc'));
  const env = envFor(base);
  const socketPath = join(state, 'podman.sock');
  const logPath = join(state, 'service.log');
  const [cmd, prefix] = mounted === undefined ? ['podman', []] : ['chroot', [mounted.root, 'podman']];
  // Run from the instance dir: conmon (Podman 4) drops an `oom` marker file in its working directory.
  const podman = (args: readonly string[], timeoutMs = 60_000) => run(cmd, [...prefix, ...baseArgs(base), ...args], { env, timeoutMs, cwd: state });
  const podmanOk = async (args: readonly string[], timeoutMs?: number): Promise<string> => {
    const res = await podman(args, timeoutMs);
    if (res.code !== 0) throw new Error(`podman ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
    return res.stdout.replace(/\n$/, '');
  };
  let child: ChildProcess | undefined;
  let exited = Promise.resolve();
  let stopped = false;
  let version = '';

  const spawnService = async (): Promise<void> => {
    const log = openSync(logPath, 'a');
    try {
      child = spawn(cmd, [...prefix, ...baseArgs(base), 'system', 'service', '--time=0', `unix://${join(base, 'podman.sock')}`], {
        env,
        stdio: ['ignore', log, log],
        cwd: state,
      });
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
      if (existsSync(join(state, 'root'))) await podman(['rm', '-af', '-t', '0'], 30_000);
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
    // Built in the state directory, so a chrooted podman reads it at the same name below `base`.
    const tar = await buildBusyboxTar(state);
    await podmanOk(['import', '--change', 'CMD ["sh"]', join(base, basename(tar)), BUSYBOX_IMAGE]);
    version = await podmanOk(['version', '--format', '{{.Client.Version}}']);
    await spawnService();
  } catch (err) {
    await stop();
    throw err;
  }

  return {
    dir,
    engine,
    get version(): string {
      return version;
    },
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
