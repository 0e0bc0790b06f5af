#!/usr/bin/env node
// npm `prepare`: builds dist/ (the `bin` runs dist/src/main.js), so a checkout
// works however it is installed. npm runs it after `npm ci` / `npm install`
// in the checkout (dependencies present: just build), and for `npm i -g .`,
// which only links the folder and installs none of its dependencies: then the
// locked dependencies are installed first (`npm ci --ignore-scripts`, which
// does not run this script again), since the build needs TypeScript and the
// agent its runtime packages. A production install (`--omit=dev`) never pulls
// the dev dependencies in: it keeps a dist/ that is there, or warns what to run.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const npm = process.env.npm_execpath ? [process.execPath, process.env.npm_execpath] : ['npm'];
const log = (m) => console.error(`[prepare] ${m}`);

// Inside `npm i -g .` the environment says global (and names the global prefix): the
// dependencies and the build belong to this folder.
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_config_(global|location|prefix)$/i.test(k)));

function run(argv) {
  const [cmd, ...args] = argv;
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit', env });
  if (r.status !== 0) {
    log(`npm ${argv.slice(npm.length).join(' ')} failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
}

const hasTypescript = existsSync(join(root, 'node_modules', 'typescript', 'package.json'));
if (!hasTypescript) {
  const omitDev = (process.env.npm_config_omit ?? '').split(/[\s,]+/).includes('dev') || process.env.NODE_ENV === 'production';
  if (omitDev) {
    if (existsSync(join(root, 'dist', 'src', 'main.js'))) process.exit(0);
    log('warning: dist/ is not built and dev dependencies are omitted (no TypeScript): run `npm ci && npm run build` before `npm prune --omit=dev`');
    process.exit(0);
  }
  log('dependencies are not installed here (npm i -g . links the folder): npm ci --ignore-scripts');
  run([...npm, 'ci', '--ignore-scripts', '--no-audit', '--no-fund']);
}
run([...npm, 'run', 'build', '--silent']);
