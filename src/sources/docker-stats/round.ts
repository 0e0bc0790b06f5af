/**
 * One stats round: every tracked container sampled once, concurrently
 * (bounded), so that N containers cost about one daemon collection tick
 * instead of N (the daemon answers all subscribers of a tick together).
 */
import type { DockerClient } from '../../docker/client.js';
import { DockerHttpError, errorCode, isAbortError } from '../../errors.js';
import type { SourceContext } from '../../pipeline/types.js';
import type { StatsRecord } from '../../records.js';
import { forEachLimit } from '../../util/limit.js';
import type { ContainerSet, Tracked } from './container-set.js';
import { cpuSampleOf, normalize } from './normalize.js';
import { parseStatsBody, type RawStats } from './raw.js';

export interface RoundResult {
  readonly sampled: number;
  /** Containers that were gone (404) or stopped (zero sample): dropped quietly. */
  readonly vanished: number;
  readonly failed: number;
  readonly firstError: unknown;
}

export interface RoundOptions {
  readonly source: string;
  readonly concurrency: number;
  readonly timeoutMs: number;
  /** False for the priming round of `once`: samples only update the previous-sample state. */
  readonly emit: boolean;
  /** The source's own signal (follows ctx.signal), sized for `concurrency` listeners. */
  readonly signal: AbortSignal;
}

const STATS_QUERY = Object.freeze({ stream: false, 'one-shot': true } as const);

/**
 * `stream=false&one-shot=true`: one sample, no priming second sample (that
 * would double the daemon's work and take ~2 s). A kept-alive connection the
 * daemon closed meanwhile is retried by the client's pool (http1/pool.ts).
 */
async function fetchStats(client: DockerClient, id: string, opts: RoundOptions): Promise<string> {
  const path = `/containers/${encodeURIComponent(id)}/stats`;
  return (await client.request('GET', path, { query: STATS_QUERY, signal: opts.signal, timeoutMs: opts.timeoutMs })).body.toString('utf8');
}

export async function statsRound(ctx: SourceContext, client: DockerClient, set: ContainerSet, opts: RoundOptions): Promise<RoundResult> {
  let sampled = 0;
  let vanished = 0;
  let failed = 0;
  let firstError: unknown;
  // Emitted together when the round ends: the sinks then take one batch per
  // round, not one write per sample as the answers trickle in.
  const records: StatsRecord[] = [];
  const sampleOne = async ([id, tracked]: [string, Tracked]): Promise<void> => {
    const gone = (msg: string): void => {
      set.remove(id);
      vanished++;
      ctx.log.debug({ source: opts.source, container: id }, msg);
    };
    if (opts.signal.aborted) return;
    let body: string;
    try {
      body = await fetchStats(client, id, opts);
    } catch (err) {
      if (opts.signal.aborted || isAbortError(err)) return;
      if ((err instanceof DockerHttpError && err.status === 404) || !set.has(id)) {
        // Removed between the container list and this call (or by an event mid-round): not an error.
        gone('container vanished before its stats sample');
        return;
      }
      failed++;
      firstError ??= err;
      ctx.metrics.pollErrors.inc({ source: opts.source, code: errorCode(err) });
      ctx.log.debug({ source: opts.source, container: id, err }, 'stats request failed');
      return;
    }
    let raw: RawStats | null;
    let record: StatsRecord | null;
    try {
      raw = parseStatsBody(body);
      record = raw && normalize(raw, tracked.prev, tracked.ref, ctx.host());
    } catch (err) {
      // Not the shape we know: skip this sample, keep the previous one.
      ctx.metrics.countMalformed(opts.source, 'stats_body');
      ctx.log.debug({ source: opts.source, container: id, err }, 'unexpected stats body');
      return;
    }
    if (!raw || !record) {
      // Stopped: Docker's zero-time sample, Podman's empty body.
      gone('container stopped before its stats sample');
      return;
    }
    tracked.prev = cpuSampleOf(raw, ctx.host().engine);
    if (opts.emit) {
      sampled++;
      records.push(record);
    }
  };
  await forEachLimit(set.list(), opts.concurrency, sampleOne);
  for (const record of records) ctx.emit(record);
  return { sampled, vanished, failed, firstError };
}
