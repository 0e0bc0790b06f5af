import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type EventsHandler = (req: IncomingMessage, res: ServerResponse, connection: number, url: URL) => void;

export interface StandinDaemon {
  readonly socketPath: string;
  readonly host: string;
  /** `/events` requests seen, with their query strings. */
  readonly eventRequests: URL[];
  close(): Promise<void>;
}

/**
 * A Docker API stand-in on a unix socket, for inputs a real dockerd never
 * sends (malformed lines, truncated chunks): `/_ping`, `/version`, `/info`,
 * `/containers/json`, and `/events` answered by `onEvents`. With `engine:
 * 'podman'` it answers like `podman system service` 4.3: Libpod headers on
 * `/_ping` and a new random `/info` ID on every call.
 */
export async function startStandin(onEvents: EventsHandler, apiVersion = '1.41', engine: 'docker' | 'podman' = 'docker'): Promise<StandinDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'ds-standin-'));
  const socketPath = join(dir, 'docker.sock');
  const eventRequests: URL[] = [];
  let streams = 0;
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = url.pathname.replace(/^\/v1\.\d+/, '');
    const json = (body: unknown) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': apiVersion });
      res.end(JSON.stringify(body));
    };
    if (path === '/_ping') {
      const libpod = engine === 'podman' ? { 'Libpod-Api-Version': '4.3.1', Server: 'Libpod/4.3.1 (linux)' } : {};
      res.writeHead(200, { 'Api-Version': apiVersion, 'Content-Type': 'text/plain', ...libpod });
      res.end('OK');
    } else if (path === '/version') json({ Version: engine === 'podman' ? '4.3.1' : '20.10.99-standin', ApiVersion: apiVersion, MinAPIVersion: '1.12' });
    else if (path === '/info') json({ Name: 'standin', ID: engine === 'podman' ? randomUUID() : 'STANDIN:ID', SystemTime: new Date().toISOString() });
    else if (path === '/containers/json') json([]);
    else if (path === '/events') {
      eventRequests.push(url);
      onEvents(req, res, url.searchParams.has('until') ? -1 : streams++, url);
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end('{"message":"not found"}');
    }
  });
  await new Promise<void>((r) => server.listen(socketPath, r));
  return {
    socketPath,
    host: `unix://${socketPath}`,
    eventRequests,
    async close() {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** One event line as dockerd writes it, with `timeNano` digits exact. */
export function eventLine(id: string, action: string, timeNano: bigint): string {
  const sec = timeNano / 1_000_000_000n;
  return `{"Type":"container","Action":"${action}","Actor":{"ID":"${id}","Attributes":{"name":"${id}","image":"img"}},"scope":"local","time":${sec},"timeNano":${timeNano}}\n`;
}
