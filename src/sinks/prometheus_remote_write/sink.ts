import type { RequestOptions } from 'node:https';
import { describeError, isAbortError, SinkError } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { Sink, SinkContext } from '../../pipeline/types.js';
import type { DsRecord } from '../../records.js';
import { DeltaTotals, SeriesMapper } from '../prometheus/series.js';
import { encodeWriteRequest, toTimeSeries } from './encode.js';
import type { RemoteWriteOptions } from './options.js';
import { postWrite, requestSettings, retryAfterMs, type WriteResponse } from './transport.js';

/**
 * Pushes stats, disk usage and alert series to a remote-write receiver
 * (Prometheus with --web.enable-remote-write-receiver, Mimir, Thanos,
 * VictoriaMetrics). One request per batch; the pipeline owns retries:
 * 5xx, 429 and no answer are retryable (with Retry-After), other 4xx permanent.
 */
export class RemoteWriteSink implements Sink {
  readonly type = 'prometheus_remote_write';
  private readonly mapper: SeriesMapper;
  private readonly eventTotals = new DeltaTotals();
  private readonly url: URL;
  private readonly settings: { headers: Record<string, string>; tls: RequestOptions };
  private readonly log: Logger;
  private closed = false;

  constructor(
    readonly name: string,
    private readonly options: RemoteWriteOptions,
    ctx: SinkContext,
  ) {
    this.mapper = new SeriesMapper(options);
    this.url = new URL(options.endpoint);
    this.settings = requestSettings(options);
    this.log = ctx.log;
  }

  async start(_signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkError('prometheus_remote_write sink is closed', { retryable: false });
  }

  /** An empty write request: proves reachability, TLS and authentication without adding data. */
  async check(signal: AbortSignal): Promise<string> {
    await this.write(encodeWriteRequest([]), 0, signal);
    return `prometheus_remote_write ${this.url.origin}${this.url.pathname}: empty write accepted`;
  }

  async send(batch: readonly DsRecord[], signal: AbortSignal): Promise<void> {
    if (this.closed) throw new SinkError('prometheus_remote_write sink is closed', { retryable: false, details: { sink: this.name } });
    const { samples, commit } = this.eventTotals.totals(batch.flatMap((r) => this.mapper.samples(r)));
    const timeseries = toTimeSeries(samples);
    if (timeseries.length === 0) return;
    await this.write(encodeWriteRequest(timeseries), timeseries.length, signal);
    commit();
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private async write(body: Uint8Array, series: number, signal: AbortSignal): Promise<void> {
    let res: WriteResponse;
    try {
      res = await postWrite(this.url, body, this.settings, this.options.timeout, signal);
    } catch (cause) {
      if (isAbortError(cause) || signal.aborted) throw cause;
      throw new SinkError('prometheus_remote_write: no answer from the receiver', {
        retryable: true,
        cause,
        details: { endpoint: this.url.origin, err: describeError(cause) },
      });
    }
    if (res.status >= 200 && res.status < 300) return;
    const retryable = res.status === 429 || res.status >= 500;
    const err = new SinkError(`prometheus_remote_write: HTTP ${res.status}`, {
      retryable,
      retryAfterMs: retryable ? retryAfterMs(res.retryAfter) : undefined,
      details: { endpoint: `${this.url.origin}${this.url.pathname}`, status: res.status, body: res.body, series },
    });
    this.log.debug({ sink: this.name, status: res.status, retryable, series }, 'remote write refused');
    throw err;
  }
}
