import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { DsError } from '../errors.js';
import type { Logger } from '../log.js';
import { formatListen, type ListenAddress } from './listen.js';
import type { Readiness } from './readiness.js';

export interface TelemetryHandlers {
  /** Read on every scrape (a reload may swap it). */
  registry(): Registry;
  readiness(): Readiness;
}

/**
 * The self-telemetry endpoint: `GET /metrics` (Prometheus text format, from
 * prom-client), `GET /healthz` (200 while the process serves requests) and
 * `GET /readyz` (200 when ready, else 503 with the reasons). HEAD works
 * like GET; nothing else is served.
 */
export class TelemetryServer {
  private readonly server: Server;
  private readonly handlers: TelemetryHandlers;
  private readonly log: Logger;
  private bound: ListenAddress | null = null;
  private closed: Promise<void> | null = null;

  private constructor(handlers: TelemetryHandlers, log: Logger) {
    this.handlers = handlers;
    this.log = log;
    this.server = createServer((req, res) => void this.handle(req, res));
    // Scrapers are short requests; do not let a stuck client hold a socket for long.
    this.server.requestTimeout = 10_000;
    this.server.headersTimeout = 5_000;
  }

  /** Listens on `address`; rejects with a TELEMETRY_LISTEN DsError (e.g. port in use). */
  static async listen(address: ListenAddress, handlers: TelemetryHandlers, log: Logger): Promise<TelemetryServer> {
    const t = new TelemetryServer(handlers, log);
    await new Promise<void>((resolve, reject) => {
      const onError = (err: NodeJS.ErrnoException): void => {
        reject(
          new DsError(
            'TELEMETRY_LISTEN',
            `telemetry endpoint cannot listen on ${formatListen(address)}${err.code === 'EADDRINUSE' ? ' (address in use)' : ''}`,
            {
              cause: err,
              details: { listen: formatListen(address), code: err.code },
            },
          ),
        );
      };
      t.server.once('error', onError);
      t.server.listen(address.port, address.host, () => {
        t.server.off('error', onError);
        resolve();
      });
    });
    t.server.on('error', (err) => log.warn({ err }, 'telemetry server error'));
    // The agent's own work keeps the process alive; the endpoint alone must not (e.g. after a fatal error).
    t.server.unref();
    const a = t.server.address() as AddressInfo;
    t.bound = { host: a.address, port: a.port };
    return t;
  }

  /** The address actually bound (the real port when configured with port 0). */
  get address(): ListenAddress {
    if (!this.bound) throw new Error('telemetry server is not listening');
    return this.bound;
  }

  /** `http://host:port/path` of this server, for tests and logs. */
  url(path = '/'): string {
    return `http://${formatListen(this.address)}${path}`;
  }

  /** Stops listening and drops idle keep-alive connections. Idempotent. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeIdleConnections();
      // In-flight scrapes get a moment; then everything goes.
      setTimeout(() => this.server.closeAllConnections(), 1000).unref();
    });
    return this.closed;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    const route = path === '/metrics' || path === '/healthz' || path === '/readyz' ? path : null;
    if (route === null) return this.send(req, res, 404, 'application/json', json({ error: 'not found', endpoints: ['/metrics', '/healthz', '/readyz'] }));
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return this.send(req, res, 405, 'application/json', json({ error: 'method not allowed' }));
    }
    try {
      switch (route) {
        case '/metrics': {
          const registry = this.handlers.registry();
          const body = specNaN(await registry.metrics());
          return this.send(req, res, 200, registry.contentType, body);
        }
        case '/healthz':
          return this.send(req, res, 200, 'application/json', json({ status: 'ok' }));
        case '/readyz': {
          const r = this.handlers.readiness();
          return r.ready
            ? this.send(req, res, 200, 'application/json', json({ status: 'ready' }))
            : this.send(req, res, 503, 'application/json', json({ status: 'unready', reasons: r.reasons }));
        }
      }
    } catch (err) {
      this.log.warn({ path: route, err }, 'telemetry request failed');
      return this.send(req, res, 500, 'application/json', json({ error: 'internal error' }));
    }
  }

  private send(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string): void {
    res.writeHead(status, {
      'Content-Type': contentType,
      'Content-Length': Buffer.byteLength(body),
      'Cache-Control': 'no-store',
    });
    res.end(req.method === 'HEAD' ? undefined : body);
  }
}

function json(value: unknown): string {
  return JSON.stringify(value) + '\n';
}

/**
 * prom-client writes NaN as "Nan" (e.g. event loop lag scraped twice within
 * one monitoring interval); the exposition format spells it "NaN".
 */
export function specNaN(body: string): string {
  return body.includes(' Nan') ? body.replace(/ Nan$/gm, ' NaN') : body;
}
