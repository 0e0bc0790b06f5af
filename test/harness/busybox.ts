// The one image tests use: no registry is reachable, so we build a rootfs from
// Debian's static busybox and import it (`docker import` / `podman import`).
import { copyFileSync, existsSync, mkdirSync, symlinkSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { run } from './proc.js';

export const BUSYBOX_IMAGE = 'local/busybox:1';
export const BUSYBOX_BINARY = '/bin/busybox';

/** Applets linked into /bin. The first group is what tests rely on; the rest are cheap extras. */
export const BUSYBOX_APPLETS: readonly string[] = [
  'sh',
  'sleep',
  'yes',
  'dd',
  'cat',
  'echo',
  'true',
  'false',
  'head',
  'ls',
  'mkdir',
  'rm',
  'touch',
  'printf',
  'wc',
  'env',
  'kill',
  'seq',
  'tail',
  'grep',
  'ps',
  'id',
  'date',
];

/** Creates `<workDir>/rootfs` and `<workDir>/busybox.tar`; returns the tar path. Reuses an existing tar. */
export async function buildBusyboxTar(workDir: string): Promise<string> {
  const tarPath = join(workDir, 'busybox.tar');
  if (existsSync(tarPath)) return tarPath;
  const rootfs = join(workDir, 'rootfs');
  const bin = join(rootfs, 'bin');
  mkdirSync(bin, { recursive: true });
  copyFileSync(BUSYBOX_BINARY, join(bin, 'busybox'));
  chmodSync(join(bin, 'busybox'), 0o755);
  for (const applet of BUSYBOX_APPLETS) symlinkSync('busybox', join(bin, applet));
  // Programs expect a writable /tmp; docker creates /proc, /dev, /sys and /etc files itself.
  mkdirSync(join(rootfs, 'tmp'));
  chmodSync(join(rootfs, 'tmp'), 0o1777);
  const tar = await run('tar', ['-C', rootfs, '--numeric-owner', '-cf', tarPath, '.']);
  if (tar.code !== 0) throw new Error(`tar of busybox rootfs failed: ${tar.stderr.trim()}`);
  return tarPath;
}

/** Imports the busybox tar as BUSYBOX_IMAGE with `sh` as its default command. */
export async function importBusybox(
  cli: { importTar(tar: string, image: string, changes?: readonly string[]): Promise<void> },
  tarPath: string,
): Promise<void> {
  await cli.importTar(tarPath, BUSYBOX_IMAGE, ['CMD ["sh"]']);
}
