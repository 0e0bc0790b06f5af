// Last-resort cleanup of a private daemon's directory: kill everything that
// belongs to it, unmount what it mounted, remove the directory. Synchronous
// on purpose, so a process 'exit' handler can run it too.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { isAlive, signal } from './proc.js';

function readOr(path: string, fallback: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return fallback;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Container ids the daemon in `dir` knows about (from its data root). */
function containerIds(dir: string): string[] {
  // Host engines keep their data root in dir/data, rootfs engines in dir/s/data (chroot.ts).
  return [join(dir, 'data', 'containers'), join(dir, 's', 'data', 'containers')].flatMap((d) => {
    try {
      return readdirSync(d).filter((n) => /^[0-9a-f]{64}$/.test(n));
    } catch {
      return [];
    }
  });
}

/**
 * Pids that belong to the daemon in `dir`: dockerd, its containerd and shims
 * (their command lines name the directory or its containerd namespace, which
 * is the directory's basename), and container processes (their cgroup path
 * names one of the daemon's container ids).
 */
export function pidsOf(dir: string): number[] {
  const tag = basename(dir);
  const ids = containerIds(dir);
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    if (pid === process.pid) continue;
    const cmdline = readOr(`/proc/${pid}/cmdline`, '');
    if (cmdline.includes(tag)) {
      pids.push(pid);
      continue;
    }
    if (ids.length > 0) {
      const cgroup = readOr(`/proc/${pid}/cgroup`, '');
      if (ids.some((id) => cgroup.includes(id))) pids.push(pid);
    }
  }
  return pids;
}

/** Decodes the octal escapes mountinfo uses for spaces and friends. */
function unescapeMountPath(p: string): string {
  return p.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or below `dir`, deepest first. */
export function mountsUnder(dir: string): string[] {
  const points = readOr('/proc/self/mountinfo', '')
    .split('\n')
    .map((line) => line.split(' ')[4])
    .filter((p): p is string => p !== undefined)
    .map(unescapeMountPath)
    .filter((p) => p === dir || p.startsWith(`${dir}/`));
  return [...new Set(points)].sort((a, b) => b.split('/').length - a.split('/').length || b.length - a.length);
}

/** `umount -l` every mount below `dir`, deepest first; repeats for stacked mounts. */
export function unmountUnder(dir: string): void {
  for (let round = 0; round < 5; round++) {
    const points = mountsUnder(dir);
    if (points.length === 0) return;
    for (const p of points) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
  }
}

/** SIGKILLs everything of the daemon in `dir`, unmounts, removes `dir`. Idempotent. */
export function reapDirSync(dir: string): void {
  for (let round = 0; round < 3; round++) {
    const pids = pidsOf(dir);
    if (pids.length === 0) break;
    for (const pid of pids) signal(pid, 'SIGKILL');
    const deadline = Date.now() + 3000;
    while (pids.some(isAlive) && Date.now() < deadline) sleepSync(20);
  }
  unmountUnder(dir);
  if (existsSync(dir)) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A mount we could not see (other namespace) can keep a file busy; unmount again and retry once.
      unmountUnder(dir);
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    }
  }
}
