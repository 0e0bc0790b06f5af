import type { Readable } from 'node:stream';
import { DockerHttpError, DsError } from '../errors.js';
import type { Logger } from '../log.js';
import type { Engine, HostInfo } from '../records.js';
import type { ConnectionSpec } from './host.js';
import { Http1ProtocolError, Http1TimeoutError } from './http1/errors.js';
import { Http1Pool } from './http1/pool.js';
import { openStream, type Http1Stream } from './http1/stream.js';
import { splitLines } from './ndjson.js';
import { rfc3339ToNanos } from '../util/units.js';
import { negotiateApiVersion } from './negotiate.js';
import { VERSION } from '../version.js';

export { MAX_API_VERSION, MIN_API_VERSION, compareApiVersions } from './negotiate.js';

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export interface RequestOptions {
  readonly query?: Query;
  readonly signal?: AbortSignal;
  /** Overrides the client's default request timeout (ms). */
  readonly timeoutMs?: number;
}

export interface DockerClientOptions {
  readonly timeoutMs: number;
  /** Pinned API version ("1.44"); negotiated when absent. */
  readonly apiVersion?: string | undefined;
  readonly log: Logger;
  /** Max parallel requests (stats rounds fan out). */
  readonly connections?: number;
  /** The configured name of this daemon (`local`, or a key of `daemons:`), stamped on records as `host.daemon`. */
  readonly daemon?: string;
  /** How long idle pooled connections stay open (default 4 s). Polling sources keep theirs across ticks. */
  readonly keepAliveTimeoutMs?: number;
}

const READ_ONLY_METHODS = new Set(['GET', 'HEAD']);

/**
 * A read-only Docker Engine API client over http1/. Buffered requests share
 * a pool of keep-alive connections; every stream gets a connection of its own
 * (design gotcha 1) with no body timeout (gotcha 2).
 */
export class DockerClient {
  readonly connection: ConnectionSpec;
  private readonly opts: DockerClientOptions;
  private readonly pool: Http1Pool;
  /** Bodies of the open streams, destroyed by close(). */
  private readonly streams = new Set<Readable>();
  private version: string | null = null;
  private versionNote: string | null = null;
  private engineKind: Engine = 'docker';
  private closed = false;
  private readonly userAgent = `dockstream/${VERSION}`;

  constructor(connection: ConnectionSpec, opts: DockerClientOptions) {
    this.connection = connection;
    this.opts = opts;
    this.pool = new Http1Pool(connection, {
      connections: opts.connections ?? 16,
      keepAliveTimeoutMs: opts.keepAliveTimeoutMs ?? 4_000,
      userAgent: this.userAgent,
    });
  }

  /** The configured name of this daemon (`local` unless named under `daemons:`). */
  get daemonName(): string {
    return this.opts.daemon ?? 'local';
  }

  /** Negotiated version ("1.41"), or null before `negotiate`. */
  get apiVersion(): string | null {
    return this.version;
  }

  get engine(): Engine {
    return this.engineKind;
  }

  /** Why the negotiated version is not simply the daemon's (an engine newer than us), or null. */
  get apiVersionNote(): string | null {
    return this.versionNote;
  }

  /**
   * Ask the daemon its API range (`/version`: MinAPIVersion, ApiVersion) and
   * pick min(daemon, ours); a pinned version outside either range throws
   * CONFIG_INVALID naming both (negotiate.ts).
   */
  async negotiate(signal?: AbortSignal): Promise<string> {
    const opts = { versioned: false, ...(signal ? { signal } : {}) };
    const ping = await this.raw('GET', '/_ping', opts);
    const server = String(ping.headers['server'] ?? '');
    this.engineKind = ping.headers['libpod-api-version'] !== undefined || /libpod/i.test(server) ? 'podman' : 'docker';
    const v = await this.raw('GET', '/version', opts);
    let body: { ApiVersion?: string; MinAPIVersion?: string };
    try {
      body = JSON.parse(v.body.toString('utf8')) as typeof body;
    } catch (err) {
      throw new DsError('DOCKER_MALFORMED', 'daemon sent invalid JSON', { cause: err, details: { path: '/version' } });
    }
    const max = body.ApiVersion ?? (ping.headers['api-version'] as string | undefined);
    if (!max) throw new DsError('DOCKER_MALFORMED', 'daemon did not report an API version', { details: { host: this.connection.display } });
    const chosen = negotiateApiVersion({ max, min: body.MinAPIVersion }, this.opts.apiVersion);
    this.version = chosen.version;
    this.versionNote = chosen.note ?? null;
    this.opts.log.debug(
      { apiVersion: this.version, daemonMax: max, daemonMin: body.MinAPIVersion, engine: this.engineKind, host: this.connection.display },
      'docker api negotiated',
    );
    return this.version;
  }

  /** Daemon identity for the record envelope, from `/info` and `/version`. */
  async identity(signal?: AbortSignal): Promise<HostInfo> {
    return (await this.describe(signal)).host;
  }

  /** Identity plus the daemon's clock (`/info` SystemTime as nanoseconds), for `since`/`until` in daemon time. */
  async describe(signal?: AbortSignal): Promise<{ host: HostInfo; systemTimeNano: string | null }> {
    const opts = signal ? { signal } : {};
    const [info, version] = await Promise.all([
      this.getJson<{ Name?: string; ID?: string; SystemTime?: string }>('/info', opts),
      this.getJson<{ Version?: string; ApiVersion?: string }>('/version', opts),
    ]);
    return {
      host: {
        name: info.Name ?? '',
        daemon: this.daemonName,
        daemon_id: info.ID ?? '',
        engine: this.engineKind,
        version: version.Version ?? '',
        api_version: this.version ?? version.ApiVersion ?? '',
      },
      systemTimeNano: info.SystemTime ? rfc3339ToNanos(info.SystemTime) : null,
    };
  }

  /** GET a JSON document; non-2xx throws DockerHttpError with the daemon's message. */
  async getJson<T>(path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.request('GET', path, opts);
    try {
      return JSON.parse(res.body.toString('utf8')) as T;
    } catch (err) {
      throw new DsError('DOCKER_MALFORMED', 'daemon sent invalid JSON', { cause: err, details: { path } });
    }
  }

  /** A versioned request. Only GET and HEAD: the socket is root-equivalent. */
  async request(
    method: string,
    path: string,
    opts: RequestOptions = {},
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    const res = await this.raw(method, path, { ...opts, versioned: true });
    if (res.status >= 400) throw new DockerHttpError(res.status, path, daemonMessage(res.body));
    return res;
  }

  /**
   * Open a line stream (e.g. `/events`) on a dedicated connection. Resolves once
   * the daemon answered with headers; the returned iterator ends when the daemon
   * closes the stream and throws when it is cut.
   */
  async streamLines(
    path: string,
    opts: RequestOptions & { onTruncated?: (partial: string) => void } = {},
  ): Promise<{ headers: Record<string, string | string[] | undefined>; lines: AsyncGenerator<string> }> {
    this.assertReadOnly('GET');
    if (this.closed) throw new DsError('DOCKER_UNREACHABLE', 'docker client closed', { details: { path } });
    let res: Http1Stream;
    try {
      res = await openStream(this.connection, this.url(path, opts.query, true), {
        headersTimeoutMs: opts.timeoutMs ?? this.opts.timeoutMs,
        signal: opts.signal,
        userAgent: this.userAgent,
      });
    } catch (err) {
      throw this.wrapTransportError(err, path);
    }
    const body = res.body;
    this.streams.add(body);
    const release = (): void => {
      this.streams.delete(body);
      body.destroy();
    };
    this.logRequest('GET', path, res.status, 0);
    if (res.status >= 400) {
      const parts: Buffer[] = [];
      try {
        for await (const part of body) parts.push(part as Buffer);
      } catch (err) {
        throw this.wrapTransportError(err, path);
      } finally {
        release();
      }
      throw new DockerHttpError(res.status, path, daemonMessage(Buffer.concat(parts)));
    }
    const display = this.connection.display;
    const lines = (async function* () {
      try {
        yield* splitLines(body, opts.onTruncated);
      } catch (err) {
        // Cut mid-stream (daemon stopped, connection reset): a coded error like every other daemon failure.
        if (err instanceof DsError || (err instanceof Error && err.name === 'AbortError')) throw err;
        throw new DsError('DOCKER_UNREACHABLE', `docker stream ${path} from ${display} was cut`, { cause: err, details: { path } });
      } finally {
        release();
      }
    })();
    return { headers: res.headers, lines };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const body of this.streams) body.destroy();
    this.streams.clear();
    this.pool.close();
  }

  private async raw(
    method: string,
    path: string,
    opts: RequestOptions & { versioned: boolean },
  ): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
    this.assertReadOnly(method);
    const timeout = opts.timeoutMs ?? this.opts.timeoutMs;
    const started = this.opts.log.isLevelEnabled('debug') ? performance.now() : 0;
    try {
      const res = await this.pool.request(method.toUpperCase() as 'GET' | 'HEAD', this.url(path, opts.query, opts.versioned), {
        timeoutMs: timeout,
        signal: opts.signal,
      });
      if (started) this.logRequest(method, path, res.status, performance.now() - started);
      return res;
    } catch (err) {
      throw this.wrapTransportError(err, path);
    }
  }

  private assertReadOnly(method: string): void {
    if (!READ_ONLY_METHODS.has(method.toUpperCase())) {
      throw new DsError('DOCKER_METHOD_REFUSED', 'refusing a non-read-only request to the docker daemon', { details: { method } });
    }
  }

  private url(path: string, query: Query | undefined, versioned: boolean): string {
    const url = versioned && this.version ? `/v${this.version}${path}` : path;
    if (!query) return url;
    const qs = queryString(query);
    return qs ? `${url}?${qs}` : url;
  }

  private wrapTransportError(err: unknown, path: string): Error {
    if (err instanceof DsError) return err;
    if (err instanceof Error && err.name === 'AbortError') return err;
    if (err instanceof Http1TimeoutError) {
      return new DsError('DOCKER_TIMEOUT', 'docker request timed out', { cause: err, details: { path } });
    }
    if (err instanceof Http1ProtocolError) return new DsError('DOCKER_MALFORMED', 'daemon sent a malformed HTTP response', { cause: err, details: { path } });
    return new DsError('DOCKER_UNREACHABLE', `cannot reach docker daemon at ${this.connection.display}`, { cause: err, details: { path } });
  }

  private logRequest(method: string, path: string, status: number, ms: number): void {
    this.opts.log.debug({ method, path, status, ms: Math.round(ms) }, 'docker request');
  }
}

/** Encoded query strings of query objects: a stats round passes the same constant one N times. */
const queryStrings = new WeakMap<Query, string>();

function queryString(query: Query): string {
  let qs = queryStrings.get(query);
  if (qs === undefined) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(query)) if (v !== undefined) params.set(k, String(v));
    qs = params.toString();
    // Only frozen queries are cached: a caller may mutate its own object between calls.
    if (Object.isFrozen(query)) queryStrings.set(query, qs);
  }
  return qs;
}

function daemonMessage(body: Buffer): string {
  const text = body.toString('utf8').trim();
  try {
    const parsed = JSON.parse(text) as { message?: string };
    return parsed.message ?? text;
  } catch {
    return text;
  }
}
