/**
 * The one fake Docker daemon of the tests, for answers a real engine cannot be
 * made to give (malformed lines, truncated chunks, slow or crafted bodies, an
 * API version from the future). On a unix socket in a temp dir, or over HTTPS
 * on 127.0.0.1 with `tls`. It answers `/_ping` (GET and HEAD), `/version`,
 * `/info` and `/containers/json` like a daemon of `apiVersion`; with `engine:
 * 'podman'` like `podman system service` 4.3 (Libpod headers on `/_ping`, a
 * new random `/info` ID on every call). Any path (without its `/vX.Y` prefix)
 * can be given a route of its own; the rest is dockerd's 404.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Answers one request; `n` counts the requests to this route so far, this one included (1, 2, ...). */
export type Route = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface FakeDaemonOptions {
  /** The API version it speaks (`Api-Version` header, `/version`). Default 1.41. */
  readonly apiVersion?: string;
  readonly minApiVersion?: string;
  readonly engine?: 'docker' | 'podman';
  /** `Version` of `/version`. */
  readonly version?: string;
  /** Routes by path without the version prefix (`/events`, `/system/df`, or a built-in one to override it). */
  readonly routes?: Readonly<Record<string, Route>>;
  /** Serve HTTPS on 127.0.0.1 (host `tcp://127.0.0.1:<port>`) with this certificate instead of a unix socket. */
  readonly tls?: { readonly cert: Buffer; readonly key: Buffer };
}

export interface FakeDaemon {
  /** `unix:///…/docker.sock`, or `tcp://127.0.0.1:<port>` with `tls`. */
  readonly host: string;
  /** The unix socket (undefined with `tls`). */
  readonly socketPath: string | undefined;
  /** Every request as `METHOD /url`, as sent (version prefix and query included). */
  readonly requests: readonly string[];
  /** The requests to `path` (without the version prefix), in order. */
  requestsTo(path: string): URL[];
  close(): Promise<void>;
}

/** `/info` of every fake daemon (Podman's ID is new on every call). */
export const FAKE_NAME = 'fake-daemon';
export const FAKE_ID = 'FAKE:DAEMON:ID';

/** Answers with this JSON body, as the daemon does. */
export function sendJson(res: ServerResponse, body: unknown, apiVersion = '1.41'): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': apiVersion });
  res.end(JSON.stringify(body));
}

export async function startFakeDaemon(options: FakeDaemonOptions = {}): Promise<FakeDaemon> {
  const { apiVersion = '1.41', minApiVersion = '1.12', engine = 'docker', routes = {}, tls } = options;
  const podman = engine === 'podman';
  const version = options.version ?? (podman ? '4.3.1' : '20.10.99-fake');
  const builtIn: Record<string, Route> = {
    '/_ping': (req, res) => {
      const libpod = podman ? { 'Libpod-Api-Version': version, Server: `Libpod/${version} (linux)` } : {};
      res.writeHead(200, { 'Api-Version': apiVersion, 'Content-Type': 'text/plain', ...libpod });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
    },
    '/version': (_req, res) =>
      sendJson(res, { Version: version, ApiVersion: apiVersion, MinAPIVersion: minApiVersion, Os: 'linux', Arch: 'amd64' }, apiVersion),
    '/info': (_req, res) => sendJson(res, { Name: FAKE_NAME, ID: podman ? randomUUID() : FAKE_ID, SystemTime: new Date().toISOString() }, apiVersion),
    '/containers/json': (_req, res) => sendJson(res, [], apiVersion),
  };
  const requests: string[] = [];
  const seen: { path: string; url: URL }[] = [];
  const counts = new Map<string, number>();
  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
    requests.push(`${req.method} ${req.url}`);
    seen.push({ path, url });
    const route = routes[path] ?? builtIn[path];
    if (!route) {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: 'page not found' }));
      return;
    }
    const n = (counts.get(path) ?? 0) + 1;
    counts.set(path, n);
    route(req, res, n);
  };

  const dir = tls ? undefined : mkdtempSync(join(tmpdir(), 'ds-fake-daemon-'));
  const socketPath = dir && join(dir, 'docker.sock');
  const server: Server = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, handle) : createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (socketPath) server.listen(socketPath, resolve);
    else server.listen(0, '127.0.0.1', resolve);
  });
  return {
    host: socketPath ? `unix://${socketPath}` : `tcp://127.0.0.1:${(server.address() as AddressInfo).port}`,
    socketPath,
    requests,
    requestsTo: (path) => seen.filter((r) => r.path === path).map((r) => r.url),
    async close() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      if (dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

export type EventsHandler = (req: IncomingMessage, res: ServerResponse, connection: number, url: URL) => void;

/**
 * An `/events` route numbering the streams: `connection` is 0, 1, ... per
 * stream, and -1 for a bounded query (`until`: the resume check).
 */
export function eventsRoute(onEvents: EventsHandler): Route {
  let streams = 0;
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    onEvents(req, res, url.searchParams.has('until') ? -1 : streams++, url);
  };
}

/** One event line as dockerd writes it, with `timeNano` digits exact. */
export function eventLine(id: string, action: string, timeNano: bigint): string {
  const sec = timeNano / 1_000_000_000n;
  return `{"Type":"container","Action":"${action}","Actor":{"ID":"${id}","Attributes":{"name":"${id}","image":"img"}},"scope":"local","time":${sec},"timeNano":${timeNano}}\n`;
}
