import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareApiVersions, DockerClient } from '../../src/docker/client.js';
import { resolveConnection } from '../../src/docker/host.js';
import { DsError } from '../../src/errors.js';
import { nullLogger } from '../../src/log.js';
import { startFakeDaemon, type FakeDaemon } from '../harness/fake-daemon.js';

describe('docker host resolution', () => {
  it('follows -H, then config, then DOCKER_HOST, then the local socket', () => {
    expect(resolveConnection({}, {})).toMatchObject({ kind: 'unix', socketPath: '/var/run/docker.sock' });
    expect(resolveConnection({}, { DOCKER_HOST: 'unix:///run/x.sock' })).toMatchObject({ kind: 'unix', socketPath: '/run/x.sock' });
    expect(resolveConnection({ host: 'tcp://127.0.0.1' }, { DOCKER_HOST: 'unix:///run/x.sock' })).toMatchObject({
      kind: 'tcp',
      origin: 'http://127.0.0.1:2375',
      tls: null,
    });
  });

  it('enables TLS for any non-empty DOCKER_TLS_VERIFY (even 0), port 2376, certs from DOCKER_CERT_PATH', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-certs-'));
    for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), `-- ${f} --`);
    const c = resolveConnection({ host: 'tcp://127.0.0.1' }, { DOCKER_TLS_VERIFY: '0', DOCKER_CERT_PATH: dir });
    expect(c).toMatchObject({ kind: 'tcp', origin: 'https://127.0.0.1:2376' });
    if (c.kind !== 'tcp' || !c.tls) throw new Error('expected tls');
    expect(c.tls.ca?.toString()).toBe('-- ca.pem --');
    expect(c.tls.key?.toString()).toBe('-- key.pem --');
    expect(c.tls.verify).toBe(true);
    rmSync(dir, { recursive: true });
  });

  it('rejects hosts it cannot use', () => {
    expect(() => resolveConnection({ host: 'ssh://me@box' }, {})).toThrow(/^ssh:\/\/ daemons are not supported: .* \(from config docker\.host\)$/);
    expect(() => resolveConnection({ host: 'gopher://box' }, {})).toThrow(/invalid docker host: gopher:\/\/box/);
    expect(() => resolveConnection({ host: 'tcp://127.0.0.1', tls: { verify: true, ca: '/nonexistent/ca.pem' } }, {})).toThrow(/cannot read TLS file/);
  });

  it('compares API versions numerically', () => {
    expect(compareApiVersions('1.9', '1.41')).toBeLessThan(0);
    expect(compareApiVersions('1.52', '1.52')).toBe(0);
  });
});

describe('docker client', () => {
  let daemon: FakeDaemon;

  beforeAll(async () => {
    daemon = await startFakeDaemon({ apiVersion: '1.45', version: '26.1.0', minApiVersion: '1.24' });
  });
  afterAll(async () => {
    await daemon.close();
  });

  const client = () => new DockerClient(resolveConnection({ host: daemon.host }, {}), { timeoutMs: 2000, log: nullLogger() });

  it('refuses anything but GET and HEAD, before sending a byte', async () => {
    const c = client();
    const before = daemon.requests.length;
    for (const method of ['POST', 'DELETE', 'PUT', 'PATCH']) {
      const err = await c.request(method, '/containers/x/kill').catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DsError);
      expect((err as DsError).code).toBe('DOCKER_METHOD_REFUSED');
    }
    expect(daemon.requests.length).toBe(before);
    await c.close();
  });

  it('negotiates min(daemon, ours) and prefixes every path with it', async () => {
    const c = client();
    expect(await c.negotiate()).toBe('1.45');
    const v = await c.getJson<{ Version: string }>('/version');
    expect(v.Version).toBe('26.1.0');
    expect(daemon.requests).toContain('GET /v1.45/version');
    const err = await c.getJson('/nope').catch((e: unknown) => e);
    expect((err as Error).message).toBe('docker /nope: 404 page not found');
    await c.close();
  });

  it('a stream cut in the middle is a DOCKER_UNREACHABLE error that keeps the transport error as its cause', async () => {
    const cutting = await startFakeDaemon({
      routes: {
        '/events': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json' });
          res.write('{"Type":"container"}\n{"Type":', () => res.socket?.destroy());
        },
      },
    });
    const c = new DockerClient(resolveConnection({ host: cutting.host }, {}), { timeoutMs: 2000, log: nullLogger() });
    try {
      const { lines } = await c.streamLines('/events');
      const got: string[] = [];
      const err = await (async () => {
        for await (const line of lines) got.push(line);
      })().catch((e: unknown) => e);
      expect(got).toEqual(['{"Type":"container"}']);
      expect(err).toBeInstanceOf(DsError);
      expect(err).toMatchObject({
        code: 'DOCKER_UNREACHABLE',
        message: `docker stream /events from ${c.connection.display} was cut`,
        details: { path: '/events' },
      });
      expect((err as Error).cause).toBeInstanceOf(Error);
    } finally {
      await c.close();
      await cutting.close();
    }
  });

  it('reports an unreachable daemon with a stable code', async () => {
    const c = new DockerClient(resolveConnection({ host: `unix://${join(dirname(daemon.socketPath ?? ''), 'absent.sock')}` }, {}), {
      timeoutMs: 1000,
      log: nullLogger(),
    });
    const err = await c.negotiate().catch((e: unknown) => e);
    expect((err as DsError).code).toBe('DOCKER_UNREACHABLE');
    await c.close();
  });
});
