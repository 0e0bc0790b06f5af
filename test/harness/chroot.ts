// One engine instance's view of a cached Debian rootfs (scripts/rootfs.mjs):
// the rootfs bind-mounted under the instance's /tmp directory and made
// private, proc, /sys and /dev, a tmpfs on /run, and the instance's own state
// directory bind-mounted at /run/<tag> inside. The cached rootfs itself is
// never written to. Every mount lives below the instance directory, so the
// reaper's `umount` of everything under it removes them all (also after a
// crash, from the next run's sweep).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { unmountUnder } from './reap.js';

export type RootfsSuite = 'trixie' | 'sid';

interface Manifest {
  readonly dir: string;
  readonly versions: Readonly<Record<string, string>>;
}

/** The cached rootfs of `suite` that `npm test`'s set-up built (throws naming the fix when absent). */
export async function rootfsOf(suite: RootfsSuite): Promise<Manifest> {
  const mod = (await import(rootfsModule())) as { rootfsManifest(s: string): Manifest };
  return mod.rootfsManifest(suite);
}

/** scripts/rootfs.mjs of this checkout, found upwards (the benchmarks run a compiled copy of the harness). */
function rootfsModule(): string {
  for (let dir = import.meta.dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'scripts', 'rootfs.mjs');
    if (existsSync(candidate)) return candidate;
  }
  throw new Error(`scripts/rootfs.mjs not found above ${import.meta.dirname}`);
}

export interface MountedRoot {
  /** Host path of the instance's root (the chroot target). */
  readonly root: string;
  /** Host path of the instance's state directory (sockets, data, logs). */
  readonly state: string;
  /** The same directory as processes in the chroot see it: `/run/<tag>`. */
  readonly inner: string;
  /** Host path of a path the chroot's processes see as `inner/...`. */
  outside(innerPath: string): string;
}

function mount(args: string[]): void {
  const res = spawnSync('mount', args, { encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`mount ${args.join(' ')} failed: ${(res.stderr ?? '').trim()}`);
}

/** Mounts `rootfs` for the instance in `dir` (`/tmp/dst-XXXXXX`); undone by unmountUnder(dir). */
export function mountRoot(dir: string, rootfs: string): MountedRoot {
  const root = join(dir, 'root');
  const state = join(dir, 's');
  const tag = basename(dir);
  const inner = `/run/${tag}`;
  mkdirSync(root, { recursive: true });
  mkdirSync(state, { recursive: true });
  try {
    // Without the self bind (a mount of its own) image import fails with a remount error.
    mount(['--bind', rootfs, root]);
    mount(['--make-private', root]);
    mount(['-t', 'proc', 'proc', join(root, 'proc')]);
    mount(['--rbind', '/sys', join(root, 'sys')]);
    mount(['--make-rslave', join(root, 'sys')]);
    mount(['--rbind', '/dev', join(root, 'dev')]);
    mount(['--make-rslave', join(root, 'dev')]);
    mount(['-t', 'tmpfs', '-o', 'mode=755', 'tmpfs', join(root, 'run')]);
    mkdirSync(join(root, inner));
    mount(['--bind', state, join(root, inner)]);
  } catch (e) {
    unmountUnder(dir);
    throw e;
  }
  return { root, state, inner, outside: (p) => join(state, p.startsWith(`${inner}/`) ? p.slice(inner.length + 1) : p) };
}
