// Files we write: the state directory is 0700, dead-letter files 0600, and a
// dead-letter file is bounded: what would grow it past max_size is dropped
// and counted, across restarts too.
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { nullLogger } from '../../src/log.js';
import { DeadLetter } from '../../src/pipeline/dead-letter.js';
import { prepareStateDir } from '../../src/state-dir.js';
import { SelfMetrics } from '../../src/telemetry/metrics.js';
import { event } from './fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const mode = (p: string) => statSync(p).mode & 0o777;

describe('dead-letter files', () => {
  it('are 0600 in a 0700 directory under a 0700 state directory, and bounded by max_size with counted drops', async () => {
    const root = mkdtempSync(join(tmpdir(), 'ds-dl-'));
    dirs.push(root);
    const stateDir = join(root, 'state');
    prepareStateDir(stateDir);
    expect(mode(stateDir)).toBe(0o700);

    const metrics = new SelfMetrics();
    const path = join(stateDir, 'dead-letter', 'kafka.ndjson');
    const lineBytes = (() => {
      const probe = new DeadLetter(join(root, 'probe'), nullLogger(), new SelfMetrics());
      return probe.write('kafka', [event(1)], 'message too large').then(() => statSync(join(root, 'probe', 'dead-letter', 'kafka.ndjson')).size);
    })();
    const one = await lineBytes;
    const dl = new DeadLetter(stateDir, nullLogger(), metrics, one * 3 + 10);
    await dl.write('kafka', [event(1), event(2)], 'message too large');
    await dl.write('kafka', [event(3), event(4), event(5)], 'message too large');
    expect(mode(join(stateDir, 'dead-letter'))).toBe(0o700);
    expect(mode(path)).toBe(0o600);
    const lines = readFileSync(path, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { record: { actor: { id: string } } });
    expect(lines.map((l) => l.record.actor.id)).toEqual(['c1', 'c2', 'c3']);
    expect(statSync(path).size).toBe(one * 3);
    const dropped = async (m: SelfMetrics) => (await m.deadLetterDropped.get()).values.find((v) => v.labels.sink === 'kafka')?.value;
    expect(await dropped(metrics)).toBe(2);
    // every dead letter is counted as such, written or not
    expect((await metrics.deadLettered.get()).values.reduce((n, v) => n + v.value, 0)).toBe(5);

    // After a restart the bound still holds: the file's size is read back.
    const metrics2 = new SelfMetrics();
    await new DeadLetter(stateDir, nullLogger(), metrics2, one * 3 + 10).write('kafka', [event(6)], 'message too large');
    expect(statSync(path).size).toBe(one * 3);
    expect(await dropped(metrics2)).toBe(1);
  });
});
