import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SinkError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Sink, SinkContext } from '../../pipeline/types.js';
import { componentName, type DsRecord } from '../../records.js';
import type { SelfMetrics } from '../../telemetry/metrics.js';
import { formatListen, parseListen, type ListenAddress } from '../../telemetry/listen.js';
import { STATS_METRICS } from '../otlp/catalog.js';
import { familyNames, SeriesMapper } from '../prometheus/series.js';
import { Exposition } from './exposition.js';
import type { PrometheusExporterOptions } from './options.js';
import { SeriesStore } from './store.js';

/**
 * A stopped container (die) has no current stats: its stats series end. Its
 * container_state series (status exited, restarts, OOM kills) stay: that is
 * what a rule on a stopped container looks at, and no new container_state
 * record may come to put them back (the record saying `exited` can pass
 * before the die event). They end when the container goes (destroy, or a
 * container_state record saying removed).
 */
const STATS_FAMILIES: ReadonlySet<string> = familyNames(Object.values(STATS_METRICS));

/**
 * Serves the latest value of every stats, disk usage and alert series for
 * Prometheus to scrape. `send` updates the store (and so resolves at once);
 * a container's die event removes its stats series, its destroy event all
 * of its series.
 */
export class PrometheusExporterSink implements Sink {
  readonly type = 'prometheus_exporter';
  private readonly mapper: SeriesMapper;
  private readonly store: SeriesStore;
  private readonly exposition: Exposition;
  private readonly log: Logger;
  private readonly metrics: SelfMetrics;
  private server: Server | null = null;
  private bound: ListenAddress | null = null;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly options: PrometheusExporterOptions,
    ctx: SinkContext,
  ) {
    this.mapper = new SeriesMapper(options);
    this.store = new SeriesStore(options.max_series, options.expire_after);
    this.exposition = new Exposition(this.store);
    this.log = ctx.log;
    this.metrics = ctx.metrics;
  }

  /** The address actually bound (the real port when configured with port 0). */
  get address(): ListenAddress | null {
    return this.bound;
  }

  get seriesCount(): number {
    return this.store.size;
  }

  async start(_signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkError('prometheus_exporter sink is closed', { retryable: false });
    if (this.server) return;
    const address = parseListen(this.options.listen);
    const server = createServer((req, res) => void this.handle(req, res));
    server.requestTimeout = 10_000;
    server.headersTimeout = 5_000;
    await this.listen(server, address.port, address.host);
    server.on('error', (err) => this.log.warn({ sink: this.name, err }, 'prometheus_exporter server error'));
    server.unref();
    const a = server.address() as AddressInfo;
    this.bound = { host: a.address, port: a.port };
    this.server = server;
    this.log.info({ sink: this.name, listen: formatListen(this.bound), path: this.options.path }, 'prometheus_exporter listening');
  }

  async check(_signal: AbortSignal): Promise<string> {
    const address = parseListen(this.options.listen);
    if (this.server === null) {
      // The port may be held by the running agent itself: probe only that this host can listen on the address.
      const probe = createServer();
      await this.listen(probe, 0, address.host);
      await new Promise<void>((resolve) => probe.close(() => resolve()));
    }
    return `prometheus_exporter: would serve http://${formatListen(address)}${this.options.path}`;
  }

  async send(batch: readonly DsRecord[], signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkError('prometheus_exporter sink is closed', { retryable: false, details: { sink: this.name } });
    signal.throwIfAborted();
    const now = Date.now();
    const dropped = new Map<string, number>();
    for (const record of batch) {
      if (record.kind === 'event' && record.type === 'container') {
        if (record.action === 'destroy') this.store.removeContainer(record.actor.id);
        else if (record.action === 'die') this.store.removeContainer(record.actor.id, STATS_FAMILIES);
      }
      if (record.kind === 'container_state' && record.state === 'removed') this.store.removeContainer(record.container.id);
      for (const sample of this.mapper.samples(record)) {
        if (!this.store.put(sample, now)) dropped.set(record.kind, (dropped.get(record.kind) ?? 0) + 1);
      }
    }
    for (const [kind, n] of dropped) this.metrics.countDropped(componentName('sink', this.name), kind, 'max_series', n);
    if (dropped.size > 0)
      this.log.debug({ sink: this.name, max_series: this.options.max_series }, 'prometheus_exporter series bound reached; new series dropped');
    this.store.expire(now);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const server = this.server;
    this.server = null;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeIdleConnections();
      setTimeout(() => server.closeAllConnections(), 1000).unref();
    });
  }

  /** Listens, or rejects with the error start() and check() report (port in use, address not of this host). */
  private listen(server: Server, port: number, host: string): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new SinkError('prometheus_exporter cannot listen', { retryable: true, cause: err, details: { listen: this.options.listen, code: err.code } })),
      );
      server.listen(port, host, () => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path !== this.options.path) return reply(req, res, 404, 'text/plain', 'not found\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      return reply(req, res, 405, 'text/plain', 'method not allowed\n');
    }
    try {
      this.store.expire(Date.now());
      const { contentType, body } = await this.exposition.render(req.headers.accept);
      return reply(req, res, 200, contentType, body);
    } catch (err) {
      this.log.warn({ sink: this.name, err }, 'prometheus_exporter scrape failed');
      return reply(req, res, 500, 'text/plain', 'internal error\n');
    }
  }
}

function reply(req: IncomingMessage, res: ServerResponse, status: number, contentType: string, body: string): void {
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
  res.end(req.method === 'HEAD' ? undefined : body);
}
