/**
 * A small HTTP/1.1 client for the Docker API: a keep-alive pool for the
 * buffered GETs, and one dedicated connection per stream (`/events`).
 *
 * Why not undici: a stats round is N small requests whose answers arrive one
 * per event-loop wake-up, and undici's per-request machinery (dispatcher
 * handlers, a Readable per body, WebAssembly parser calls) cost about three
 * times this client's CPU per request (bench/stats.mjs shows both); and
 * loading undici and its WebAssembly HTTP parser added ~30 MiB to the idle
 * agent's RSS (41 MiB bare Node, 60 with undici loaded, 73 after its first
 * request), a third of the agent's footprint, for the one stream it carried.
 *
 * Scope, on purpose narrow: GET and HEAD without a request body, one request
 * per connection at a time (no pipelining), responses framed by
 * Content-Length, chunked encoding or connection close. A stream's body is a
 * Readable that pauses the socket when its reader falls behind, with no
 * timeout once the head arrived (design gotchas 1 and 2).
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
import { Readable } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { TCP_KEEPALIVE_DELAY_MS, tlsConnectOptions, type ConnectionSpec } from './host.js';

export type ResponseHeaders = Record<string, string | string[] | undefined>;

export interface Http1Response {
  readonly status: number;
  /** Lower-case names; a repeated header becomes an array. */
  readonly headers: ResponseHeaders;
  readonly body: Buffer;
}

export interface Http1RequestOptions {
  /** The whole response (headers and body) must arrive within this. */
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

export interface Http1PoolOptions {
  readonly connections: number;
  /** How long an idle connection stays open for the next request. */
  readonly keepAliveTimeoutMs: number;
  readonly userAgent: string;
}

/** No complete response within the request's timeout. */
export class Http1TimeoutError extends Error {
  constructor() {
    super('no complete response within the timeout');
    this.name = 'Http1TimeoutError';
  }
}

/** The peer answered something that is not HTTP/1.x as we read it. */
export class Http1ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Http1ProtocolError';
  }
}

/** The connection failed or closed before the response was complete. */
export class Http1ConnectionError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'Http1ConnectionError';
  }
}

/** Longest response head we accept: Docker's are a few hundred bytes. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = 0x0d0a;

interface Job {
  readonly method: 'GET' | 'HEAD';
  readonly path: string;
  readonly signal: AbortSignal | undefined;
  readonly resolve: (res: Http1Response) => void;
  readonly reject: (err: unknown) => void;
  onAbort: (() => void) | null;
  timer: NodeJS.Timeout | null;
  conn: Connection | null;
  /** A reused connection that failed before answering gets one fresh try (GET and HEAD are idempotent). */
  retried: boolean;
  done: boolean;
}

type BodyFraming = 'length' | 'chunked' | 'close';
/** 'head': no body (HEAD, 204, 304, Content-Length 0) or not read yet. */
type Framing = 'head' | BodyFraming;

interface Head {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly keepAlive: boolean;
  readonly framing: Framing;
  /** Content-Length, when framed by it. */
  readonly length: number;
}

/** Parses a response head (without its blank line); null for an interim 1xx. */
function parseHead(head: string, method: 'GET' | 'HEAD'): Head | null {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new Http1ProtocolError('not an HTTP/1.x response');
  const status = Number(m[2]);
  if (status >= 100 && status < 200) return null;
  const headers: ResponseHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Http1ProtocolError('malformed response header');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const seen = headers[name];
    headers[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  const connection = String(headers['connection'] ?? '').toLowerCase();
  let keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  let framing: Framing;
  let length = 0;
  if (method === 'HEAD' || status === 204 || status === 304) {
    framing = 'head';
  } else if (te !== undefined) {
    if (!String(te).toLowerCase().endsWith('chunked')) throw new Http1ProtocolError('unsupported transfer-encoding');
    framing = 'chunked';
  } else if (cl !== undefined) {
    length = Array.isArray(cl) ? NaN : Number(cl);
    if (!Number.isSafeInteger(length) || length < 0) throw new Http1ProtocolError('invalid content-length');
    framing = length === 0 ? 'head' : 'length';
  } else {
    framing = 'close';
    keepAlive = false;
  }
  return { status, headers, keepAlive, framing, length };
}

/** Collects a response head across reads, skipping interim 1xx heads. */
class HeadReader {
  private pending: Buffer | null = null;

  constructor(private readonly method: 'GET' | 'HEAD') {}

  /** The head and the bytes after it, once complete; null while it is not. */
  read(chunk: Buffer): { head: Head; rest: Buffer } | null {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    for (;;) {
      const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) throw new Http1ProtocolError('response head too large');
        this.pending = buf;
        return null;
      }
      const head = parseHead(buf.toString('latin1', 0, end), this.method);
      buf = buf.subarray(end + 4);
      if (head !== null) return { head, rest: buf };
    }
  }
}

/**
 * A response body framed by Content-Length, chunked encoding (extensions
 * ignored, trailers skipped) or connection close, decoded as its bytes
 * arrive; each piece of content goes to `onPart`.
 */
class BodyDecoder {
  /** More bytes than Content-Length announced arrived: the connection cannot be reused. */
  overflow = false;
  private remaining: number;
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private pending: Buffer | null = null;

  constructor(
    readonly framing: BodyFraming,
    length: number,
    private readonly onPart: (part: Buffer) => void,
  ) {
    this.remaining = length;
  }

  /** Feeds bytes; true once the body is complete (never for a close-delimited one). */
  write(buf: Buffer): boolean {
    if (this.framing === 'length') {
      if (buf.length > this.remaining) {
        // More than announced: take what was announced.
        buf = buf.subarray(0, this.remaining);
        this.overflow = true;
      }
      if (buf.length > 0) this.onPart(buf);
      this.remaining -= buf.length;
      return this.remaining === 0;
    }
    if (this.framing === 'chunked') return this.chunked(buf);
    this.onPart(buf);
    return false;
  }

  private chunked(input: Buffer): boolean {
    const buf = this.pending ? Buffer.concat([this.pending, input]) : input;
    this.pending = null;
    let at = 0;
    for (;;) {
      if (this.chunkState === 'data') {
        const take = Math.min(this.remaining, buf.length - at);
        if (take > 0) this.onPart(buf.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining > 0) return false;
        this.chunkState = 'data-end';
      }
      if (buf.length - at < 2) break;
      if (this.chunkState === 'data-end') {
        if (buf.readUInt16BE(at) !== CRLF) throw new Http1ProtocolError('malformed chunked body');
        at += 2;
        this.chunkState = 'size';
        continue;
      }
      if (this.chunkState === 'trailer') {
        // Either CRLF at once (no trailers) or trailer lines ending in an empty line.
        if (buf.readUInt16BE(at) === CRLF) return true;
        if (buf.indexOf('\r\n\r\n', at, 'latin1') < 0) break;
        return true;
      }
      const nl = buf.indexOf('\r\n', at, 'latin1');
      if (nl < 0) {
        if (buf.length - at > 1024) throw new Http1ProtocolError('malformed chunk size');
        break;
      }
      const line = buf.toString('latin1', at, nl);
      const semi = line.indexOf(';');
      const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
      const size = /^[0-9a-fA-F]{1,12}$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(size)) throw new Http1ProtocolError('malformed chunk size');
      at = nl + 2;
      if (size === 0) this.chunkState = 'trailer';
      else {
        this.remaining = size;
        this.chunkState = 'data';
      }
    }
    if (at < buf.length) this.pending = buf.subarray(at);
    return false;
  }
}

/** Opens a connection to the daemon: unix socket, TCP, or TLS over TCP. */
function socketFactory(spec: ConnectionSpec): { connect: () => Socket; hostHeader: string } {
  if (spec.kind === 'unix') return { connect: () => netConnect({ path: spec.socketPath }), hostHeader: 'localhost' };
  const url = new URL(spec.origin);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const port = Number(url.port || (spec.tls ? 2376 : 2375));
  const tls = spec.tls;
  const keepAlive = (s: Socket): Socket => s.setNoDelay(true).setKeepAlive(true, TCP_KEEPALIVE_DELAY_MS);
  if (!tls) return { connect: () => keepAlive(netConnect({ host, port })), hostHeader: url.host };
  const options = { host, port, ...(isIP(host) ? {} : { servername: host }), ...tlsConnectOptions(tls) };
  return { connect: () => keepAlive(tlsConnect(options)), hostHeader: url.host };
}

/** A bounded set of keep-alive connections; requests beyond it wait in order. */
export class Http1Pool {
  private readonly connectSocket: () => Socket;
  private readonly hostHeader: string;
  private readonly opts: Http1PoolOptions;
  private readonly idle: Connection[] = [];
  private readonly waiting: Job[] = [];
  private readonly conns = new Set<Connection>();
  private closed = false;

  constructor(spec: ConnectionSpec, opts: Http1PoolOptions) {
    const { connect, hostHeader } = socketFactory(spec);
    this.connectSocket = connect;
    this.hostHeader = hostHeader;
    this.opts = opts;
  }

  request(method: 'GET' | 'HEAD', path: string, opts: Http1RequestOptions): Promise<Http1Response> {
    return new Promise<Http1Response>((resolve, reject) => {
      if (opts.signal?.aborted) {
        reject(abortError());
        return;
      }
      if (this.closed) {
        reject(new Http1ConnectionError('client closed'));
        return;
      }
      const job: Job = { method, path, signal: opts.signal, resolve, reject, onAbort: null, timer: null, conn: null, retried: false, done: false };
      job.timer = setTimeout(() => this.fail(job, new Http1TimeoutError()), opts.timeoutMs);
      if (opts.signal) {
        job.onAbort = () => this.fail(job, abortError());
        opts.signal.addEventListener('abort', job.onAbort, { once: true });
      }
      this.dispatch(job);
    });
  }

  /** Closes every connection; requests in flight or waiting fail. */
  close(): void {
    this.closed = true;
    for (const job of this.waiting.splice(0)) this.fail(job, new Http1ConnectionError('client closed'));
    this.idle.length = 0;
    for (const conn of this.conns) conn.destroy();
  }

  private dispatch(job: Job): void {
    const conn = this.idle.pop();
    if (conn) {
      conn.start(job);
    } else if (this.conns.size < this.opts.connections) {
      const fresh = new Connection(this, this.connectSocket(), this.hostHeader, this.opts);
      this.conns.add(fresh);
      fresh.start(job);
    } else {
      this.waiting.push(job);
    }
  }

  /** A request finished on `conn`: settle it, then reuse or close the connection. */
  complete(job: Job, res: Http1Response, conn: Connection, reusable: boolean): void {
    this.settle(job);
    job.resolve(res);
    if (!reusable || this.closed) {
      conn.destroy();
      return;
    }
    const next = this.waiting.shift();
    if (next) conn.start(next);
    else {
      conn.park();
      this.idle.push(conn);
    }
  }

  /** `conn` is gone (closed by either side). Its job, if any, fails or gets its one retry. */
  lost(conn: Connection, job: Job | null, err: Error, answered: boolean): void {
    this.conns.delete(conn);
    const at = this.idle.indexOf(conn);
    if (at >= 0) this.idle.splice(at, 1);
    if (job && !job.done) {
      job.conn = null;
      if (conn.reused && !answered && !job.retried && !this.closed) {
        job.retried = true;
        this.dispatch(job);
      } else {
        this.fail(job, err);
      }
    }
    const next = this.closed ? undefined : this.waiting.shift();
    if (next) this.dispatch(next);
  }

  fail(job: Job, err: unknown): void {
    if (job.done) return;
    this.settle(job);
    const at = this.waiting.indexOf(job);
    if (at >= 0) this.waiting.splice(at, 1);
    job.conn?.destroy();
    job.reject(err);
  }

  private settle(job: Job): void {
    job.done = true;
    if (job.timer) clearTimeout(job.timer);
    if (job.onAbort) job.signal?.removeEventListener('abort', job.onAbort);
  }
}

/** One socket and the parser state of the response it is reading. */
class Connection {
  private readonly pool: Http1Pool;
  private readonly socket: Socket;
  private readonly hostHeader: string;
  private readonly opts: Http1PoolOptions;
  private job: Job | null = null;
  private idleTimer: NodeJS.Timeout | null = null;
  private gone = false;
  /** Whether this connection already served a request (a stale keep-alive may fail the next one). */
  reused = false;
  private answered = false;
  private error: Error | null = null;

  // The response being read: its head (null until complete), its body.
  private headReader: HeadReader | null = null;
  private head: Head | null = null;
  private decoder: BodyDecoder | null = null;
  private parts: Buffer[] = [];
  private size = 0;

  constructor(pool: Http1Pool, socket: Socket, hostHeader: string, opts: Http1PoolOptions) {
    this.pool = pool;
    this.socket = socket;
    this.hostHeader = hostHeader;
    this.opts = opts;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('error', (err) => {
      this.error ??= err;
    });
    socket.on('close', () => this.onClose());
  }

  start(job: Job): void {
    if (this.idleTimer) {
      clearTimeout(this.idleTimer);
      this.idleTimer = null;
    }
    this.job = job;
    job.conn = this;
    if (this.reused) this.socket.ref();
    this.answered = false;
    this.headReader = new HeadReader(job.method);
    this.head = null;
    this.decoder = null;
    this.parts = [];
    this.size = 0;
    this.socket.write(requestHead(job.method, job.path, this.hostHeader, this.opts.userAgent), 'latin1');
  }

  /** Idle in the pool until the keep-alive timeout; an idle connection does not keep the process alive. */
  park(): void {
    this.reused = true;
    this.socket.unref();
    this.idleTimer = setTimeout(() => this.destroy(), this.opts.keepAliveTimeoutMs);
    this.idleTimer.unref();
  }

  destroy(): void {
    this.socket.destroy();
  }

  private onClose(): void {
    if (this.gone) return;
    this.gone = true;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    const job = this.job;
    this.job = null;
    // A close-delimited body ends here.
    if (job && !job.done && this.decoder?.framing === 'close' && !this.error) {
      this.pool.complete(job, this.response(), this, false);
      this.pool.lost(this, null, new Http1ConnectionError('closed'), true);
      return;
    }
    const err = new Http1ConnectionError(this.answered ? 'connection closed mid-response' : 'connection closed before a response', this.error ?? undefined);
    this.pool.lost(this, job, err, this.answered);
  }

  private onData(chunk: Buffer): void {
    const job = this.job;
    if (!job || job.done) {
      // Bytes nobody asked for: this connection cannot be trusted any more.
      this.destroy();
      return;
    }
    this.answered = true;
    try {
      if (this.head === null) {
        const taken = (this.headReader as HeadReader).read(chunk);
        if (taken === null) return;
        this.head = taken.head;
        if (taken.head.framing === 'head') {
          this.finish(job, taken.head.keepAlive);
          return;
        }
        this.decoder = new BodyDecoder(taken.head.framing, taken.head.length, (part) => this.push(part));
        chunk = taken.rest;
        if (chunk.length === 0) return;
      }
      const decoder = this.decoder as BodyDecoder;
      if (decoder.write(chunk)) this.finish(job, this.head.keepAlive && !decoder.overflow);
    } catch (err) {
      this.pool.fail(job, err);
    }
  }

  private push(part: Buffer): void {
    this.parts.push(part);
    this.size += part.length;
  }

  private response(): Http1Response {
    const body = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size);
    this.parts = [];
    const head = this.head as Head;
    return { status: head.status, headers: head.headers, body };
  }

  private finish(job: Job, reusable: boolean): void {
    this.job = null;
    job.conn = null;
    this.pool.complete(job, this.response(), this, reusable);
  }
}

function requestHead(method: 'GET' | 'HEAD', path: string, hostHeader: string, userAgent: string): string {
  return `${method} ${path} HTTP/1.1\r\nHost: ${hostHeader}\r\nUser-Agent: ${userAgent}\r\n\r\n`;
}

/** A streamed response: its body is read as it arrives, with no timeout. */
export interface Http1Stream {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Ends with the response; errors when the connection is cut or the signal fires. Destroy it to close the connection. */
  readonly body: Readable;
}

export interface Http1StreamOptions {
  /** The response head must arrive within this; 0: wait as long as it takes (Podman sends it with the first event). */
  readonly headersTimeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly userAgent: string;
}

/** Bytes a stream's body buffers before the socket is paused. */
const STREAM_HIGH_WATER_MARK = 64 * 1024;

/**
 * GET `path` on a connection of its own, for a long-lived response such as
 * `/events`. Resolves once the head arrived; the connection closes when the
 * body ends or is destroyed.
 */
export function openStream(spec: ConnectionSpec, path: string, opts: Http1StreamOptions): Promise<Http1Stream> {
  return new Promise<Http1Stream>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(abortError());
      return;
    }
    const { connect, hostHeader } = socketFactory(spec);
    const socket = connect();
    const headReader = new HeadReader('GET');
    let body: Readable | null = null;
    let decoder: BodyDecoder | null = null;
    let ended = false;
    let socketError: Error | undefined;
    const timer = opts.headersTimeoutMs > 0 ? setTimeout(() => fail(new Http1TimeoutError()), opts.headersTimeoutMs) : null;
    const onAbort = (): void => fail(abortError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): void => {
      if (ended) return;
      ended = true;
      cleanup();
      socket.destroy();
      if (body === null) reject(err);
      else body.destroy(err as Error);
    };
    const end = (): void => {
      if (ended) return;
      ended = true;
      cleanup();
      (body as Readable).push(null);
      socket.destroy();
    };
    socket.on('error', (err) => {
      socketError ??= err;
    });
    socket.on('close', () => {
      if (decoder?.framing === 'close' && socketError === undefined) end();
      else fail(new Http1ConnectionError(body === null ? 'connection closed before a response' : 'connection closed mid-response', socketError));
    });
    socket.on('data', (chunk: Buffer) => {
      if (ended) return;
      try {
        if (body === null) {
          const taken = headReader.read(chunk);
          if (taken === null) return;
          if (timer) clearTimeout(timer);
          const stream = new Readable({
            highWaterMark: STREAM_HIGH_WATER_MARK,
            read: () => {
              socket.resume();
            },
            destroy: (err, callback) => {
              // The reader is done with it (or it failed): the connection goes too.
              ended = true;
              cleanup();
              socket.destroy();
              callback(err);
            },
          });
          // Errors reach the reader through its reads; one before the first read must not go uncaught.
          stream.on('error', () => undefined);
          body = stream;
          resolve({ status: taken.head.status, headers: taken.head.headers, body: stream });
          if (taken.head.framing === 'head') {
            end();
            return;
          }
          decoder = new BodyDecoder(taken.head.framing, taken.head.length, (part) => {
            if (!stream.push(part)) socket.pause();
          });
          chunk = taken.rest;
          if (chunk.length === 0) return;
        }
        if ((decoder as BodyDecoder).write(chunk)) end();
      } catch (err) {
        fail(err);
      }
    });
    socket.write(requestHead('GET', path, hostHeader, opts.userAgent), 'latin1');
  });
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}
