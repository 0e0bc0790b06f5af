// The fast lane (vitest.unit.config.ts) lists test files that exist, and none
// of them starts a real peer: no daemon, Kafka or Prometheus, no spawned agent.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UNIT_TESTS } from '../../vitest.unit.config.js';

/** What only a test needing a real peer (or the built agent) calls. */
const PEERS =
  /\binject\(|\bstartDockerd\(|\bstartPodman\(|\bstartKafkaMock\(|\bstartPrometheus\(|\bdockerCli\(|\brunCli\(|\bstartCli\(|import \{[^}]*\b(?:DOCKER|PODMAN)_ENGINES\b[^}]*\} from/;

function testFiles(entry: string): string[] {
  if (entry.endsWith('.ts')) return [entry];
  return readdirSync(entry, { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.test.ts'))
    .map((f) => join(entry, f));
}

describe('the fast lane', () => {
  it('lists files and folders that exist', () => {
    for (const entry of UNIT_TESTS)
      expect(existsSync(entry) && (entry.endsWith('.ts') ? statSync(entry).isFile() : statSync(entry).isDirectory()), entry).toBe(true);
  });

  it('holds no test that needs a daemon, Kafka, Prometheus or the built agent', () => {
    const files = UNIT_TESTS.flatMap(testFiles).filter((f) => f !== 'test/harness/unit-lane.test.ts'); // (it names them)
    expect(files.length).toBeGreaterThan(40);
    for (const file of files) expect({ file, peer: PEERS.exec(readFileSync(file, 'utf8'))?.[0] }).toEqual({ file, peer: undefined });
  });
});
