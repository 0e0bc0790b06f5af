// How one engine's dockerd is started: the host's dockerd directly, or a
// rootfs engine's dockerd through chroot beside its own containerd (without
// a private containerd, dockerd fails with a leases error). Paths, sockets
// and the containerd namespace all carry the directory's tag, which is how
// the reaper finds these processes after a crash.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { mountRoot, rootfsOf } from './chroot.js';
import { dockerCli, type DockerCli } from './docker-cli.js';
import { ENGINE_ROOTFS, type DockerEngine } from './engines.js';
import { isAlive, signal, sleep } from './proc.js';

export interface DockerdLaunch {
  /** Host path of the daemon's socket. */
  readonly socketPath: string;
  /** Host path of dockerd's log. */
  readonly logPath: string;
  /** This engine's own docker CLI. */
  readonly cli: DockerCli;
  /** Spawns dockerd (logging to logPath). */
  spawnDockerd(): ChildProcess;
  /** Stops what dockerd needs beside it (the rootfs's containerd); after dockerd stopped. */
  stopSupport(): Promise<void>;
}

function spawnLogged(cmd: string, args: string[], logPath: string): ChildProcess {
  const log = openSync(logPath, 'a');
  try {
    const proc = spawn(cmd, args, { stdio: ['ignore', log, log] });
    // A forgotten daemon must not keep the test process alive; the exit hook reaps it.
    proc.unref();
    return proc;
  } finally {
    closeSync(log);
  }
}

/** Flags every private dockerd gets, with paths as dockerd sees them (`base` = its state dir). */
function dockerdArgs(base: string, tag: string): string[] {
  return [
    '-H',
    `unix://${base}/docker.sock`,
    '--data-root',
    `${base}/data`,
    '--exec-root',
    `${base}/exec`,
    '--pidfile',
    `${base}/docker.pid`,
    // Our own (empty) config file, so /etc/docker/daemon.json cannot change the daemon.
    '--config-file',
    `${base}/daemon.json`,
    // Keep our containers out of any other containerd's "moby" namespace.
    '--containerd-namespace',
    tag,
    '--containerd-plugins-namespace',
    `${tag}-plugins`,
    '--bridge=none',
    '--iptables=false',
    '--ip-masq=false',
    '--ip6tables=false',
  ];
}

async function stopProc(proc: ChildProcess | undefined, timeoutMs: number): Promise<void> {
  const pid = proc?.pid;
  if (proc === undefined || pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  signal(pid, 'SIGTERM');
  const gone = await Promise.race([exited.then(() => true), sleep(timeoutMs, false, { ref: false })]);
  if (!gone) {
    signal(pid, 'SIGKILL');
    await Promise.race([exited, sleep(5000, undefined, { ref: false })]);
  }
}

/** Prepares `dir` (`/tmp/dst-XXXXXX`) for `engine`: mounts its rootfs and starts its containerd if it has one. */
export async function prepareDockerd(dir: string, engine: DockerEngine): Promise<DockerdLaunch> {
  const tag = basename(dir);
  const suite = ENGINE_ROOTFS[engine];
  if (suite === null) {
    writeFileSync(join(dir, 'daemon.json'), '{}\n');
    const socketPath = join(dir, 'docker.sock');
    return {
      socketPath,
      logPath: join(dir, 'dockerd.log'),
      cli: dockerCli(`unix://${socketPath}`),
      spawnDockerd: () => spawnLogged('dockerd', dockerdArgs(dir, tag), join(dir, 'dockerd.log')),
      stopSupport: async () => undefined,
    };
  }
  const rootfs = await rootfsOf(suite);
  const m = mountRoot(dir, rootfs.dir);
  writeFileSync(join(m.state, 'daemon.json'), '{}\n');
  writeFileSync(join(m.state, `containerd-${tag}.toml`), 'version = 2\n');
  const socketPath = join(m.state, 'docker.sock');
  const ctdLog = join(m.state, 'containerd.log');
  const containerd = spawnLogged(
    'chroot',
    [
      m.root,
      'containerd',
      '--config',
      `${m.inner}/containerd-${tag}.toml`,
      '--address',
      `${m.inner}/containerd.sock`,
      '--root',
      `${m.inner}/ctd-root`,
      '--state',
      `${m.inner}/ctd-state`,
    ],
    ctdLog,
  );
  const deadline = Date.now() + 30_000;
  while (!existsSync(join(m.state, 'containerd.sock'))) {
    if (containerd.exitCode !== null || !isAlive(containerd.pid ?? -1)) throw new Error(`containerd of ${engine} exited during start (see ${ctdLog})`);
    if (Date.now() > deadline) throw new Error(`containerd of ${engine} made no socket within 30 s (see ${ctdLog})`);
    await sleep(50);
  }
  return {
    socketPath,
    logPath: join(m.state, 'dockerd.log'),
    cli: dockerCli(`unix://${socketPath}`, { root: m.root, innerHost: `unix://${m.inner}/docker.sock` }),
    spawnDockerd: () =>
      spawnLogged('chroot', [m.root, 'dockerd', ...dockerdArgs(m.inner, tag), '--containerd', `${m.inner}/containerd.sock`], join(m.state, 'dockerd.log')),
    stopSupport: () => stopProc(containerd, 15_000),
  };
}
