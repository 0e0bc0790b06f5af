// Daemon discovery like the docker CLI, through the built agent's `check`:
// -H > config docker.host > DOCKER_HOST > DOCKER_CONTEXT > the current context
// (both made with the real docker CLI) > /var/run/docker.sock > the rootless
// socket > Podman's sockets (a real Podman service), the well-known paths seen
// through a private /run; ssh:// and npipe:// refused with one line, exit 78.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveConnection } from '../../src/docker/host.js';
import { dockerCliIn as docker, privateView, runCli, scratchTree } from '../harness/cli-run.js';
import { startPodman, type PrivatePodman } from '../harness/podman.js';

const tree = scratchTree('/tmp/ds-disc-');
const { dir, fresh } = tree;
const PATH = process.env['PATH'];
const socket = inject('dockerSocketPath');
let podman: PrivatePodman;
const link = (name: string): string => tree.link(name, socket);

beforeAll(async () => {
  podman = await startPodman();
});
afterAll(async () => {
  await podman?.stop();
  tree.remove();
});

const config = (host?: string): string => {
  const p = join(dir, `config-${host === undefined ? 'nohost' : 'host'}.yaml`);
  writeFileSync(
    p,
    `${host === undefined ? '' : `docker: { host: "${host}" }\n`}state_dir: ${dir}/state
sources:
  ev: { type: docker_events }
sinks:
  out: { type: stdout, inputs: [ev] }
telemetry: { listen: false }
`,
  );
  return p;
};

/** `check`'s docker line: address, engine, and where the address came from. */
async function check(args: string[], env: NodeJS.ProcessEnv, wrap?: string[]): Promise<{ code: number | null; address: string; engine: string; from: string }> {
  const r = await runCli(['check', ...args], { env: { PATH, ...env }, ...(wrap ? { wrap } : {}) });
  const ok = /^ok {4}docker +(\S+) (docker|podman) .* from=(.*)$/m.exec(r.stdout);
  if (ok) return { code: r.code, address: ok[1] as string, engine: ok[2] as string, from: ok[3] as string };
  const bad = /^FAIL {2}docker +(\S+) \(from (.*?)\):/m.exec(r.stdout);
  if (bad) return { code: r.code, address: bad[1] as string, engine: '', from: bad[2] as string };
  throw new Error(`no docker line (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
}

describe('daemon discovery', () => {
  it('-H > config docker.host > DOCKER_HOST > DOCKER_CONTEXT > the current docker context', async () => {
    const home = fresh('home-chain');
    docker(home, ['context', 'create', 'named', '--docker', `host=unix://${link('named')}`]);
    docker(home, ['context', 'create', 'cur', '--docker', `host=unix://${link('cur')}`]);
    docker(home, ['context', 'use', 'cur']);
    const all = { HOME: home, DOCKER_HOST: `unix://${link('env')}`, DOCKER_CONTEXT: 'named' };
    const withHost = config(`unix://${link('cfg')}`);
    const noHost = config();

    expect(await check(['-c', withHost, '-H', `unix://${link('flag')}`], all)).toEqual({
      code: 0,
      address: `unix://${link('flag')}`,
      engine: 'docker',
      from: '-H',
    });
    expect(await check(['-c', withHost], all)).toEqual({ code: 0, address: `unix://${link('cfg')}`, engine: 'docker', from: 'config docker.host' });
    expect(await check(['-c', noHost], all)).toEqual({ code: 0, address: `unix://${link('env')}`, engine: 'docker', from: 'DOCKER_HOST' });
    const { DOCKER_HOST: _h, ...contexts } = all;
    expect(await check(['-c', noHost], contexts)).toEqual({ code: 0, address: `unix://${link('named')}`, engine: 'docker', from: 'DOCKER_CONTEXT=named' });
    expect(await check(['-c', noHost], { HOME: home })).toEqual({
      code: 0,
      address: `unix://${link('cur')}`,
      engine: 'docker',
      from: `current docker context "cur" (${home}/.docker/config.json)`,
    });
    // DOCKER_CONTEXT=default is "no context" for the CLI: config.json's current one is skipped as well.
    const viaDefault = await check(['-c', noHost], { HOME: home, DOCKER_CONTEXT: 'default' }, privateView({ runLinks: { 'docker.sock': socket } }));
    expect(viaDefault).toEqual({ code: 0, address: 'unix:///var/run/docker.sock', engine: 'docker', from: 'default socket' });
    // An unknown context is a configuration error, as for the CLI.
    const unknown = await runCli(['check', '-c', noHost], { env: { PATH, HOME: home, DOCKER_CONTEXT: 'nope' } });
    expect(unknown.code).toBe(78);
    expect(unknown.stderr).toBe(`dockstream: docker context "nope" does not exist (looked in ${home}/.docker/contexts)\n`);
  });

  it('nothing named: /var/run/docker.sock > $XDG_RUNTIME_DIR/docker.sock > $XDG_RUNTIME_DIR/podman/podman.sock > /run/podman/podman.sock', async () => {
    const home = fresh('home-sockets');
    const xdg = fresh('xdg-runtime');
    mkdirSync(join(xdg, 'podman'), { recursive: true });
    const podmanSocket = podman.socketPath;
    const noHost = config();
    const view = (links: Record<string, string>): string[] => privateView({ etcConfig: null, runLinks: links });

    symlinkSync(socket, join(xdg, 'docker.sock'));
    symlinkSync(podmanSocket, join(xdg, 'podman', 'podman.sock'));
    const env = { HOME: home, XDG_RUNTIME_DIR: xdg };
    expect(await check(['-c', noHost], env, view({ 'docker.sock': socket, 'podman/podman.sock': podmanSocket }))).toEqual({
      code: 0,
      address: 'unix:///var/run/docker.sock',
      engine: 'docker',
      from: 'default socket',
    });
    expect(await check(['-c', noHost], env, view({ 'podman/podman.sock': podmanSocket }))).toEqual({
      code: 0,
      address: `unix://${xdg}/docker.sock`,
      engine: 'docker',
      from: 'rootless docker socket ($XDG_RUNTIME_DIR)',
    });
    rmSync(join(xdg, 'docker.sock'));
    expect(await check(['-c', noHost], env, view({ 'podman/podman.sock': podmanSocket }))).toEqual({
      code: 0,
      address: `unix://${xdg}/podman/podman.sock`,
      engine: 'podman',
      from: 'rootless podman socket ($XDG_RUNTIME_DIR)',
    });
    expect(await check(['-c', noHost], { HOME: home }, view({ 'podman/podman.sock': podmanSocket }))).toEqual({
      code: 0,
      address: 'unix:///run/podman/podman.sock',
      engine: 'podman',
      from: 'podman socket',
    });
    // No socket anywhere: the docker default, reported as unreachable (69).
    expect(await check(['-c', noHost], { HOME: home }, view({}))).toEqual({
      code: 69,
      address: 'unix:///var/run/docker.sock',
      engine: '',
      from: 'default (no local socket found)',
    });
  });

  it('ssh:// and npipe:// are refused with one line naming the scheme and what to use instead, exit 78', async () => {
    const home = fresh('home-ssh');
    docker(home, ['context', 'create', 'remote', '--docker', 'host=ssh://me@build-box.invalid']);
    const noHost = config();
    const cases: Array<[string[], NodeJS.ProcessEnv, string]> = [
      [['run', '-c', noHost], { HOME: home, DOCKER_HOST: 'ssh://me@build-box.invalid' }, 'DOCKER_HOST'],
      [['check', '-c', noHost], { HOME: home, DOCKER_CONTEXT: 'remote' }, 'DOCKER_CONTEXT=remote'],
      [['once', '-c', noHost, '-H', 'ssh://me@build-box.invalid'], { HOME: home }, '-H'],
    ];
    for (const [args, env, from] of cases) {
      const r = await runCli(args, { env: { PATH, ...env } });
      expect(r.code).toBe(78);
      expect(r.stderr.split('\n').filter(Boolean)).toEqual([
        `dockstream: ssh:// daemons are not supported: forward the remote socket (ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock user@host) and use unix:///tmp/docker.sock, or expose the daemon with TLS and use tcp://host:2376 (from ${from})`,
      ]);
    }
    const pipe = await runCli(['run', '-c', noHost, '-H', 'npipe:////./pipe/docker_engine'], { env: { PATH, HOME: home } });
    expect(pipe.code).toBe(78);
    expect(pipe.stderr).toBe(
      'dockstream: npipe:// (Windows named pipe) is not supported: dockstream runs on Linux; use unix:///var/run/docker.sock or tcp://host:2376 (from -H)\n',
    );
  });

  it("a context's TLS files and skip-tls-verify are used, and DOCKER_TLS_VERIFY does not apply to a context (docker CLI rules)", () => {
    const home = fresh('home-tls');
    const pki = fresh('pki');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-days', '1', '-keyout', join(pki, 'key.pem'), '-out', join(pki, 'cert.pem')],
      {
        stdio: 'ignore',
      },
    );
    const files = `ca=${join(pki, 'cert.pem')},cert=${join(pki, 'cert.pem')},key=${join(pki, 'key.pem')}`;
    docker(home, ['context', 'create', 'tls', '--docker', `host=tcp://127.0.0.1:23760,${files}`]);
    docker(home, ['context', 'create', 'tls-skip', '--docker', `host=tcp://127.0.0.1:23761,${files},skip-tls-verify=true`]);
    docker(home, ['context', 'create', 'plain', '--docker', 'host=tcp://127.0.0.1:23762']);

    const tls = resolveConnection({}, { HOME: home, DOCKER_CONTEXT: 'tls' });
    if (tls.kind !== 'tcp' || tls.tls === null) throw new Error(`expected a TLS tcp connection, got ${JSON.stringify(tls)}`);
    expect(tls.origin).toBe('https://127.0.0.1:23760');
    expect(tls.tls.verify).toBe(true);
    // The CLI copied the files into its store; we read the store's copies.
    expect(tls.tls.ca?.equals(readFileSync(join(pki, 'cert.pem')))).toBe(true);
    expect(tls.tls.key?.equals(readFileSync(join(pki, 'key.pem')))).toBe(true);
    const skip = resolveConnection({}, { HOME: home, DOCKER_CONTEXT: 'tls-skip' });
    // kind first: `kind === 'tcp' && …` would be false (and pass) for a unix connection too.
    expect(skip.kind).toBe('tcp');
    if (skip.kind !== 'tcp' || skip.tls === null) throw new Error(`expected a TLS tcp connection, got ${JSON.stringify(skip)}`);
    expect(skip.origin).toBe('https://127.0.0.1:23761');
    expect(skip.tls.verify).toBe(false);
    const plain = resolveConnection({}, { HOME: home, DOCKER_CONTEXT: 'plain', DOCKER_TLS_VERIFY: '1' });
    expect(plain).toMatchObject({ kind: 'tcp', origin: 'http://127.0.0.1:23762', tls: null });
    // DOCKER_TLS_VERIFY: set and non-empty enables TLS ("0" too); empty does not.
    expect(resolveConnection({}, { DOCKER_HOST: 'tcp://127.0.0.1:23763', DOCKER_TLS_VERIFY: '' })).toMatchObject({
      origin: 'http://127.0.0.1:23763',
      tls: null,
    });
    copyFileSync(join(pki, 'cert.pem'), join(pki, 'ca.pem'));
    expect(resolveConnection({}, { DOCKER_HOST: 'tcp://127.0.0.1:23763', DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: pki })).toMatchObject({
      origin: 'https://127.0.0.1:23763',
      tls: { verify: true },
    });
  });
});
