/**
 * A tiny stand-in for dockerd on a unix socket in a temp dir: answers `/_ping`,
 * `/version` and `/info` like a daemon of the given API version and hands
 * `/system/df` to the test. Used where a real daemon cannot be made to answer
 * what the test needs (slow answers, crafted numbers for the CLI to format).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface StandInDaemon {
  readonly socketPath: string;
  readonly host: string;
  /** Paths (with query) of every `/system/df` request, in order. */
  readonly dfRequests: string[];
  close(): Promise<void>;
}

export type DfHandler = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export async function startStandInDaemon(apiVersion: string, onDf: DfHandler): Promise<StandInDaemon> {
  const dir = mkdtempSync(join(tmpdir(), 'dfstub-'));
  const socketPath = join(dir, 'docker.sock');
  const dfRequests: string[] = [];
  const json = (res: ServerResponse, body: unknown): void => {
    res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': apiVersion });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req, res) => {
    const url = req.url ?? '/';
    const path = url.replace(/^\/v\d+\.\d+/, '').split('?')[0];
    if (path === '/_ping') {
      res.writeHead(200, { 'Api-Version': apiVersion, 'Content-Type': 'text/plain' });
      res.end(req.method === 'HEAD' ? undefined : 'OK');
    } else if (path === '/version') {
      json(res, { Version: 'stand-in', ApiVersion: apiVersion, MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64' });
    } else if (path === '/info') {
      json(res, { ID: 'STAND-IN', Name: 'stand-in' });
    } else if (path === '/system/df') {
      dfRequests.push(url);
      onDf(req, res, dfRequests.length);
    } else {
      res.writeHead(404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ message: `page not found: ${url}` }));
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, resolve);
  });
  return {
    socketPath,
    host: `unix://${socketPath}`,
    dfRequests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Answers `/system/df` with this JSON body. */
export function sendJson(res: ServerResponse, body: unknown, apiVersion = '1.41'): void {
  res.writeHead(200, { 'Content-Type': 'application/json', 'Api-Version': apiVersion });
  res.end(JSON.stringify(body));
}
