#!/usr/bin/env node
// `npm test`, second pass: the fast lane (the unit tests) and the live CLI
// suite (the spawned agent, against the real private dockerd) on Node 24, the
// newest supported LTS. The first pass runs everything on the machine's node
// (Node 20 or 22).
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureNode24 } from './node24.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * Besides the fast lane (vitest.unit.config.ts: every test that needs no
 * daemon, Kafka, Prometheus or root), on the default config with the shared
 * private dockerd: the HTTP client's fuzzers, negotiation, the set-up check
 * and the live CLI suite (the spawned agent against dockerd and Podman).
 */
export const NODE24_TESTS = ['test/docker/http1-fuzz.test.ts', 'test/docker/negotiation.int.test.ts', 'test/setup', 'test/cli'];

const node = ensureNode24();
if (!node.ok) {
  console.error(`[test-node24] ${node.reason}`);
  process.exit(1);
}
// Extra arguments (file filters, options) go to both runs; a filter may match files of one only.
const extra = process.argv.length > 2 ? ['--passWithNoTests', ...process.argv.slice(2)] : [];
const vitest = (args) =>
  spawnSync(node.bin, [join(root, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...args, ...extra], { cwd: root, stdio: 'inherit' }).status ?? 1;
console.log(`[test-node24] ${node.version}: the fast lane (vitest.unit.config.ts)`);
const unit = vitest(['--config', 'vitest.unit.config.ts']);
console.log(`[test-node24] ${node.version}: ${NODE24_TESTS.join(' ')}`);
const live = vitest(NODE24_TESTS);
process.exit(unit || live);
