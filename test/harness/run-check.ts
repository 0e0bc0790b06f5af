// The end-of-run check: after the global teardown has stopped its daemon and
// swept what dead workers left, nothing this run started may remain — no
// harness directory of this run, no mount below one, no process whose command
// line names one (dockerd, containerd, shims, podman, conmon).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { mountsUnder, reapDirSync } from './reap.js';
import { reapPodmanDirSync } from './podman.js';
import { RUN_ID_ENV } from './run-id.js';

const PREFIXES = ['dst-', 'dpm-'];

function markerRun(dir: string): string | undefined {
  try {
    return (JSON.parse(readFileSync(join(dir, 'harness.json'), 'utf8')) as { runId?: string }).runId;
  } catch {
    return undefined;
  }
}

/** What of run `runId` is still there; each leftover is also reaped, so the next run starts clean. */
export function leftoversOf(runId: string): string[] {
  const found: string[] = [];
  const ours: string[] = [];
  for (const name of readdirSync('/tmp')) {
    if (!PREFIXES.some((p) => name.startsWith(p))) continue;
    const dir = `/tmp/${name}`;
    if (markerRun(dir) !== runId) continue;
    ours.push(name);
    const mounts = mountsUnder(dir);
    found.push(`${dir} (${mounts.length} mounts)`);
    if (name.startsWith('dpm-')) reapPodmanDirSync(dir);
    else reapDirSync(dir);
  }
  // Mounts of this run's directories that outlived the directory itself.
  for (const name of ours) for (const m of mountsUnder(`/tmp/${name}`)) found.push(`mount ${m}`);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let env = '';
    try {
      env = readFileSync(`/proc/${entry}/environ`, 'utf8');
    } catch {
      continue;
    }
    if (Number(entry) !== process.pid && env.split('\0').includes(`${RUN_ID_ENV}=${runId}`) && isDaemon(entry))
      found.push(`process ${entry} ${cmdline(entry)}`);
  }
  return found;
}

function cmdline(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}

/** Engine processes (not vitest's own workers, which are still ending when the teardown runs). */
function isDaemon(pid: string): boolean {
  return /(^|\/)(dockerd|containerd|containerd-shim-runc-v2|podman|conmon)\b/.test(cmdline(pid).split(' ')[0] ?? '');
}
