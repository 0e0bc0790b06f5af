// scripts/test-setup.mjs with its inputs controlled (PATH for the commands,
// DST_SETUP_SYSROOT for the files): every missing peer in one list with the
// apt command, whether the run is not root (as `nobody`) or may not install.
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from '../harness/cli-run.js';

const dir = mkdtempSync('/tmp/ds-setup-');
chmodSync(dir, 0o755);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Commands: only tar and gcc on PATH. Files: a static busybox and libc headers, nothing else.
const bin = join(dir, 'bin');
mkdirSync(bin);
for (const cmd of ['tar', 'gcc']) symlinkSync(`/usr/bin/${cmd}`, join(bin, cmd));
const sysroot = join(dir, 'sysroot');
mkdirSync(join(sysroot, 'bin'), { recursive: true });
mkdirSync(join(sysroot, 'usr', 'include'), { recursive: true });
copyFileSync('/bin/busybox', join(sysroot, 'bin', 'busybox'));
writeFileSync(join(sysroot, 'usr', 'include', 'stdio.h'), '');

const MISSING = [
  '  dockerd (Debian package docker.io): private daemon per test run',
  '  docker (CLI) (Debian package docker.io): tests drive the daemon with it',
  '  containerd (Debian package containerd): dockerd runs containers through it',
  '  runc (Debian package runc): container runtime',
  '  umount (Debian package mount): harness clean-up',
  '  unshare, setpriv (Debian package util-linux): CLI tests: private /etc and /run views, non-root runs',
  '  librdkafka headers (Debian package librdkafka-dev): Kafka mock cluster',
  '  librdkafka.so (Debian package librdkafka-dev): Kafka mock cluster',
  '  systemd-analyze (Debian package systemd): verifies the systemd unit',
  '  podman (Debian package podman): Docker-API compatibility tests',
  '  prometheus + promtool (Debian package prometheus): scrape / remote-write / alert rule tests and promtool check|test rules',
  '  debootstrap (Debian package debootstrap): builds the trixie/sid rootfs of docker-26, docker-28 and podman-5',
  '  chroot (Debian package coreutils): runs the rootfs engines',
  '  strace (Debian package strace): shows the fsync / rename order of atomic state writes',
];
const PACKAGES = 'docker.io containerd runc mount util-linux librdkafka-dev systemd podman prometheus debootstrap coreutils strace';

function setup(wrap: string[], extraEnv: NodeJS.ProcessEnv = {}): { code: number | null; stdout: string; lines: string[] } {
  const argv = [...wrap, process.execPath, join(ROOT, 'scripts', 'test-setup.mjs')];
  const r = spawnSync(argv[0] as string, argv.slice(1), {
    cwd: ROOT,
    env: { PATH: bin, HOME: dir, DST_SETUP_SYSROOT: sysroot, ...extraEnv },
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { code: r.status, stdout: r.stdout, lines: r.stderr.split('\n').filter(Boolean) };
}

describe('scripts/test-setup.mjs', () => {
  it('as a non-root user: one list of every missing peer, root included, and the apt command', () => {
    const r = setup(['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.lines).toEqual([
      '[test-setup] missing test prerequisites:',
      '[test-setup]   root: tests start private dockerd instances (run npm test as root, e.g. in a dev container or VM)',
      ...MISSING.map((l) => `[test-setup] ${l}`),
      `[test-setup] install them, on Debian/Ubuntu: sudo apt-get install -y --no-install-recommends ${PACKAGES}`,
    ]);
  });

  it('as a non-root user with every peer present: only the root line, no apt command', () => {
    const r = setup(['/usr/bin/setpriv', '--reuid=65534', '--regid=65534', '--clear-groups'], { PATH: process.env['PATH'], DST_SETUP_SYSROOT: '' });
    expect(r.code).toBe(1);
    expect(r.lines).toEqual([
      '[test-setup] missing test prerequisites:',
      '[test-setup]   root: tests start private dockerd instances (run npm test as root, e.g. in a dev container or VM)',
    ]);
  });

  it('as root with DST_SETUP_NO_INSTALL: the same list without the root line, and apt-get is not run', () => {
    const r = setup([], { DST_SETUP_NO_INSTALL: '1' });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.lines).toEqual([
      '[test-setup] missing test prerequisites:',
      ...MISSING.map((l) => `[test-setup] ${l}`),
      `[test-setup] install them, on Debian/Ubuntu: apt-get install -y --no-install-recommends ${PACKAGES}`,
    ]);
  });
});
