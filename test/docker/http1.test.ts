import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createNetServer, type Server as NetServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerClient } from '../../src/docker/client.js';
import { resolveConnection, type ConnectionSpec } from '../../src/docker/host.js';
import { Http1ConnectionError, Http1ProtocolError, Http1TimeoutError } from '../../src/docker/http1/errors.js';
import { Http1Pool } from '../../src/docker/http1/pool.js';
import { openStream, type Http1Stream } from '../../src/docker/http1/stream.js';
import { type DsError } from '../../src/errors.js';
import { nullLogger } from '../../src/log.js';
import { sendJson, startFakeDaemon, type FakeDaemon } from '../harness/fake-daemon.js';
import { selfSignedCert } from '../harness/self-signed.js';

let dir: string;
const servers: (NetServer | HttpServer)[] = [];
const closers: FakeDaemon[] = [];
const pools: Http1Pool[] = [];

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'ds-http1-'));
});
afterEach(async () => {
  for (const p of pools.splice(0)) p.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  await Promise.all(closers.splice(0).map((d) => d.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let socketNo = 0;
const unix = (path: string): ConnectionSpec => ({ kind: 'unix', socketPath: path, display: `unix://${path}`, source: 'test' });

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

/** Everything an async iterable yields (Array.fromAsync is Node 22). */
async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
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
    const bodies = await Promise.all(
      Array.from({ length: 30 }, (_, i) => get(p, `/n/${i}`).then((r) => JSON.parse(r.body.toString()) as { url: string; ua: string; host: string })),
    );
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
      import { Http1Pool } from ${JSON.stringify(join(process.cwd(), 'src/docker/http1/pool.ts'))};
      const p = new Http1Pool({ kind: 'unix', socketPath: ${JSON.stringify(srv.path)}, display: 'x' }, { connections: 2, keepAliveTimeoutMs: 60000, userAgent: 't' });
      const res = await p.request('GET', '/x', { timeoutMs: 5000 });
      console.log(res.body.toString());`;
    const t0 = performance.now();
    const out = await new Promise<string>((resolve, reject) => {
      execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { timeout: 20_000 }, (err, stdout) =>
        err ? reject(new Error(err.message, { cause: err })) : resolve(stdout),
      );
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
    const pem = selfSignedCert(dir);
    const daemon = await startFakeDaemon({
      apiVersion: '1.44',
      tls: { cert: readFileSync(pem.cert), key: readFileSync(pem.key) },
      routes: {
        '/version': (req, res) => sendJson(res, { Version: '25.0.0', path: req.url }, '1.44'),
        '/events': (_req, res) => {
          res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': '1.44' });
          res.write('{"n":1}\n');
          setTimeout(() => res.end('{"n":2}\n'), 20);
        },
      },
    });
    closers.push(daemon);
    const { host } = daemon;
    const trusted = new DockerClient(resolveConnection({ host, tls: { verify: true, ca: pem.cert } }, {}), { timeoutMs: 2000, log: nullLogger() });
    expect(await trusted.negotiate()).toBe('1.44');
    expect(await trusted.getJson('/version')).toEqual({ Version: '25.0.0', path: '/v1.44/version' });
    const { lines } = await trusted.streamLines('/events');
    expect(await collect(lines)).toEqual(['{"n":1}', '{"n":2}']);
    await trusted.close();
    const untrusted = new DockerClient(resolveConnection({ host, tls: { verify: true } }, {}), { timeoutMs: 2000, log: nullLogger() });
    const err = (await untrusted.negotiate().catch((e: unknown) => e)) as DsError;
    expect(err.code).toBe('DOCKER_UNREACHABLE');
    expect(String((err.cause as Error).cause)).toMatch(/self-signed certificate/);
    await untrusted.close();
  });
});

describe('http1 client: streams', () => {
  const open = (path: string, opts: { headersTimeoutMs?: number; signal?: AbortSignal } = {}) =>
    openStream(unix(path), '/events', { headersTimeoutMs: opts.headersTimeoutMs ?? 2000, signal: opts.signal, userAgent: 'dockstream-test' });
  const text = async (s: Http1Stream) => Buffer.concat(await collect(s.body as AsyncIterable<Buffer>)).toString('utf8');
  const lines = Array.from({ length: 50 }, (_, i) => `{"status":"start","id":"c${i}","timeNano":${1_700_000_000_000_000_000 + i}}\n`).join('');

  it('hands on each part as it arrives, before the response ends', async () => {
    let sock: Socket | undefined;
    const srv = await rawServer((socket) => {
      sock = socket;
      socket.write('HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n{"n":1}\n\r\n');
    });
    const s = await open(srv.path);
    expect(s.status).toBe(200);
    expect(s.headers['content-type']).toBe('application/json');
    const reader = (s.body as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
    expect(String((await reader.next()).value)).toBe('{"n":1}\n'); // the daemon has not sent more yet
    sock?.write('8\r\n{"n":2}\n\r\n0\r\n\r\n');
    expect(String((await reader.next()).value)).toBe('{"n":2}\n');
    expect((await reader.next()).done).toBe(true);
    await sleep(20);
    expect(sock?.destroyed || sock?.readableEnded).toBe(true); // the connection went with the response
  });

  it('reads chunked, close-delimited and Content-Length bodies, whole or one byte at a time', async () => {
    const responses: Record<string, string> = {
      chunked: `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${(100).toString(16)};x=y\r\n${lines.slice(0, 100)}\r\n${(lines.length - 100).toString(16)}\r\n${lines.slice(100)}\r\n0\r\n\r\n`,
      close: `HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n${lines}`,
      length: `HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: ${lines.length}\r\n\r\n${lines}`,
    };
    for (const bytewise of [false, true]) {
      for (const [kind, response] of Object.entries(responses)) {
        const srv = await rawServer(
          (socket) =>
            void (async () => {
              if (!bytewise) socket.write(response);
              else for (const byte of Buffer.from(response)) await new Promise((r) => socket.write(Buffer.of(byte), r));
              if (kind === 'close') socket.end();
            })(),
        );
        expect(await text(await open(srv.path)), `${kind}${bytewise ? ' bytewise' : ''}`).toBe(lines);
      }
    }
  });

  it('pauses the connection while the reader falls behind, and loses nothing', async () => {
    const total = 8 * 1024 * 1024;
    const srv = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nContent-Length: ${total}\r\n\r\n`);
      socket.write(Buffer.alloc(total, 0x61));
    });
    const s = await open(srv.path);
    await sleep(500); // nobody reads meanwhile
    expect(s.body.readableLength).toBeLessThan(1024 * 1024); // the rest waits in the kernel and the server
    let received = 0;
    for await (const part of s.body) received += (part as Buffer).length;
    expect(received).toBe(total);
  });

  it('errors the body when the connection is cut mid-response, with no timeout while it stays open', async () => {
    const srv = await rawServer((socket) => {
      socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${(20).toString(16)}\r\n${'x'.repeat(20)}\r\n`);
      setTimeout(() => socket.destroy(), 400);
    });
    const s = await open(srv.path, { headersTimeoutMs: 100 }); // the head timeout does not apply to the body
    const err = await text(s).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Http1ConnectionError);
    expect((err as Error).message).toBe('connection closed mid-response');
  });

  it('times out a missing head unless told to wait, and refuses what is not HTTP', async () => {
    const slow = await rawServer((socket) => setTimeout(() => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok'), 300));
    const t0 = performance.now();
    expect(await open(slow.path, { headersTimeoutMs: 100 }).catch((e: unknown) => e)).toBeInstanceOf(Http1TimeoutError);
    expect(performance.now() - t0).toBeLessThan(290);
    expect(await text(await open(slow.path, { headersTimeoutMs: 0 }))).toBe('ok'); // Podman: the head comes with the first event
    const bad = await rawServer((socket) => socket.write('SSH-2.0-OpenSSH\r\n\r\n'));
    expect(await open(bad.path).catch((e: unknown) => e)).toBeInstanceOf(Http1ProtocolError);
    const badChunk = await rawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'));
    expect(await text(await open(badChunk.path)).catch((e: unknown) => e)).toBeInstanceOf(Http1ProtocolError);
  });

  it('aborts before and after the head, and closes the connection either way', async () => {
    let closed = 0;
    const srv = await rawServer((socket, head) => {
      socket.on('close', () => closed++);
      if (head.includes('events')) socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n');
    });
    const silent = await rawServer((socket) => socket.on('close', () => closed++));
    const before = new AbortController();
    const pending = open(silent.path, { signal: before.signal }).catch((e: unknown) => e);
    setTimeout(() => before.abort(), 50);
    expect(((await pending) as Error).name).toBe('AbortError');
    const after = new AbortController();
    const s = await open(srv.path, { signal: after.signal });
    setTimeout(() => after.abort(), 50);
    expect(((await text(s).catch((e: unknown) => e)) as Error).name).toBe('AbortError');
    const early = new AbortController();
    early.abort();
    expect(((await open(srv.path, { signal: early.signal }).catch((e: unknown) => e)) as Error).name).toBe('AbortError');
    await sleep(50);
    expect(closed).toBe(2);
  });

  it('closes the connection when the reader stops early', async () => {
    let closedAt = 0;
    const srv = await rawServer((socket) => {
      socket.on('close', () => (closedAt = performance.now()));
      socket.write(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${lines.length.toString(16)}\r\n${lines}\r\n`);
    });
    const s = await open(srv.path);
    for await (const part of s.body) {
      expect((part as Buffer).length).toBeGreaterThan(0);
      break;
    }
    await sleep(50);
    expect(closedAt).toBeGreaterThan(0);
  });
});

describe('docker client streams over http1', () => {
  it('gives lines, maps errors to stable codes, and close() ends open streams', async () => {
    const srv = await rawServer((socket, head) => {
      if (head.includes('/missing')) {
        const body = '{"message":"page not found"}';
        socket.write(`HTTP/1.1 404 Not Found\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      } else if (head.includes('/slow')) {
        // never answers
      } else {
        socket.write('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\ne\r\n{"a":1}\n{"b":"\r\n');
        setTimeout(() => socket.write('3\r\n2"}\r\n'), 20);
        setTimeout(() => socket.write('1\r\n\n\r\n'), 40); // the second line completes; the stream stays open
      }
    });
    const c = new DockerClient(unix(srv.path), { timeoutMs: 200, log: nullLogger() });
    const missing = (await c.streamLines('/missing').catch((e: unknown) => e)) as DsError;
    expect([missing.code, missing.message]).toEqual(['DOCKER_HTTP', expect.stringContaining('page not found')]);
    expect(((await c.streamLines('/slow').catch((e: unknown) => e)) as DsError).code).toBe('DOCKER_TIMEOUT');
    const { lines: open } = await c.streamLines('/events');
    expect((await open.next()).value).toBe('{"a":1}');
    expect((await open.next()).value).toBe('{"b":"2"}');
    const next = open.next().catch((e: unknown) => e);
    await c.close();
    expect(await next).toBeInstanceOf(Error); // cut, not a clean end
    expect(((await c.streamLines('/events').catch((e: unknown) => e)) as DsError).code).toBe('DOCKER_UNREACHABLE');
    const refused = new DockerClient(unix(join(dir, 'nobody.sock')), { timeoutMs: 200, log: nullLogger() });
    expect(((await refused.streamLines('/events').catch((e: unknown) => e)) as DsError).code).toBe('DOCKER_UNREACHABLE');
  });
});
