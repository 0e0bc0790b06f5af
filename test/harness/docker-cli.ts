// The docker CLI pointed at one daemon. Tests use it to act on the daemon
// (run, stop, rm...) while the agent under test only watches.
import { readFileSync } from 'node:fs';
import { run, type RunResult } from './proc.js';

export interface DockerCallOptions {
  readonly input?: string;
  readonly timeoutMs?: number;
}

export interface DockerCli {
  readonly host: string;
  /** The argv prefix that runs this CLI against the daemon (`docker -H …` or `chroot ROOT docker -H …`), for wrappers like /usr/bin/time. */
  readonly command: readonly string[];
  /** Runs `docker -H host ...args`; never throws for a non-zero exit. */
  docker(args: string[], opts?: DockerCallOptions): Promise<RunResult>;
  /** Like `docker` but throws (with stderr) on a non-zero exit; returns stdout without the trailing newline. */
  dockerOk(args: string[], opts?: DockerCallOptions): Promise<string>;
  /**
   * `docker run -d --network none [--stop-timeout 1] ...args`; returns the container id.
   * `--stop-timeout 1` is added unless args set one: busybox `sleep` as PID 1 ignores
   * SIGTERM, so without it every stop or daemon restart waits the default 10 s.
   */
  runContainer(args: string[]): Promise<string>;
  /** `docker import` of a tar file on this machine (fed through stdin, so a chrooted CLI can read it). */
  importTar(tarPath: string, image: string, changes?: readonly string[]): Promise<void>;
}

/** A CLI that runs inside an engine's rootfs: `chroot root docker -H innerHost`. */
export interface ChrootCli {
  readonly root: string;
  readonly innerHost: string;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Environment for the CLI: drop DOCKER_* settings that could point it elsewhere. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith('DOCKER_')) env[k] = v;
  }
  env.DOCKER_CLI_HINTS = 'false';
  return env;
}

/**
 * The docker CLI for the daemon at `host`; with `chroot`, that engine's own
 * CLI from its rootfs (the reference for its `docker stats` / `system df`).
 */
export function dockerCli(host: string, chroot?: ChrootCli): DockerCli {
  const env = cliEnv();
  const [cmd, prefix] = chroot === undefined ? ['docker', ['-H', host]] : ['chroot', [chroot.root, 'docker', '-H', chroot.innerHost]];
  const docker = (args: string[], opts: DockerCallOptions = {}): Promise<RunResult> =>
    run(cmd, [...prefix, ...args], {
      env,
      timeoutMs: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      ...(opts.input === undefined ? {} : { input: opts.input }),
    });
  const dockerOk = async (args: string[], opts?: DockerCallOptions): Promise<string> => {
    const res = await docker(args, opts);
    if (res.code !== 0) {
      throw new Error(`docker ${args.join(' ')} exited ${res.code}: ${res.stderr.trim()}`);
    }
    return res.stdout.replace(/\n$/, '');
  };
  const runContainer = async (args: string[]): Promise<string> => {
    const stopTimeout = args.some((a) => a.startsWith('--stop-timeout')) ? [] : ['--stop-timeout', '1'];
    const id = await dockerOk(['run', '-d', '--network', 'none', ...stopTimeout, ...args]);
    return id.trim();
  };
  const importTar = async (tarPath: string, image: string, changes: readonly string[] = []): Promise<void> => {
    const res = await run(cmd, [...prefix, 'import', ...changes.flatMap((c) => ['--change', c]), '-', image], {
      env,
      timeoutMs: DEFAULT_TIMEOUT_MS,
      input: readFileSync(tarPath),
    });
    if (res.code !== 0) throw new Error(`docker import ${tarPath} ${image} failed: ${res.stderr.trim()}`);
  };
  return { host, command: [cmd, ...prefix], docker, dockerOk, runContainer, importTar };
}
