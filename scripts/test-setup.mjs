#!/usr/bin/env node
// npm `pretest`: makes sure the real peers the tests start are installed
// (private dockerd, busybox image source, gcc + librdkafka for the Kafka mock
// cluster, systemd-analyze, podman). Installs missing Debian packages when we
// are root on Debian; otherwise says exactly what is missing and exits 1.
// Fast when everything is present: only file checks, plus a cached podman probe.
import { spawnSync } from 'node:child_process';
import {
  accessSync,
  chmodSync,
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  realpathSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { release } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode24 } from './node24.mjs';

import { ensureRootfs, rootfsSuitesNeeded } from './rootfs.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// DST_SETUP_SYSROOT: a directory the file checks look under instead of / (with PATH, every
// input of the checks; test/setup/test-setup.test.ts uses both).
const sysroot = process.env.DST_SETUP_SYSROOT ?? '';
const sys = (path) => `${sysroot}${path}`;

/** Full path of an executable on PATH (plus the sbin dirs non-root PATHs lack), or undefined. */
function findOnPath(cmd) {
  const dirs = (process.env.PATH ?? '')
    .split(delimiter)
    .filter(Boolean)
    .concat([sys('/usr/sbin'), sys('/sbin')]);
  for (const d of dirs) {
    try {
      accessSync(join(d, cmd), constants.X_OK);
      return join(d, cmd);
    } catch {
      // next
    }
  }
  return undefined;
}

function onPath(cmd) {
  return findOnPath(cmd) !== undefined;
}

function anyExists(paths) {
  return paths.some((p) => existsSync(p));
}

/** A static ELF has no PT_INTERP program header; scanning for the loader name is enough here. */
function isStaticBinary(path) {
  try {
    const size = statSync(path).size;
    const buf = Buffer.alloc(Math.min(size, 4096));
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, buf.length, 0);
    } finally {
      closeSync(fd);
    }
    return buf.subarray(0, 4).toString('latin1') === '\x7fELF' && !buf.includes('/lib64/ld-linux') && !buf.includes('/lib/ld-linux');
  } catch {
    return false;
  }
}

const libDirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', '/usr/local/lib'].map(sys);

/** What the tests need: a check, the Debian package that provides it, and why. */
const requirements = [
  { what: 'dockerd', ok: () => onPath('dockerd'), pkg: 'docker.io', why: 'private daemon per test run' },
  { what: 'docker (CLI)', ok: () => onPath('docker'), pkg: 'docker.io', why: 'tests drive the daemon with it' },
  { what: 'containerd', ok: () => onPath('containerd') && onPath('containerd-shim-runc-v2'), pkg: 'containerd', why: 'dockerd runs containers through it' },
  { what: 'runc', ok: () => onPath('runc'), pkg: 'runc', why: 'container runtime' },
  { what: 'static /bin/busybox', ok: () => isStaticBinary(sys('/bin/busybox')), pkg: 'busybox-static', why: 'the only test image is built from it' },
  { what: 'tar', ok: () => onPath('tar'), pkg: 'tar', why: 'packs the busybox rootfs' },
  { what: 'umount', ok: () => onPath('umount'), pkg: 'mount', why: 'harness clean-up' },
  {
    what: 'unshare, setpriv',
    ok: () => onPath('unshare') && onPath('setpriv'),
    pkg: 'util-linux',
    why: 'CLI tests: private /etc and /run views, non-root runs',
  },
  { what: 'gcc', ok: () => onPath('gcc'), pkg: 'gcc', why: 'builds the Kafka mock-cluster helper' },
  { what: 'libc headers', ok: () => existsSync(sys('/usr/include/stdio.h')), pkg: 'libc6-dev', why: 'builds the Kafka mock-cluster helper' },
  { what: 'librdkafka headers', ok: () => existsSync(sys('/usr/include/librdkafka/rdkafka_mock.h')), pkg: 'librdkafka-dev', why: 'Kafka mock cluster' },
  { what: 'librdkafka.so', ok: () => anyExists(libDirs.map((d) => join(d, 'librdkafka.so'))), pkg: 'librdkafka-dev', why: 'Kafka mock cluster' },
  { what: 'systemd-analyze', ok: () => onPath('systemd-analyze'), pkg: 'systemd', why: 'verifies the systemd unit' },
  { what: 'podman', ok: () => onPath('podman'), pkg: 'podman', why: 'Docker-API compatibility tests' },
  {
    what: 'prometheus + promtool',
    ok: () => onPath('prometheus') && onPath('promtool'),
    pkg: 'prometheus',
    why: 'scrape / remote-write / alert rule tests and promtool check|test rules',
  },
  { what: 'debootstrap', ok: () => onPath('debootstrap'), pkg: 'debootstrap', why: 'builds the trixie/sid rootfs of docker-26, docker-28 and podman-5' },
  { what: 'chroot', ok: () => onPath('chroot'), pkg: 'coreutils', why: 'runs the rootfs engines' },
  { what: 'strace', ok: () => onPath('strace'), pkg: 'strace', why: 'shows the fsync / rename order of atomic state writes' },
];

function missingRequirements() {
  return requirements.filter((r) => !r.ok());
}

/** Lazily unmounts everything below dir (podman may leave its storage mounted), deepest first. */
function unmountUnder(dir) {
  const points = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ')[4])
    .filter((p) => p !== undefined && (p === dir || p.startsWith(`${dir}/`)))
    .sort((a, b) => b.length - a.length);
  for (const p of points) spawnSync('umount', ['-l', p], { stdio: 'ignore' });
}

/**
 * Runs a real busybox container with podman the way the tests do (private
 * root/runroot, file events logger, cgroupfs, no network, lowered ulimits).
 * Cached per podman binary and kernel, so a warm `npm test` stays fast.
 */
function podmanProbe() {
  const bin = findOnPath('podman');
  if (bin === undefined) return { ok: false, reason: 'podman not on PATH' };
  const st = statSync(realpathSync(bin));
  const key = `${realpathSync(bin)}:${st.size}:${st.mtimeMs}:${release()}`;
  const cacheFile = join(root, 'node_modules', '.cache', 'dockstream', 'podman-probe.json');
  try {
    const cached = JSON.parse(readFileSync(cacheFile, 'utf8'));
    if (cached.key === key) return cached;
  } catch {
    // no cache yet
  }
  const dir = mkdtempSync('/tmp/dsp-');
  let result;
  try {
    mkdirSync(join(dir, 'rootfs', 'bin'), { recursive: true });
    copyFileSync('/bin/busybox', join(dir, 'rootfs', 'bin', 'busybox'));
    chmodSync(join(dir, 'rootfs', 'bin', 'busybox'), 0o755);
    symlinkSync('busybox', join(dir, 'rootfs', 'bin', 'echo'));
    writeFileSync(join(dir, 'containers.conf'), `[engine]\nevents_logger = "file"\nevents_logfile_path = "${dir}/events.log"\ncgroup_manager = "cgroupfs"\n`);
    const env = { ...process.env, CONTAINERS_CONF: join(dir, 'containers.conf') };
    const base = ['--root', join(dir, 'root'), '--runroot', join(dir, 'run')];
    const steps = [
      ['tar', ['-C', join(dir, 'rootfs'), '-cf', join(dir, 'bb.tar'), '.']],
      ['podman', [...base, 'import', join(dir, 'bb.tar'), 'local/probe:1']],
      [
        'podman',
        [
          ...base,
          'run',
          '--rm',
          '--network',
          'none',
          '--ulimit',
          'nofile=1024:1024',
          '--ulimit',
          'nproc=1024:1024',
          'local/probe:1',
          'echo',
          'podman-probe-ok',
        ],
      ],
    ];
    result = { key, ok: true, reason: '' };
    for (const [cmd, args] of steps) {
      const res = spawnSync(cmd, args, { env, encoding: 'utf8', timeout: 60_000 });
      const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
      if (res.status !== 0 || (args.includes('run') && !out.includes('podman-probe-ok'))) {
        result = { key, ok: false, reason: `${cmd} ${args.slice(4).join(' ')}: ${out.split('\n').slice(-3).join(' | ') || res.error?.message}` };
        break;
      }
    }
  } finally {
    unmountUnder(dir);
    rmSync(dir, { recursive: true, force: true });
  }
  mkdirSync(dirname(cacheFile), { recursive: true });
  writeFileSync(cacheFile, JSON.stringify(result));
  return result;
}

function aptInstall(pkgs) {
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const lock = ['-o', 'DPkg::Lock::Timeout=300'];
  console.log(`[test-setup] apt-get update && apt-get install ${pkgs.join(' ')}`);
  const steps = [
    ['apt-get', [...lock, 'update']],
    ['apt-get', [...lock, 'install', '-y', '--no-install-recommends', ...pkgs]],
  ];
  for (const [cmd, args] of steps) {
    const res = spawnSync(cmd, args, { stdio: 'inherit', env });
    if (res.status !== 0) {
      console.error(`[test-setup] ${cmd} ${args.join(' ')} failed (exit ${res.status ?? res.signal})`);
      return false;
    }
  }
  return true;
}

function fail(lines) {
  for (const l of lines) console.error(`[test-setup] ${l}`);
  process.exit(1);
}

/** Everything missing, in one list, with the one apt command that fixes the packages. */
function missingReport(notRoot, missing) {
  const pkgs = [...new Set(missing.map((r) => r.pkg))];
  return [
    'missing test prerequisites:',
    ...(notRoot ? ['  root: tests start private dockerd instances (run npm test as root, e.g. in a dev container or VM)'] : []),
    ...missing.map((r) => `  ${r.what} (Debian package ${r.pkg}): ${r.why}`),
    ...(pkgs.length > 0 ? [`install them, on Debian/Ubuntu: ${notRoot ? 'sudo ' : ''}apt-get install -y --no-install-recommends ${pkgs.join(' ')}`] : []),
  ];
}

/** Installs missing Debian packages when we may (root on Debian), else reports every missing peer at once and exits. */
function ensurePackages() {
  const notRoot = process.getuid?.() !== 0;
  let missing = missingRequirements();
  // DST_SETUP_NO_INSTALL=1: report only, never run apt-get (CI images that must stay as built).
  const canInstall = !notRoot && existsSync('/etc/debian_version') && onPath('apt-get') && !process.env.DST_SETUP_NO_INSTALL;
  if (notRoot || (missing.length > 0 && !canInstall)) fail(missingReport(notRoot, missing));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((r) => r.pkg))];
  if (!aptInstall(pkgs)) fail([`could not install: ${pkgs.join(' ')}`]);
  missing = missingRequirements();
  if (missing.length > 0) fail([`still missing after install: ${missing.map((r) => r.what).join(', ')}`]);
}

function main() {
  const t0 = Date.now();
  if (!existsSync(join(root, 'node_modules', 'vitest', 'package.json')) || !existsSync(join(root, 'node_modules', 'typescript'))) {
    fail(['node_modules is missing or incomplete: run npm ci']);
  }
  ensurePackages();
  const node24 = ensureNode24();
  if (!node24.ok) fail([`Node 24 for the Node 24 test pass: ${node24.reason}`]);

  const podman = podmanProbe();
  if (!podman.ok) fail([`podman is installed but cannot run containers here: ${podman.reason}`]);
  // The newer engines' rootfs (test/harness/engines.ts), built once per machine into a cache outside the repo.
  try {
    for (const suite of rootfsSuitesNeeded()) ensureRootfs(suite, (m) => console.log(`[test-setup] ${m}`));
  } catch (e) {
    fail([`cannot build the engine rootfs: ${e.message}`]);
  }
  if (process.env.DST_SETUP_VERBOSE) console.log(`[test-setup] ok in ${Date.now() - t0} ms`);
}

main();
