/**
 * The `docker_df` source: polls `GET /system/df` on its own slow schedule,
 * never two calls at once, and emits one `disk_usage` record per poll plus
 * `alert` records when a threshold rule changes state.
 */
import { compareApiVersions } from '../../docker/client.js';
import { DsError, errorCode } from '../../errors.js';
import type { Source, SourceContext } from '../../pipeline/types.js';
import {
  componentName,
  DISK_OBJECT_TYPES,
  RECORD_SCHEMA_VERSION,
  type AlertRecord,
  type DiskObjectType,
  type DiskUsageRecord,
  type HostInfo,
} from '../../records.js';
import { msToRfc3339 } from '../../util/units.js';
import { AlertStateFile } from './alert-state.js';
import { AlertEvaluator, type AlertTransition } from './alerts.js';
import { summarizeDiskUsage } from './formulas.js';
import { largestObjects } from './largest.js';
import { DF_TYPE_PARAM, toAlertRules, type DockerDfOptions } from './options.js';
import { everyInterval } from '../../util/ticker.js';
import type { RawDiskUsage } from './wire.js';

export const DOCKER_DF_TYPE = 'docker_df';

/** `/system/df` with `type=` (API >= 1.42, only for a subset) and `verbose=1` (API >= 1.52, for items). */
export function diskUsagePath(apiVersion: string | null, objects: readonly DiskObjectType[], verbose: boolean): string {
  const params = new URLSearchParams();
  const version = apiVersion ?? '0.0';
  if (compareApiVersions(version, '1.42') >= 0 && objects.length < DISK_OBJECT_TYPES.length) {
    // Repeated keys: the client's query map holds one value per key.
    for (const type of objects) params.append('type', DF_TYPE_PARAM[type]);
  }
  // From 1.52 items are only listed on request; below, they always are.
  if (verbose && compareApiVersions(version, '1.52') >= 0) params.append('verbose', '1');
  const qs = params.toString();
  return qs ? `/system/df?${qs}` : '/system/df';
}

export function buildDiskUsageRecord(
  raw: RawDiskUsage,
  options: Pick<DockerDfOptions, 'objects' | 'verbose' | 'top'>,
  host: HostInfo,
  timeMs: number,
  durationMs: number,
): DiskUsageRecord {
  const summary = summarizeDiskUsage(raw, options.objects);
  return {
    kind: 'disk_usage',
    schema: RECORD_SCHEMA_VERSION,
    time: msToRfc3339(timeMs),
    host,
    types: summary.types,
    total: summary.total,
    duration_ms: durationMs,
    reclaimable_source: summary.reclaimable_source,
    ...(options.verbose ? { largest: largestObjects(raw, options.objects, options.top) } : {}),
  };
}

export function alertRecord(t: AlertTransition, host: HostInfo, time: string): AlertRecord {
  return {
    kind: 'alert',
    schema: RECORD_SCHEMA_VERSION,
    time,
    host,
    state: t.state,
    rule: t.rule.name,
    object: t.rule.object,
    metric: t.rule.metric,
    value: t.value,
    threshold: t.rule.threshold,
  };
}

export class DockerDfSource implements Source {
  readonly type = DOCKER_DF_TYPE;
  readonly name: string;
  private readonly options: DockerDfOptions;
  private readonly once: boolean;
  private readonly alerts: AlertEvaluator;
  private alertState: AlertStateFile | null = null;

  constructor(name: string, options: DockerDfOptions, once: boolean) {
    this.name = name;
    this.options = options;
    this.once = once;
    this.alerts = new AlertEvaluator(toAlertRules(options.rules));
  }

  async run(ctx: SourceContext): Promise<void> {
    if (this.once) {
      // `dockstream once`: one poll; its failure is the command's failure.
      const err = await this.poll(ctx);
      if (err) throw err;
      return;
    }
    const alertState = ctx.stateDir === undefined ? null : new AlertStateFile(ctx.stateDir, this.name, ctx.log);
    alertState?.load(this.alerts);
    this.alertState = alertState;
    let busyLogged = false;
    await everyInterval(
      this.options.interval,
      ctx.signal,
      async () => {
        busyLogged = false;
        if (!ctx.hasCapacity()) {
          ctx.metrics.countSkippedTick(this.name, 'sinks_full');
          return;
        }
        // Aborted: the in-flight request saw the same signal and ends promptly.
        await this.poll(ctx);
      },
      () => {
        ctx.metrics.countSkippedTick(this.name, 'busy');
        if (!busyLogged) {
          busyLogged = true;
          ctx.log.warn({ source: this.name, intervalMs: this.options.interval }, 'disk usage poll still running, skipping ticks');
        }
      },
    );
  }

  /** One poll; failures are logged and counted here and returned (never thrown). */
  private async poll(ctx: SourceContext): Promise<Error | null> {
    const started = performance.now();
    const controller = new AbortController();
    const onAbort = (): void => controller.abort(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort(new DsError('DOCKER_TIMEOUT', 'disk usage poll timed out', { details: { timeoutMs: this.options.timeout } }));
    }, this.options.timeout);
    try {
      const path = diskUsagePath(ctx.docker.apiVersion, this.options.objects, this.options.verbose);
      const raw = await ctx.docker.getJson<RawDiskUsage>(path, { signal: controller.signal, timeoutMs: this.options.timeout });
      const durationMs = performance.now() - started;
      const record = buildDiskUsageRecord(raw, this.options, ctx.host(), Date.now(), Math.round(durationMs));
      ctx.emit(record);
      const rows = { ...record.types, total: record.total };
      for (const t of this.alerts.observe(rows, Date.now())) {
        ctx.log.debug({ source: this.name, rule: t.rule.name, state: t.state, value: t.value, threshold: t.rule.threshold }, 'disk usage alert');
        ctx.emit(alertRecord(t, record.host, record.time));
      }
      await this.alertState?.save(this.alerts);
      ctx.metrics.pollDuration.observe({ source: this.name }, durationMs / 1000);
      ctx.metrics.markSuccess(componentName('source', this.name));
      return null;
    } catch (err) {
      if (ctx.signal.aborted && !timedOut) return null;
      const code = timedOut ? 'DOCKER_TIMEOUT' : errorCode(err);
      const error = timedOut ? (controller.signal.reason as Error) : err instanceof Error ? err : new Error(String(err));
      ctx.metrics.pollErrors.inc({ source: this.name, code });
      // A malformed body's DsError details name the field (src/docker/shape.ts); pino's err serializer keeps them.
      ctx.log.warn({ source: this.name, code, err: error, timeoutMs: this.options.timeout }, 'disk usage poll failed');
      return error;
    } finally {
      clearTimeout(timer);
      ctx.signal.removeEventListener('abort', onAbort);
    }
  }
}
