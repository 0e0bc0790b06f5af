// Out of the box: the config lookup and built-in default, the daemon lookup
// like the docker CLI (contexts made with the real docker CLI, the local,
// rootless and Podman sockets through a private /run view), the non-root
// state dir fallback and `dockstream config`, all through the built agent.
import { chownSync, existsSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import type { DsRecord } from '../../src/records.js';
import { dockerCliIn as docker, privateView, ROOT, runCli, scratchTree, startCli } from '../harness/cli-run.js';
import { dockerCli } from '../harness/dockerd.js';

const tree = scratchTree('/tmp/ds-oob-');
const { dir, fresh } = tree;
afterAll(() => tree.remove());

const PATH = process.env['PATH'];
const socket = inject('dockerSocketPath');

function file(name: string, text: string): string {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
}

const minimal = (sink: string, extra = '') => `${extra}
state_dir: ${dir}/state
sources:
  ev: { type: docker_events }
sinks:
  ${sink}: { type: stdout, inputs: [ev] }
telemetry: { listen: false }
`;

describe('config lookup', () => {
  it('-c > DOCKSTREAM_CONFIG > /etc/dockstream/config.yaml > ./config.yaml > the built-in default; check and config name it', async () => {
    const cwd = fresh('cwd-with-config');
    writeFileSync(join(cwd, 'config.yaml'), minimal('from_cwd'));
    const etc = file('etc.yaml', minimal('from_etc'));
    const flag = file('flag.yaml', minimal('from_flag'));
    const fromEnv = file('env.yaml', minimal('from_env'));
    const home = fresh('home-lookup');
    const sinksOf = (stdout: string): string[] => Object.keys((parse(stdout) as { sinks: object }).sinks);
    const header = (stdout: string): string => stdout.split('\n')[0] as string;

    const withAll = await runCli(['config', '-c', flag], { cwd, env: { PATH, HOME: home, DOCKSTREAM_CONFIG: fromEnv }, wrap: privateView({ etcConfig: etc }) });
    expect(withAll.code).toBe(0);
    expect(header(withAll.stdout)).toBe(`# effective configuration: ${flag} (-c)`);
    expect(sinksOf(withAll.stdout)).toEqual(['from_flag']);

    const env = await runCli(['config'], { cwd, env: { PATH, HOME: home, DOCKSTREAM_CONFIG: fromEnv }, wrap: privateView({ etcConfig: etc }) });
    expect(header(env.stdout)).toBe(`# effective configuration: ${fromEnv} (DOCKSTREAM_CONFIG)`);
    expect(sinksOf(env.stdout)).toEqual(['from_env']);

    const system = await runCli(['config'], { cwd, env: { PATH, HOME: home }, wrap: privateView({ etcConfig: etc }) });
    expect(header(system.stdout)).toBe('# effective configuration: /etc/dockstream/config.yaml (system file)');
    expect(sinksOf(system.stdout)).toEqual(['from_etc']);

    const local = await runCli(['check'], { cwd, env: { PATH, HOME: home, DOCKER_HOST: `unix://${socket}` }, wrap: privateView({ etcConfig: null }) });
    expect(local.code).toBe(0);
    expect(local.stdout.split('\n')[0]).toBe('ok    config                 config.yaml (working directory)');
    expect(local.stdout).toMatch(/^ok {4}sink:from_cwd +stdout/m);

    const builtin = await runCli(['check'], {
      cwd: fresh('cwd-empty'),
      env: { PATH, HOME: home, DOCKER_HOST: `unix://${socket}`, STATE_DIRECTORY: `${dir}/state` },
      wrap: privateView({ etcConfig: null }),
    });
    expect(builtin.code).toBe(0);
    expect(builtin.stdout.split('\n')[0]).toBe(
      'ok    config                 <built-in default> (no -c, DOCKSTREAM_CONFIG, /etc/dockstream/config.yaml or ./config.yaml)',
    );
    expect(builtin.stdout).toMatch(/^ok {4}sink:console +stdout/m);
  });

  it('a file named by DOCKSTREAM_CONFIG must exist (no silent fall-through to the default)', async () => {
    const r = await runCli(['run'], { cwd: fresh('cwd-empty'), env: { PATH, HOME: fresh('home-lookup'), DOCKSTREAM_CONFIG: join(dir, 'absent.yaml') } });
    expect(r.code).toBe(78);
    expect(r.stderr).toBe(`dockstream: config file not found: ${join(dir, 'absent.yaml')}\n`);
  });
});

describe('built-in default', () => {
  it('is the shipped config.yaml: `dockstream config` prints the same for both', async () => {
    const env = { PATH, HOME: fresh('home-builtin') };
    const builtin = await runCli(['config'], { cwd: fresh('cwd-empty'), env, wrap: privateView({ etcConfig: null }) });
    const shipped = await runCli(['config', '-c', join(ROOT, 'config.yaml')], { cwd: fresh('cwd-empty'), env });
    expect(builtin.code).toBe(0);
    expect(shipped.code).toBe(0);
    const body = (s: string): string => s.split('\n').slice(1).join('\n');
    expect(body(builtin.stdout)).toBe(body(shipped.stdout));
    expect(parse(builtin.stdout)).toMatchObject({
      state_dir: '/var/lib/dockstream',
      sources: { events: { type: 'docker_events' }, stats: { type: 'docker_stats', interval: '10s' }, disk: { type: 'docker_df', interval: '5m' } },
      sinks: { console: { type: 'stdout', inputs: ['events', 'stats', 'disk'] } },
    });
  });

  it('`run` in an empty directory, HOME in a temp dir, finds the daemon through the current docker context and emits records', async () => {
    const home = fresh('home-run');
    const address = tree.link('ctx-run', socket);
    docker(home, ['context', 'create', 'oob-run', '--docker', `host=unix://${address}`]);
    docker(home, ['context', 'use', 'oob-run']);
    const agent = startCli(['run'], {
      cwd: fresh('cwd-run'),
      env: { PATH, HOME: home, STATE_DIRECTORY: join(dir, 'state-run') },
      wrap: privateView({ etcConfig: null }),
    });
    try {
      await agent.waitFor((out) => out.includes('"kind":"inventory"') && out.includes('"kind":"disk_usage"'), 30_000);
      await dockerCli(`unix://${socket}`).dockerOk(['volume', 'create', 'oob-run']);
      await agent.waitFor((out) => out.includes('"actor":{"id":"oob-run"'));
      await dockerCli(`unix://${socket}`).dockerOk(['volume', 'rm', 'oob-run']);
    } finally {
      expect(await agent.stop()).toBe(0);
    }
    const kinds = new Set(
      agent
        .stdout()
        .trim()
        .split('\n')
        .map((l) => (JSON.parse(l) as DsRecord).kind),
    );
    expect([...kinds]).toEqual(expect.arrayContaining(['inventory', 'disk_usage', 'event']));
    const starting = agent
      .stderr()
      .split('\n')
      .filter((l) => l.includes('"msg":"starting"'))
      .map((l) => JSON.parse(l) as { config: string; docker: string; state_dir: string });
    expect(starting).toHaveLength(1);
    expect(starting[0]).toMatchObject({
      config: '<built-in default> (no -c, DOCKSTREAM_CONFIG, /etc/dockstream/config.yaml or ./config.yaml)',
      docker: `unix://${address} (current docker context "oob-run" (${home}/.docker/config.json))`,
      state_dir: join(dir, 'state-run'),
    });
    expect(existsSync(join(dir, 'state-run', 'cursor', 'events.json'))).toBe(true);
  });
});

describe('state directory on a non-root first run', () => {
  const NOBODY = 65534;
  const asNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

  async function firstRun(env: NodeJS.ProcessEnv, home: string): Promise<{ code: number | null; log: Array<Record<string, unknown>> }> {
    const cwd = fresh('cwd-nobody');
    chownSync(cwd, NOBODY, NOBODY);
    // No daemon to reach: the agent starts, prepares its state dir and waits for the daemon.
    const agent = startCli(['run'], {
      cwd,
      env: { PATH, HOME: home, DOCKER_HOST: `unix://${dir}/absent.sock`, ...env },
      wrap: [...privateView({ etcConfig: null }), ...asNobody],
    });
    await agent.waitFor((_out, err) => err.includes('"msg":"starting"'));
    const code = await agent.stop();
    return {
      code,
      log: agent
        .stderr()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    };
  }

  it('the default /var/lib/dockstream falls back to $XDG_STATE_HOME/dockstream, else ~/.local/state/dockstream, with a log line', async () => {
    expect(existsSync('/var/lib/dockstream')).toBe(false); // else nobody's first run is not a first run
    const home = fresh('home-nobody');
    chownSync(home, NOBODY, NOBODY);

    const xdg = await firstRun({ XDG_STATE_HOME: join(home, 'xdg-state') }, home);
    expect(xdg.code).toBe(0);
    const fallback = xdg.log.find((l) => l['msg'] === 'default state directory is not writable; using the per-user one');
    expect(fallback).toMatchObject({ level: 40, state_dir: join(home, 'xdg-state', 'dockstream'), default: '/var/lib/dockstream', reason: 'EACCES' });
    expect(xdg.log.find((l) => l['msg'] === 'starting')).toMatchObject({ state_dir: join(home, 'xdg-state', 'dockstream') });
    expect(statSync(join(home, 'xdg-state', 'dockstream')).uid).toBe(NOBODY);

    const plain = await firstRun({}, home);
    expect(plain.code).toBe(0);
    expect(plain.log.find((l) => l['msg'] === 'starting')).toMatchObject({ state_dir: join(home, '.local', 'state', 'dockstream') });
    expect(statSync(join(home, '.local', 'state', 'dockstream')).uid).toBe(NOBODY);
    expect(existsSync('/var/lib/dockstream')).toBe(false);
  });

  it('a state_dir the operator chose is never replaced: exit 73 naming it', async () => {
    const home = fresh('home-nobody');
    const r = await runCli(['run', '-c', file('chosen.yaml', minimal('out').replace(`state_dir: ${dir}/state`, 'state_dir: /var/lib/chosen-by-operator'))], {
      cwd: home,
      env: { PATH, HOME: home, DOCKER_HOST: `unix://${dir}/absent.sock` },
      wrap: asNobody,
    });
    expect(r.code).toBe(73);
    expect(r.stderr).toContain('state directory /var/lib/chosen-by-operator is not writable (EACCES)');
  });
});
