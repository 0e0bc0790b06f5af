// Debian rootfs for the newer engines the tests run (docker-26 from trixie,
// docker-28 and podman-5 from sid): built once per machine with debootstrap
// into a cache directory outside the repo, reused while its packages'
// versions are what the mirror offers. The mirror is read from the machine's
// own apt sources at run time (never written into the repo).
//
// Cache layout (DST_ROOTFS_CACHE, else $XDG_CACHE_HOME/dockstream-test, else
// /var/cache/dockstream-test):
//   <suite>-<hash of package versions>/   a finished rootfs (only apt lists are refreshed by the recheck)
//   <suite>.json                           manifest: { dir, versions, checkedAt }
//   <suite>.lock                           held (O_EXCL + owner pid) while one run builds or checks
//   .build-<suite>-<pid>/                  a build in progress; renamed when done
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Suites and what each must contain (docker-cli is a separate package from Debian 13 on). */
export const ROOTFS_SUITES = {
  trixie: ['docker.io', 'docker-cli', 'ca-certificates', 'iproute2'],
  sid: ['docker.io', 'docker-cli', 'podman', 'ca-certificates', 'iproute2'],
};
/** Packages whose versions key the cache (the engines and what runs their containers). */
const KEY_PACKAGES = ['docker.io', 'docker-cli', 'containerd', 'runc', 'podman', 'crun', 'conmon'];
const RECHECK_MS = Number(process.env.DST_ROOTFS_RECHECK_HOURS ?? 24) * 3600_000;
const APT_NO_VALID_UNTIL = ['-o', 'Acquire::Check-Valid-Until=false'];

/** Suites the engine matrix needs (DST_ENGINES narrows it, as in test/harness/engines.ts). */
export function rootfsSuitesNeeded(env = process.env) {
  const bySuite = { 'docker-26': 'trixie', 'docker-28': 'sid', 'podman-5': 'sid' };
  const names = env.DST_ENGINES?.trim() ? env.DST_ENGINES.split(',').map((s) => s.trim()) : Object.keys(bySuite);
  return [...new Set(names.map((n) => bySuite[n]).filter(Boolean))];
}

export function cacheRoot() {
  if (process.env.DST_ROOTFS_CACHE) return process.env.DST_ROOTFS_CACHE;
  if (process.env.XDG_CACHE_HOME) return join(process.env.XDG_CACHE_HOME, 'dockstream-test');
  return '/var/cache/dockstream-test';
}

/** The first non-security Debian mirror in the machine's apt sources (deb822 or one-line format). */
export function debianMirror() {
  const files = ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list'];
  try {
    for (const f of readdirSync('/etc/apt/sources.list.d'))
      if (!files.includes(join('/etc/apt/sources.list.d', f))) files.push(join('/etc/apt/sources.list.d', f));
  } catch {
    // no sources.list.d
  }
  for (const f of files) {
    let text;
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    const uris = [
      ...[...text.matchAll(/^URIs:\s*(\S+)/gim)].map((m) => m[1]),
      ...[...text.matchAll(/^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+/gim)].map((m) => m[1]),
    ];
    const mirror = uris.find((u) => /^https?:\/\//.test(u) && !/security/.test(u));
    if (mirror) return mirror.replace(/\/+$/, '');
  }
  throw new Error('no Debian mirror in /etc/apt/sources.list{,.d}: cannot build the engine rootfs');
}

function sh(cmd, args, opts = {}) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive', LC_ALL: 'C' }, ...opts });
  if (res.status !== 0) {
    const out = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim().split('\n').slice(-8).join('\n');
    throw new Error(`${cmd} ${args.join(' ')} failed (exit ${res.status ?? res.signal}):\n${out || res.error?.message}`);
  }
  return res.stdout;
}

/** `pkg version` of the key packages installed in a rootfs. */
function installedVersions(dir) {
  const out =
    spawnSync('chroot', [dir, 'dpkg-query', '-W', '-f', '${Package} ${Version} ${db:Status-Abbrev}\n', ...KEY_PACKAGES], { encoding: 'utf8' }).stdout ?? '';
  const versions = {};
  for (const line of out.split('\n')) {
    const [pkg, version, status] = line.split(' ');
    if (pkg && version && status?.startsWith('ii')) versions[pkg] = version;
  }
  return versions;
}

/** Candidate versions the mirror offers now, asked inside the rootfs (apt-get update there). */
function candidateVersions(dir, pkgs) {
  sh('chroot', [dir, 'apt-get', ...APT_NO_VALID_UNTIL, '-qq', 'update']);
  const out = sh('chroot', [dir, 'apt-cache', 'policy', ...pkgs]);
  const versions = {};
  let pkg;
  for (const line of out.split('\n')) {
    const head = /^(\S+):$/.exec(line);
    if (head) pkg = head[1];
    const cand = /^\s+Candidate:\s+(\S+)/.exec(line);
    if (cand && pkg && cand[1] !== '(none)') versions[pkg] = cand[1];
  }
  return versions;
}

const keyOf = (versions) =>
  createHash('sha256')
    .update(JSON.stringify(Object.entries(versions).sort()))
    .digest('hex')
    .slice(0, 12);

function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return e.code === 'EPERM';
  }
}

function sleepSync(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** An exclusive lock file holding our pid; a dead owner's lock is taken over. */
function withLock(path, fn) {
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeFileSync(fd, String(process.pid));
      closeSync(fd);
      break;
    } catch (e) {
      if (e.code !== 'EEXIST') throw e;
      const owner = Number(readFileSync(path, 'utf8') || '0');
      if (owner > 0 && !isAlive(owner)) {
        rmSync(path, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`rootfs lock ${path} held by pid ${owner} for 15 min`);
      sleepSync(500);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(path, { force: true });
  }
}

function readManifest(path) {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return undefined;
  }
}

function writeManifest(path, manifest) {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(manifest, null, 2)}\n`);
  renameSync(tmp, path);
}

/** Is any mount (an engine of a running test) below `dir`? */
function inUse(dir) {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .some((l) => (l.split(' ')[3] ?? '').startsWith(dir));
}

function build(root, suite, log) {
  const pkgs = ROOTFS_SUITES[suite];
  const tmp = join(root, `.build-${suite}-${process.pid}`);
  rmSync(tmp, { recursive: true, force: true });
  const t0 = Date.now();
  log(`building the ${suite} rootfs (debootstrap ${pkgs.join(',')}) in ${root}`);
  try {
    sh('debootstrap', ['--variant=minbase', `--include=${pkgs.join(',')}`, suite, tmp, debianMirror()]);
    // Mount points the harness uses; nothing else in the rootfs ever changes after the rename.
    mkdirSync(join(tmp, 'run'), { recursive: true });
    sh('chroot', [tmp, 'apt-get', 'clean']);
    const versions = installedVersions(tmp);
    const dir = join(root, `${suite}-${keyOf(versions)}`);
    if (existsSync(dir)) rmSync(tmp, { recursive: true, force: true });
    else renameSync(tmp, dir);
    log(
      `built the ${suite} rootfs in ${Math.round((Date.now() - t0) / 1000)} s: ${Object.entries(versions)
        .map(([p, v]) => `${p} ${v}`)
        .join(', ')}`,
    );
    return { dir, versions };
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}

/**
 * Returns `{ dir, versions }` of an up-to-date rootfs for `suite`, building it
 * when there is none or when the mirror's versions moved (checked at most
 * every DST_ROOTFS_RECHECK_HOURS, default 24). Safe to call concurrently.
 */
export function ensureRootfs(suite, log = (m) => console.log(`[rootfs] ${m}`)) {
  if (!(suite in ROOTFS_SUITES)) throw new Error(`unknown rootfs suite ${suite}`);
  const root = cacheRoot();
  mkdirSync(root, { recursive: true });
  const manifestPath = join(root, `${suite}.json`);
  const fresh = (m) => m && existsSync(join(m.dir, 'usr', 'sbin', 'dockerd')) && Date.now() - m.checkedAt < RECHECK_MS;
  const current = readManifest(manifestPath);
  if (fresh(current)) return current;
  return withLock(join(root, `${suite}.lock`), () => {
    const m = readManifest(manifestPath);
    if (fresh(m)) return m;
    let built;
    if (m && existsSync(join(m.dir, 'usr', 'sbin', 'dockerd'))) {
      const want = candidateVersions(m.dir, Object.keys(m.versions));
      const same = Object.entries(m.versions).every(([p, v]) => want[p] === v);
      if (same) built = { dir: m.dir, versions: m.versions };
      else
        log(
          `the mirror's ${suite} moved (${Object.entries(want)
            .map(([p, v]) => `${p} ${v}`)
            .join(', ')}): rebuilding`,
        );
    }
    built ??= build(root, suite, log);
    const manifest = { suite, dir: built.dir, versions: built.versions, checkedAt: Date.now() };
    writeManifest(manifestPath, manifest);
    // Older builds of this suite that no running test has mounted.
    for (const name of readdirSync(root)) {
      const old = join(root, name);
      if (name.startsWith(`${suite}-`) && old !== built.dir && !inUse(old)) rmSync(old, { recursive: true, force: true });
    }
    return manifest;
  });
}

/** The manifest of a built rootfs, for the test harness (throws naming the fix when absent). */
export function rootfsManifest(suite) {
  const m = readManifest(join(cacheRoot(), `${suite}.json`));
  if (!m || !existsSync(m.dir)) throw new Error(`no ${suite} rootfs in ${cacheRoot()}: run node scripts/test-setup.mjs (npm test does) as root`);
  return m;
}

if (process.argv[1] && import.meta.url === `file://${process.argv[1]}`) {
  for (const suite of process.argv.slice(2)) console.log(JSON.stringify(ensureRootfs(suite)));
}
