import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import type { DsRecord } from '../../src/records.js';
import { MAIN, ROOT, runCli, type CliResult } from '../harness/cli-run.js';
import { dockerCli } from '../harness/dockerd.js';
import { ofKind } from '../harness/records.js';

function cli(args: string[], env: NodeJS.ProcessEnv = {}, timeoutMs = 30_000): Promise<CliResult> {
  return runCli(args, { env: { PATH: process.env['PATH'], HOME: process.env['HOME'], ...env }, timeoutMs });
}

const dir = mkdtempSync(join(tmpdir(), 'ds-cli-'));
function configFile(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const valid = (host: string, extraSinks = '') => `
docker: { host: "${host}" }
state_dir: ${dir}/state
sources:
  events: { type: docker_events }
  disk: { type: docker_df }
sinks:
  out: { type: stdout, inputs: [events, disk] }
${extraSinks}
telemetry: { listen: false }
`;

describe('dockstream CLI', () => {
  const host = inject('dockerHost');

  it('version prints the package version', async () => {
    const r = await cli(['version']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`dockstream 0.1.0 (node ${process.version})\n`);
  });

  it('a bad config exits 78 and names every problem by path and line', async () => {
    const file = configFile(
      'bad.yaml',
      `docker: { host: "\${NOT_SET_ANYWHERE}", colour: red }
sources:
  events: { type: docker_events }
sinks:
  out:
    type: stdout
    inputs: [events, ghosts]
    batch: { max_records: many }
`,
    );
    const r = await cli(['check', '-c', file]);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`${file}:1: docker.host: environment variable NOT_SET_ANYWHERE is not set`);
    expect(r.stderr).toContain(`${file}:1: docker.colour: unknown key`);
    expect(r.stderr).toContain(`${file}:8: sinks.out.batch.max_records: Invalid input: expected number, received string`);
    expect(r.stderr).toContain(`${file}:7: sinks.out.inputs[1]: unknown source "ghosts"`);
    const run = await cli(['run', '-c', file]);
    expect(run.code).toBe(78);
  });

  it('a missing config file is one clear line, no stack trace', async () => {
    const r = await cli(['run', '-c', join(dir, 'nope.yaml')]);
    expect(r.code).toBe(78);
    expect(r.stderr).toBe(`dockstream: config file not found: ${join(dir, 'nope.yaml')}\n`);
  });

  it('check prints one line per component and exits 0 when all is well', async () => {
    const r = await cli(['check', '-c', configFile('ok.yaml', valid(host))]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^ok {4}config/);
    expect(lines[1]).toMatch(new RegExp(`^ok {4}docker +${host} docker 20\\.10`));
    expect(lines.slice(2)).toEqual([
      expect.stringMatching(/^ok {4}source:disk +docker_df$/),
      expect.stringMatching(/^ok {4}source:events +docker_events$/),
      expect.stringMatching(/^ok {4}sink:out +stdout/),
    ]);
  });

  it('check exits 69 when the daemon or a sink is unreachable', async () => {
    const noDaemon = await cli(['check', '-c', configFile('nodaemon.yaml', valid(`unix://${dir}/absent.sock`))]);
    expect(noDaemon.code).toBe(69);
    expect(noDaemon.stdout).toMatch(/FAIL {2}docker .*cannot reach docker daemon/);
    const deadSink = await cli([
      'check',
      '-c',
      configFile(
        'deadsink.yaml',
        valid(host).replace('sinks:\n', 'sinks:\n  otel: { type: otlp, inputs: [events], endpoint: "http://127.0.0.1:9", timeout: 2s }\n'),
      ),
    ]);
    expect(deadSink.code).toBe(69);
    expect(deadSink.stdout).toMatch(/FAIL {2}sink:otel /);
    expect(deadSink.stdout).toMatch(/ok {4}docker/);
  });

  it('-H overrides the config and once prints one round as NDJSON', async () => {
    const d = dockerCli(host);
    await d.dockerOk(['volume', 'create', 'cli-once']);
    await d.dockerOk(['volume', 'rm', 'cli-once']);
    const file = configFile('elsewhere.yaml', valid(`unix://${dir}/absent.sock`));
    const r = await cli(['once', '-c', file, '-H', host, '--source', 'events', '--since', '1m']);
    expect(r.code).toBe(0);
    const records = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as DsRecord);
    const mine = ofKind(records, 'event')
      .filter((x) => x.actor.id === 'cli-once')
      .map((x) => x.action);
    expect(mine).toEqual(['create', 'destroy']);
    const df = await cli(['once', '-c', file, '-H', host, '--source', 'df']);
    expect(df.code).toBe(0);
    const usage = JSON.parse(df.stdout) as DsRecord;
    expect(usage.kind).toBe('disk_usage');
  });

  it('run streams records to stdout and stops cleanly on SIGTERM', async () => {
    const child = spawn(process.execPath, [MAIN, 'run', '-c', configFile('run.yaml', valid(host))], { cwd: ROOT });
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    for (let i = 0; i < 100 && !stdout.includes('"kind":"inventory"'); i++) await new Promise((r) => setTimeout(r, 100));
    await dockerCli(host).dockerOk(['volume', 'create', 'cli-run']);
    for (let i = 0; i < 100 && !stdout.includes('"cli-run"'); i++) await new Promise((r) => setTimeout(r, 100));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    await dockerCli(host).dockerOk(['volume', 'rm', 'cli-run']);
    const kinds = stdout
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as DsRecord).kind);
    expect(kinds).toContain('inventory');
    expect(kinds).toContain('disk_usage');
    expect(stdout).toContain('"actor":{"id":"cli-run"');
  });
});
