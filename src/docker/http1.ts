/**
 * A small keep-alive HTTP/1.1 client for the Docker API's buffered GETs.
 *
 * Why not undici for these: a stats round is N small requests whose answers
 * arrive one per event-loop wake-up, and undici's per-request machinery
 * (dispatcher handlers, a Readable per body, WebAssembly parser calls) cost
 * about three times this client's CPU per request (bench/stats.mjs shows
 * both). Streams (`/events`) stay on undici, which handles backpressure.
 *
 * Scope, on purpose narrow: GET and HEAD without a request body, one request
 * per connection at a time (no pipelining), responses framed by
 * Content-Length, chunked encoding or connection close.
 */
import { connect as netConnect, isIP, type Socket } from 'node:net';
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

type Framing = 'head' | 'length' | 'chunked' | 'close';

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

  // The response being read.
  private framing: Framing = 'head';
  private pending: Buffer | null = null;
  private status = 0;
  private headers: ResponseHeaders = {};
  private keepAlive = true;
  private remaining = 0;
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
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
    this.framing = 'head';
    this.pending = null;
    this.parts = [];
    this.size = 0;
    this.socket.write(`${job.method} ${job.path} HTTP/1.1\r\nHost: ${this.hostHeader}\r\nUser-Agent: ${this.opts.userAgent}\r\n\r\n`, 'latin1');
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
    if (job && !job.done && this.framing === 'close' && !this.error) {
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
      if (this.framing === 'head') {
        const buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
        this.pending = null;
        const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
        if (end < 0) {
          if (buf.length > MAX_HEAD_BYTES) throw new Http1ProtocolError('response head too large');
          this.pending = buf;
          return;
        }
        if (!this.readHead(buf.toString('latin1', 0, end), job)) {
          // 1xx: an interim answer; the real head follows.
          if (buf.length > end + 4) this.onData(buf.subarray(end + 4));
          return;
        }
        if (this.framing === 'head') {
          this.finish(job);
          return;
        }
        if (buf.length > end + 4) this.body(buf.subarray(end + 4), job);
        return;
      }
      this.body(chunk, job);
    } catch (err) {
      this.keepAlive = false;
      this.pool.fail(job, err);
    }
  }

  /** Parses the head; false for an interim 1xx. Sets the body framing ('head' when there is no body). */
  private readHead(head: string, job: Job): boolean {
    const lines = head.split('\r\n');
    const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
    if (!m) throw new Http1ProtocolError('not an HTTP/1.x response');
    const status = Number(m[2]);
    if (status >= 100 && status < 200) return false;
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
    this.status = status;
    this.headers = headers;
    const connection = String(headers['connection'] ?? '').toLowerCase();
    this.keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
    const te = headers['transfer-encoding'];
    const cl = headers['content-length'];
    if (job.method === 'HEAD' || status === 204 || status === 304) {
      this.framing = 'head';
    } else if (te !== undefined) {
      if (!String(te).toLowerCase().endsWith('chunked')) throw new Http1ProtocolError('unsupported transfer-encoding');
      this.framing = 'chunked';
      this.chunkState = 'size';
    } else if (cl !== undefined) {
      const length = Array.isArray(cl) ? NaN : Number(cl);
      if (!Number.isSafeInteger(length) || length < 0) throw new Http1ProtocolError('invalid content-length');
      this.remaining = length;
      this.framing = length === 0 ? 'head' : 'length';
    } else {
      this.framing = 'close';
      this.keepAlive = false;
    }
    return true;
  }

  private body(buf: Buffer, job: Job): void {
    if (this.framing === 'length') {
      if (buf.length > this.remaining) {
        // More than announced: take what was announced, never reuse this connection.
        buf = buf.subarray(0, this.remaining);
        this.keepAlive = false;
      }
      this.push(buf);
      this.remaining -= buf.length;
      if (this.remaining === 0) this.finish(job);
    } else if (this.framing === 'chunked') {
      this.chunked(buf, job);
    } else {
      this.push(buf);
    }
  }

  /** Chunked framing: size line (extensions ignored), data, CRLF; a zero size ends it, then optional trailers. */
  private chunked(input: Buffer, job: Job): void {
    let buf = this.pending ? Buffer.concat([this.pending, input]) : input;
    this.pending = null;
    let at = 0;
    for (;;) {
      if (this.chunkState === 'data') {
        const take = Math.min(this.remaining, buf.length - at);
        if (take > 0) this.push(buf.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining > 0) return;
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
        if (buf.readUInt16BE(at) === CRLF) {
          this.finish(job);
          return;
        }
        const end = buf.indexOf('\r\n\r\n', at, 'latin1');
        if (end < 0) break;
        this.finish(job);
        return;
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
  }

  private push(part: Buffer): void {
    this.parts.push(part);
    this.size += part.length;
  }

  private response(): Http1Response {
    const body = this.parts.length === 1 ? (this.parts[0] as Buffer) : Buffer.concat(this.parts, this.size);
    this.parts = [];
    return { status: this.status, headers: this.headers, body };
  }

  private finish(job: Job): void {
    this.job = null;
    job.conn = null;
    this.pool.complete(job, this.response(), this, this.keepAlive);
  }
}

function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}
