// API version negotiation against the real engines: a pinned `api_version`
// outside the engine's [MinAPIVersion, ApiVersion] fails at start and in
// `check` with one line naming both ranges (exit 78); inside, it is used as
// pinned; unpinned, the engine's own maximum is used (all are below ours).
// An engine newer than our maximum exists nowhere here yet: the fake daemon
// answering /version with 1.99 shows `check` saying it uses our maximum.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_API_VERSION, MIN_API_VERSION } from '../../src/docker/negotiate.js';
import { DOCKER_ENGINES, startDockerd, type PrivateDockerd } from '../harness/dockerd.js';
import { FAKE_NAME, startFakeDaemon } from '../harness/fake-daemon.js';
import { runCli } from '../harness/cli-run.js';

const agent = (args: string[]) => runCli(args);

const bump = (v: string, by: number): string => {
  const [maj = '1', min = '0'] = v.split('.');
  return `${maj}.${Number(min) + by}`;
};

const work = mkdtempSync(join(tmpdir(), 'ds-nego-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function config(name: string, host: string, pin?: string): string {
  const path = join(work, `${name}.yaml`);
  writeFileSync(path, `docker: { host: "${host}"${pin === undefined ? '' : `, api_version: "${pin}"`} }
state_dir: ${work}/state-${name}
sources:
  events: { type: docker_events }
sinks:
  out: { type: stdout, inputs: [events] }
telemetry: { listen: false }
`);
  return path;
}

describe.each(DOCKER_ENGINES)('API version negotiation against %s', (engine) => {
  let d: PrivateDockerd;
  let min = '';
  let max = '';
  beforeAll(async () => {
    d = await startDockerd({ name: `nego-${engine}`, engine });
    [min = '', max = ''] = (await d.dockerOk(['version', '--format', '{{.Server.MinAPIVersion}} {{.Server.APIVersion}}'])).split(' ');
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('unpinned: check uses the engine maximum and says nothing more', async () => {
    const r = await agent(['check', '-c', config(`free-${engine}`, d.host)]);
    expect(r.code).toBe(0);
    const line = r.stdout.split('\n').find((l) => l.includes(' docker '));
    expect(line).toContain(`(api ${max})`);
    expect(line).not.toContain('newer than');
  });

  it('a pin inside both ranges is used as pinned', async () => {
    const pin = '1.41'; // every engine here serves it, and so do we
    const r = await agent(['check', '-c', config(`in-${engine}`, d.host, pin)]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`(api ${pin})`);
  });

  for (const side of ['above', 'below'] as const) {
    it(`a pin ${side} the engine's range fails check and run with exit 78 and one line naming both ranges`, async () => {
      const pin = side === 'above' ? bump(max, 1) : bump(MIN_API_VERSION, -1);
      const want = `docker.api_version ${pin} is outside the daemon's API range [${min}, ${max}] or dockstream's [${MIN_API_VERSION}, ${MAX_API_VERSION}]`;
      const file = config(`${side}-${engine}`, d.host, pin);
      const check = await agent(['check', '-c', file]);
      expect(check.code).toBe(78);
      const failed = check.stdout.split('\n').filter((l) => l.startsWith('FAIL'));
      expect(failed).toHaveLength(1);
      expect(failed[0]).toContain(want);
      const run = await agent(['run', '-c', file]);
      expect(run.code).toBe(78);
      // Besides the JSON log (which must not say it is retrying), one line says why.
      const lines = run.stderr.trim().split('\n');
      expect(lines.filter((l) => !l.startsWith('{'))).toEqual([`dockstream: ${want}`]);
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
      expect(r.stdout).toContain(`(api ${MAX_API_VERSION}) host=${FAKE_NAME} from=config docker.host (daemon API 1.99 is newer than dockstream's maximum ${MAX_API_VERSION}: using ${MAX_API_VERSION})`);
    } finally {
      await daemon.close();
    }
  });
});
