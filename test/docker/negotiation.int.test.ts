// API version negotiation against the real engines, Docker and Podman alike:
// a pinned `api_version` outside the engine's [MinAPIVersion, ApiVersion] fails
// at start and in `check` with one line naming both ranges (exit 78); inside
// both ranges, it is used as pinned; unpinned, the engine's own maximum is used
// (ours when the engine is newer). Every pin is derived from the range the
// engine itself states on `GET /version`, read here with plain node:http: no
// version is assumed from an engine's name (Docker 29 raises its minimum to
// 1.44, so a fixed "everyone serves 1.41" would not hold).
// An engine newer than our maximum exists nowhere here yet: the fake daemon
// answering /version with 1.99 shows `check` saying it uses our maximum.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareApiVersions, MAX_API_VERSION, MIN_API_VERSION } from '../../src/docker/negotiate.js';
import type { DsRecord } from '../../src/records.js';
import { DOCKER_ENGINES, PODMAN_ENGINES } from '../harness/engines.js';
import { startEngine, type LiveEngine } from '../harness/live-engine.js';
import { engineApiRange } from '../harness/engine-http.js';
import { FAKE_NAME, startFakeDaemon } from '../harness/fake-daemon.js';
import { runCli } from '../harness/cli-run.js';

const agent = (args: string[]) => runCli(args);

const bump = (v: string, by: number): string => {
  const [maj = '1', min = '0'] = v.split('.');
  return `${maj}.${Number(min) + by}`;
};
const later = (a: string, b: string): string => (compareApiVersions(a, b) >= 0 ? a : b);
const earlier = (a: string, b: string): string => (compareApiVersions(a, b) <= 0 ? a : b);

const work = mkdtempSync(join(tmpdir(), 'ds-nego-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function config(name: string, host: string, pin?: string): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(
    path,
    `docker: { host: "${host}"${pin === undefined ? '' : `, api_version: "${pin}"`} }
state_dir: ${work}/state-${name}
sources:
  events: { type: docker_events }
sinks:
  out: { type: stdout, inputs: [events] }
telemetry: { listen: false }
`,
  );
  return path;
}

describe.each([...DOCKER_ENGINES, ...PODMAN_ENGINES])('API version negotiation against %s', (engine) => {
  let e: LiveEngine;
  /** The engine's range, as its `/version` states it. */
  let min = '';
  let max = '';
  /** Where the engine's range and ours overlap. */
  let lo = '';
  let hi = '';
  beforeAll(async () => {
    e = await startEngine(engine, 'nego');
    ({ min, max } = await engineApiRange(e.socketPath));
    lo = later(min, MIN_API_VERSION);
    hi = earlier(max, MAX_API_VERSION);
    console.log(`${engine}: engine API [${min}, ${max}], dockstream [${MIN_API_VERSION}, ${MAX_API_VERSION}], both [${lo}, ${hi}]`);
  });
  afterAll(async () => {
    await e?.stop();
  });

  it('the engine states a range that overlaps ours', () => {
    expect(min).toMatch(/^1\.\d+$/);
    expect(max).toMatch(/^1\.\d+$/);
    expect(compareApiVersions(lo, hi)).toBeLessThanOrEqual(0);
  });

  it('unpinned: check uses the engine maximum (ours if the engine is newer)', async () => {
    const r = await agent(['check', '-c', config(`free-${engine}`, e.host)]);
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.startsWith('ok') && l.includes(' docker '));
    expect(line).toContain(`(api ${hi})`);
    if (compareApiVersions(max, MAX_API_VERSION) > 0) expect(line).toContain(`daemon API ${max} is newer than dockstream's maximum`);
    else expect(line).not.toContain('newer than');
  });

  it('a pin inside both ranges (the lowest both serve) is used as pinned by check and once', async () => {
    const file = config(`in-${engine}`, e.host, lo);
    const r = await agent(['check', '-c', file]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n').find((l) => l.includes(' docker '))).toContain(`(api ${lo})`);
    // The records of a round at that version say so: the client speaks `/v${lo}/…`.
    const once = await agent(['once', '-c', file, '--source', 'df']);
    expect(once.stderr.split('\n').filter((l) => l.includes('"level":50'))).toEqual([]);
    expect(once.code).toBe(0);
    const records = once.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as DsRecord);
    expect(records.map((rec) => rec.kind)).toEqual(['disk_usage']);
    expect(records[0]?.host.api_version).toBe(lo);
  });

  const cases = [
    ['above the engine’s maximum', () => bump(max, 1)],
    ['below the engine’s minimum', () => bump(min, -1)],
    ['below dockstream’s minimum', () => bump(MIN_API_VERSION, -1)],
  ] as const;
  for (const [side, pinOf] of cases) {
    it(`a pin ${side} fails check and run with exit 78 and one line naming both ranges`, async () => {
      const pin = pinOf();
      const want = `docker.api_version ${pin} is outside the daemon's API range [${min}, ${max}] or dockstream's [${MIN_API_VERSION}, ${MAX_API_VERSION}]`;
      const file = config(`out-${engine}-${pin}`, e.host, pin);
      const check = await agent(['check', '-c', file]);
      expect(check.code).toBe(78);
      const failed = check.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toContain(want);
      const run = await agent(['run', '-c', file]);
      expect(run.code).toBe(78);
      // Besides the JSON log (which must not say it is retrying), one line says why.
      const lines = run.stderr.trim().split('\n');
      expect(lines.filter((l) => !l.startsWith('{'))).toEqual([`dockstream: ${want} [CONFIG_INVALID]`]);
      expect(lines.filter((l) => l.includes('retrying'))).toEqual([]);
    });
  }
});

describe('an engine newer than dockstream', () => {
  it('is used at our maximum, and check says so', async () => {
    const daemon = await startFakeDaemon({ apiVersion: '1.99' });
    try {
      const r = await agent(['check', '-c', config('newer', daemon.host)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(
        `(api ${MAX_API_VERSION}) host=${FAKE_NAME} from=config docker.host (daemon API 1.99 is newer than dockstream's maximum ${MAX_API_VERSION}: using ${MAX_API_VERSION})`,
      );
    } finally {
      await daemon.close();
    }
  });
});
