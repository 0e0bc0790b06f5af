#!/usr/bin/env node
// `npm test`, second pass: the unit tests and one live suite (the spawned CLI,
// against the real private dockerd) on Node 24, the newest supported LTS. The
// first pass runs everything on the machine's node (Node 20 or 22).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode24 } from './node24.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** Pure tests (no peers) plus the CLI suite, which drives the built agent against the shared private dockerd. */
export const NODE24_TESTS = [
  'test/config',
  'test/util',
  'test/docs',
  'test/setup',
  'test/docker',
  'test/pipeline/serialize.test.ts',
  'test/pipeline/spool.test.ts',
  'test/sinks/file',
  'test/sinks/otlp/mapping.test.ts',
  'test/sinks/otlp/env.test.ts',
  'test/sources/docker-events/normalize.test.ts',
  'test/sources/docker-events/engine-query.test.ts',
  'test/sources/docker-events/podman.test.ts',
  'test/sources/docker-stats/normalize.test.ts',
  'test/sources/docker-stats/selection.test.ts',
  'test/sources/docker-stats/container-set.test.ts',
  'test/sources/docker-df/formulas.test.ts',
  'test/sources/docker-df/cli-format.test.ts',
  'test/sources/docker-df/alerts.test.ts',
  'test/sources/docker-df/largest.test.ts',
  'test/sources/docker-df/options.test.ts',
  // The live suite: the spawned agent against the shared private dockerd (and Podman).
  'test/cli',
];

const node = ensureNode24();
if (!node.ok) {
  console.error(`[test-node24] ${node.reason}`);
  process.exit(1);
}
console.log(`[test-node24] ${node.version}: ${NODE24_TESTS.join(' ')}`);
const res = spawnSync(node.bin, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...NODE24_TESTS, ...process.argv.slice(2)], {
  cwd: root,
  stdio: 'inherit',
});
process.exit(res.status ?? 1);
