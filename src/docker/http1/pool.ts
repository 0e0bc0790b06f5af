/**
 * The keep-alive pool for the Docker API's buffered GETs and HEADs: a bounded
 * set of connections, one request per connection at a time (no pipelining),
 * requests beyond it waiting in order. Streams (`/events`) do not come here:
 * they get a connection of their own (stream.ts).
 *
 * Why not undici: a stats round is N small requests whose answers arrive one
 * per event-loop wake-up, and undici's per-request machinery (dispatcher
 * handlers, a Readable per body, WebAssembly parser calls) cost about three
 * times this client's CPU per request (bench/stats.mjs shows both); and
 * loading undici and its WebAssembly HTTP parser added ~30 MiB to the idle
 * agent's RSS (41 MiB bare Node, 60 with undici loaded, 73 after its first
 * request), a third of the agent's footprint, for the one stream it carried.
 */
import type { Socket } from 'node:net';
import type { ConnectionSpec } from '../host.js';
import { requestHead, socketFactory } from './connect.js';
import { abortError, Http1ConnectionError, Http1TimeoutError } from './errors.js';
import { BodyDecoder, HeadReader, type Head, type ResponseHeaders } from './parser.js';

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
