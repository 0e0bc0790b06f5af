// src/docker/http1/ (pool and parser) against Node's own HTTP parser, and against bad bytes.
//
// Differential: fast-check builds valid HTTP/1.1 responses (status, headers,
// a body framed by Content-Length, chunked encoding with random chunk sizes
// and extensions, or connection close) and a random chunking of their bytes.
// A raw unix-socket server writes exactly those chunks, one per event-loop
// turn, to our Http1Pool and to node:http's client; both must read the same
// status, headers and body.
//
// Fuzz: random and mutated responses must end, within the request timeout,
// in a response or one of our three coded errors — never a crash or a hang.
// fast-check runs a fixed number of cases, bounded in time.
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectionSpec } from '../../src/docker/host.js';
import { Http1ConnectionError, Http1ProtocolError, Http1TimeoutError } from '../../src/docker/http1/errors.js';
import type { ResponseHeaders } from '../../src/docker/http1/parser.js';
import { Http1Pool } from '../../src/docker/http1/pool.js';

let dir: string;
let server: Server;
let socketPath: string;
/** What the server answers to the next connection: chunks of bytes, then (optionally) close. */
let script: { chunks: Buffer[]; close: boolean } = { chunks: [], close: true };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ds-http1-fuzz-'));
  socketPath = join(dir, 'raw.sock');
  server = createServer((socket: Socket) => {
    const { chunks, close } = script;
    let head = '';
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      if (head.includes('\r\n\r\n')) return;
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      void (async () => {
        for (const c of chunks) {
          if (socket.destroyed) return;
          socket.write(c);
          await nextTurn();
        }
        if (close) socket.end();
      })();
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
});
afterAll(async () => {
  await new Promise((r) => server.close(r));
  rmSync(dir, { recursive: true, force: true });
});

const spec = (): ConnectionSpec => ({ kind: 'unix', socketPath, display: `unix://${socketPath}`, source: 'test' });
const FUZZ = { numRuns: 300, interruptAfterTimeLimit: 30_000, markInterruptAsFailure: false } as const;

/** Splits `bytes` at the given cut points (sorted, deduplicated, within range). */
function chunked(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Buffer[] = [];
  let prev = 0;
  for (const c of [...at, bytes.length]) {
    if (c > prev) out.push(bytes.subarray(prev, c));
    prev = Math.max(prev, c);
  }
  return out;
}

async function ours(): Promise<{ status: number; headers: ResponseHeaders; body: Buffer }> {
  const pool = new Http1Pool(spec(), { connections: 1, keepAliveTimeoutMs: 100, userAgent: 'fuzz' });
  try {
    return await pool.request('GET', '/x', { timeoutMs: 5000 });
  } finally {
    pool.close();
  }
}

function nodes(): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ socketPath, path: '/x', agent: false }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (d: Buffer) => parts.push(d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(parts) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/);
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
const RESERVED = new Set(['content-length', 'transfer-encoding', 'connection', 'keep-alive', 'date', 'set-cookie', 'host', 'upgrade', 'trailer']);

const validResponse = fc.record({
  status: fc.constantFrom(200, 201, 202, 400, 404, 409, 500, 503),
  headers: fc
    .uniqueArray(fc.tuple(token, headerValue), { maxLength: 8, selector: ([n]) => n.toLowerCase() })
    .map((hs) => hs.filter(([n]) => !RESERVED.has(n.toLowerCase()))),
  body: fc.uint8Array({ maxLength: 3000 }).map((b) => Buffer.from(b)),
  framing: fc.constantFrom('length', 'chunked', 'close'),
  chunkSizes: fc.array(fc.integer({ min: 1, max: 700 }), { minLength: 1, maxLength: 10 }),
  extensions: fc.boolean(),
  upperHex: fc.boolean(),
  interim: fc.boolean(),
  cuts: fc.array(fc.nat(), { maxLength: 40 }),
});
type Valid = typeof validResponse extends fc.Arbitrary<infer T> ? T : never;

function encode(r: Valid): Buffer {
  const head = [`HTTP/1.1 ${r.status} Whatever`, ...r.headers.map(([n, v]) => `${n}: ${v}`)];
  let body = r.body;
  if (r.framing === 'length') head.push(`Content-Length: ${r.body.length}`);
  if (r.framing === 'close') head.push('Connection: close');
  if (r.framing === 'chunked') {
    head.push('Transfer-Encoding: chunked');
    const parts: Buffer[] = [];
    let at = 0;
    for (let i = 0; at < r.body.length; i++) {
      const n = Math.min(r.chunkSizes[i % r.chunkSizes.length] as number, r.body.length - at);
      const hex = r.upperHex ? n.toString(16).toUpperCase() : n.toString(16);
      parts.push(Buffer.from(`${hex}${r.extensions ? ';ext=1' : ''}\r\n`), r.body.subarray(at, at + n), Buffer.from('\r\n'));
      at += n;
    }
    parts.push(Buffer.from('0\r\n\r\n'));
    body = Buffer.concat(parts);
  }
  const interim = r.interim ? 'HTTP/1.1 100 Continue\r\n\r\n' : '';
  return Buffer.concat([Buffer.from(`${interim}${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

describe('http1 client', () => {
  it('reads what node:http reads, for any valid response in any chunking', async () => {
    let runs = 0;
    await fc.assert(
      fc.asyncProperty(validResponse, async (r) => {
        const bytes = encode(r);
        script = { chunks: chunked(bytes, r.cuts), close: true };
        runs++;
        const mine = await ours();
        const theirs = await nodes();
        expect(mine.status).toBe(theirs.status);
        expect(mine.body.equals(theirs.body)).toBe(true);
        expect(mine.body.equals(r.body)).toBe(true);
        for (const [n] of r.headers) expect([n, mine.headers[n.toLowerCase()]]).toEqual([n, theirs.headers[n.toLowerCase()]]);
        expect(Object.keys(mine.headers).sort()).toEqual(Object.keys(theirs.headers).sort());
      }),
      FUZZ,
    );
    console.log(`[http1 differential] ${runs} responses compared`);
    expect(runs).toBeGreaterThan(0);
  }, 120_000);

  it('ends every random or mutated response in a response or a coded error, within its timeout', async () => {
    let runs = 0;
    const mutation = fc.oneof(
      fc.record({ at: fc.nat(), kind: fc.constant('flip' as const), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ at: fc.nat(), kind: fc.constant('delete' as const), byte: fc.constant(0) }),
      fc.record({ at: fc.nat(), kind: fc.constant('insert' as const), byte: fc.integer({ min: 0, max: 255 }) }),
      fc.record({ at: fc.nat(), kind: fc.constant('truncate' as const), byte: fc.constant(0) }),
    );
    const input = fc.oneof(
      fc.uint8Array({ maxLength: 2000 }).map((b) => Buffer.from(b)),
      fc.tuple(validResponse, fc.array(mutation, { minLength: 1, maxLength: 6 })).map(([r, ms]) => {
        let b = encode(r);
        for (const m of ms) {
          const at = b.length === 0 ? 0 : m.at % b.length;
          if (m.kind === 'flip') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at + 1)]);
          else if (m.kind === 'delete') b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1)]);
          else if (m.kind === 'insert') b = Buffer.concat([b.subarray(0, at), Buffer.from([m.byte]), b.subarray(at)]);
          else b = b.subarray(0, at);
        }
        return b;
      }),
    );
    await fc.assert(
      fc.asyncProperty(input, fc.array(fc.nat(), { maxLength: 20 }), fc.boolean(), async (bytes, cuts, close) => {
        script = { chunks: chunked(bytes, cuts), close };
        const pool = new Http1Pool(spec(), { connections: 1, keepAliveTimeoutMs: 100, userAgent: 'fuzz' });
        try {
          const outcome = await pool.request('GET', '/x', { timeoutMs: 200 }).then(
            (res) => ({ res, err: null }),
            (err: unknown) => ({ res: null, err }),
          );
          runs++;
          if (outcome.res === null) {
            expect(
              [Http1ProtocolError, Http1ConnectionError, Http1TimeoutError].some((E) => outcome.err instanceof E),
              String(outcome.err),
            ).toBe(true);
          } else {
            expect(outcome.res.status).toBeGreaterThanOrEqual(200);
            expect(outcome.res.status).toBeLessThan(1000);
          }
        } finally {
          pool.close();
        }
      }),
      { ...FUZZ, numRuns: 150 },
    );
    expect(runs).toBeGreaterThan(0);
  }, 120_000);
});
