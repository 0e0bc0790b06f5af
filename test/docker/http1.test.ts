import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createNetServer, type AddressInfo, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '../../src/docker/client.js';
import { resolveConnection, type ConnectionSpec } from '../../src/docker/host.js';
import { Http1ConnectionError, Http1Pool, Http1ProtocolError, Http1TimeoutError } from '../../src/docker/http1.js';
import { DsError } from '../../src/errors.js';
import { nullLogger } from '../../src/log.js';

let dir: string;
const servers: (NetServer | HttpServer)[] = [];
const pools: Http1Pool[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-http1-'));
});
afterEach(async () => {
  for (const p of pools.splice(0)) p.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let socketNo = 0;
const unix = (path: string): ConnectionSpec => ({ kind: 'unix', socketPath: path, display: `unix://${path}` });

/** A raw server: `answer` writes whatever bytes it likes for each request head it reads. */
async function rawServer(answer: (socket: Socket, request: string, n: number) => void): Promise<{ path: string; connections: () => number }> {
  const path = join(dir, `raw-${socketNo++}.sock`);
  let connections = 0;
  let requests = 0;
  const server = createNetServer((socket) => {
    connections++;
    let buf = '';
    socket.on('data', (d) => {
      buf += d.toString('latin1');
      let end: number;
      while ((end = buf.indexOf('\r\n\r\n')) >= 0) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        answer(socket, head, requests++);
      }
    });
    socket.on('error', () => undefined);
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(path, r));
  return { path, connections: () => connections };
}

function pool(spec: ConnectionSpec, connections = 4, keepAliveTimeoutMs = 10_000): Http1Pool {
  const p = new Http1Pool(spec, { connections, keepAliveTimeoutMs, userAgent: 'dockstream-test' });
  pools.push(p);
  return p;
}

const get = (p: Http1Pool, path = '/x', timeoutMs = 2000, signal?: AbortSignal) => p.request('GET', path, { timeoutMs, signal });

describe('http1 client: framing', () => {
  const body = JSON.stringify({ read: '2026-11-23T10:00:00Z', cpu_stats: { cpu_usage: { total_usage: 123456789 } }, pad: 'x'.repeat(3000) });

  it('reads Content-Length, chunked (extensions, trailers) and close-delimited bodies, whole or one byte at a time', async () => {
    const chunked = (s: string) => {
      const a = s.slice(0, 1000);
      const b = s.slice(1000);
      return `${a.length.toString(16)};ext=1\r\n${a}\r\n${b.length.toString(16).toUpperCase()}\r\n${b}\r\n0\r\nX-Trailer: t\r\n\r\n`;
    };
    const responses: Record<string, string> = {
      length: `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
      chunked: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(body)}`,
      'chunked-no-trailer': `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`,
      close: `HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${body}`,
    };
    for (const bytewise of [false, true]) {
      const srv = await rawServer((socket, head) => {
        const kind = head.split(' ')[1]?.slice(1) ?? '';
        const text = responses[kind] as string;
        const done = () => (kind === 'close' ? socket.end() : undefined);
        if (!bytewise) {
          socket.write(text, 'latin1', done);
          return;
        }
        // One byte per write, a few at a time, so framing is split everywhere.
        let i = 0;
        const next = () => {
          if (i >= text.length) return done();
          socket.write(text.slice(i, i + 1), 'latin1');
          i++;
          if (i % 64 === 0) setImmediate(next);
          else next();
        };
        next();
      });
      const p = pool(unix(srv.path));
      for (const kind of Object.keys(responses)) {
        const res = await get(p, `/${kind}`);
        expect({ kind, bytewise, status: res.status, body: res.body.toString('latin1') }).toEqual({ kind, bytewise, status: 200, body });
      }
      expect((await get(p, '/length')).headers['content-type']).toBe('application/json');
    }
  });

  it('gives no body for HEAD, 204 and 304, and keeps the connection', async () => {
    const srv = await rawServer((socket, head) => {
      if (head.startsWith('HEAD')) socket.write('HTTP/1.1 200 OK\r\nContent-Length: 42\r\n\r\n');
      else if (head.includes('/204')) socket.write('HTTP/1.1 204 No Content\r\n\r\n');
      else socket.write('HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n');
    });
    const p = pool(unix(srv.path), 1);
    const head = await p.request('HEAD', '/x', { timeoutMs: 2000 });
    expect([head.status, head.body.length, head.headers['content-length']]).toEqual([200, 0, '42']);
    expect([(await get(p, '/204')).status, (await get(p, '/304')).status]).toEqual([204, 304]);
    expect(srv.connections()).toBe(1);
  });

  it('skips an interim 100 Continue, lower-cases names and keeps a repeated header as a list', async () => {
    const srv = await rawServer((socket) => {
      socket.write('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nVia: a\r\nVia: b\r\nContent-Length: 2\r\n\r\nOK');
    });
    const res = await get(pool(unix(srv.path)));
    expect(res.status).toBe(200);
    expect(res.headers['api-version']).toBe('1.41');
    expect(res.headers['via']).toEqual(['a', 'b']);
    expect(res.body.toString()).toBe('OK');
  });

  it('refuses what is not HTTP/1.x framing with a protocol error', async () => {
    const cases: Record<string, string> = {
      garbage: 'SSH-2.0-OpenSSH_9.2\r\n\r\n',
      'bad-chunk': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n',
      'bad-length': 'HTTP/1.1 200 OK\r\nContent-Length: -3\r\n\r\n',
      'bad-header': 'HTTP/1.1 200 OK\r\nno colon here\r\n\r\n',
      'gzip-te': 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\nxx',
    };
    const srv = await rawServer((socket, head) => socket.write(cases[head.split(' ')[1]?.slice(1) ?? ''] ?? ''));
    const p = pool(unix(srv.path));
    for (const kind of Object.keys(cases)) {
      const err = await get(p, `/${kind}`).catch((e: unknown) => e);
      expect({ kind, err: err instanceof Http1ProtocolError }).toEqual({ kind, err: true });
    }
  });
});

describe('http1 client: connections', () => {
  it('reuses keep-alive connections and never opens more than the pool size', async () => {
    let open = 0;
    let maxOpen = 0;
    let inFlight = 0;
    let maxInFlight = 0;
    const path = join(dir, `http-${socketNo++}.sock`);
    const server = createHttpServer((req, res) => {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      setTimeout(() => {
        inFlight--;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ url: req.url, ua: req.headers['user-agent'], host: req.headers.host }));
      }, 20);
    });
    server.on('connection', (s) => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      s.on('close', () => open--);
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    const p = pool(unix(path), 3);
    const bodies = await Promise.all(Array.from({ length: 30 }, (_, i) => get(p, `/n/${i}`).then((r) => JSON.parse(r.body.toString()) as { url: string; ua: string; host: string })));
    expect(bodies.map((b) => b.url)).toEqual(Array.from({ length: 30 }, (_, i) => `/n/${i}`));
    expect(bodies[0]).toMatchObject({ ua: 'dockstream-test', host: 'localhost' });
    expect(maxOpen).toBe(3);
    expect(maxInFlight).toBe(3);
    // Sequential requests afterwards still ride the same three connections.
    for (let i = 0; i < 5; i++) await get(p);
    expect(open).toBe(3);
  });

  it('retries once on a fresh connection when a kept-alive one was closed by the daemon', async () => {
    // The second request lands on the kept-alive connection just as the daemon drops it (an idle-timeout race).
    const srv = await rawServer((socket, _head, n) => {
      if (n === 1) socket.destroy();
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
    });
    const p = pool(unix(srv.path), 1);
    expect((await get(p)).body.toString()).toBe('OK');
    expect((await get(p)).body.toString()).toBe('OK');
    expect(srv.connections()).toBe(2);
  });

  it('forgets a kept-alive connection the daemon closed while it was idle', async () => {
    const srv = await rawServer((socket) => {
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
      setTimeout(() => socket.destroy(), 30);
    });
    const p = pool(unix(srv.path), 1);
    expect((await get(p)).body.toString()).toBe('OK');
    await sleep(100);
    expect((await get(p)).body.toString()).toBe('OK');
    expect(srv.connections()).toBe(2);
  });

  it('does not retry a fresh connection, nor one that had begun to answer', async () => {
    const srv = await rawServer((socket, _head, n) => {
      if (n === 0) {
        socket.destroy();
        return;
      }
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial');
      setTimeout(() => socket.destroy(), 20);
    });
    const p = pool(unix(srv.path), 1);
    const messages = [];
    for (let i = 0; i < 2; i++) {
      const err = await get(p).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(Http1ConnectionError);
      messages.push((err as Error).message);
    }
    expect(messages).toEqual(['connection closed before a response', 'connection closed mid-response']);
    expect(srv.connections()).toBe(2);
  });

  it('closes idle connections after the keep-alive timeout', async () => {
    let open = 0;
    const srv = await rawServer((socket) => {
      open++;
      socket.on('close', () => open--);
      socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK');
    });
    const p = pool(unix(srv.path), 2, 150);
    await Promise.all([get(p), get(p)]);
    expect(open).toBe(2);
    await sleep(400);
    expect(open).toBe(0);
  });

  it('does not keep the process alive with idle connections', async () => {
    const srv = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nOK'));
    // A process that makes one request and never closes its pool (keep-alive 60 s) still exits at once.
    const script = `
      import { Http1Pool } from ${JSON.stringify(join(process.cwd(), 'src/docker/http1.ts'))};
      const p = new Http1Pool({ kind: 'unix', socketPath: ${JSON.stringify(srv.path)}, display: 'x' }, { connections: 2, keepAliveTimeoutMs: 60000, userAgent: 't' });
      const res = await p.request('GET', '/x', { timeoutMs: 5000 });
      console.log(res.body.toString());`;
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
    expect(out.trim()).toBe('OK');
    expect(performance.now() - t0).toBeLessThan(15_000);
  });

  it('times out a silent daemon, aborts on the signal, and frees the connection either way', async () => {
    const srv = await rawServer(() => undefined); // never answers
    const p = pool(unix(srv.path), 1);
    const t0 = performance.now();
    const timedOut = await get(p, '/x', 200).catch((e: unknown) => e);
    expect(timedOut).toBeInstanceOf(Http1TimeoutError);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(190);
    const ac = new AbortController();
    const pending = get(p, '/x', 10_000, ac.signal).catch((e: unknown) => e);
    setTimeout(() => ac.abort(), 50);
    const aborted = await pending;
    expect((aborted as Error).name).toBe('AbortError');
    // A request waiting for the one connection is aborted out of the queue too.
    const ac2 = new AbortController();
    const first = get(p, '/x', 300).catch((e: unknown) => e);
    const queued = get(p, '/x', 10_000, ac2.signal).catch((e: unknown) => e);
    ac2.abort();
    expect(((await queued) as Error).name).toBe('AbortError');
    expect(await first).toBeInstanceOf(Http1TimeoutError);
    expect(srv.connections()).toBe(3);
  });

  it('close() fails requests in flight and waiting, and refuses new ones', async () => {
    const srv = await rawServer(() => undefined);
    const p = pool(unix(srv.path), 1);
    const inFlight = get(p).catch((e: unknown) => e);
    const waiting = get(p).catch((e: unknown) => e);
    await sleep(50);
    p.close();
    expect(await inFlight).toBeInstanceOf(Http1ConnectionError);
    expect(await waiting).toBeInstanceOf(Http1ConnectionError);
    expect(await get(p).catch((e: unknown) => (e as Error).message)).toBe('client closed');
  });
});

describe('docker client over the http1 pool', () => {
  it('maps a timeout, a malformed answer and a refused connection to stable codes', async () => {
    const srv = await rawServer((socket, head) => {
      if (head.includes('/slow')) return;
      socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nnot-hex\r\n');
    });
    const c = new DockerClient(unix(srv.path), { timeoutMs: 200, log: nullLogger() });
    const codes = await Promise.all(['/slow', '/bad'].map((p) => c.request('GET', p).catch((e: unknown) => (e as DsError).code)));
    expect(codes).toEqual(['DOCKER_TIMEOUT', 'DOCKER_MALFORMED']);
    await c.close();
  });

  it('talks TLS to a daemon on TCP, and refuses a certificate it cannot verify', async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '2',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
    const server = createHttpsServer({ cert: readFileSync(join(dir, 'cert.pem')), key: readFileSync(join(dir, 'key.pem')) }, (req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.44' });
      res.end(req.url === '/_ping' ? 'OK' : JSON.stringify({ Version: '25.0.0', path: req.url }));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const host = `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const trusted = new DockerClient(resolveConnection({ host, tls: { verify: true, ca: join(dir, 'cert.pem') } }, {}), { timeoutMs: 2000, log: nullLogger() });
    expect(await trusted.negotiate()).toBe('1.44');
    expect(await trusted.getJson('/version')).toEqual({ Version: '25.0.0', path: '/v1.44/version' });
    await trusted.close();
    const untrusted = new DockerClient(resolveConnection({ host, tls: { verify: true } }, {}), { timeoutMs: 2000, log: nullLogger() });
    const err = (await untrusted.negotiate().catch((e: unknown) => e)) as DsError;
    expect(err.code).toBe('DOCKER_UNREACHABLE');
    expect(String((err.cause as Error).cause)).toMatch(/self-signed certificate/);
    await untrusted.close();
  });
});
