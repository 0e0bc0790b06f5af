import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describeError } from '../errors.js';
import type { Logger } from '../log.js';
import type { DsRecord } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import { recordJson } from './serialize.js';

/**
 * Records a sink rejected permanently go to `<state_dir>/dead-letter/<sink>.ndjson`
 * with the reason, and are counted; they are never retried.
 */
export class DeadLetter {
  private readonly dir: string;
  private readonly log: Logger;
  private readonly metrics: SelfMetrics;
  private ready: Promise<void> | null = null;

  constructor(stateDir: string, log: Logger, metrics: SelfMetrics) {
    this.dir = join(stateDir, 'dead-letter');
    this.log = log;
    this.metrics = metrics;
  }

  async write(sink: string, records: readonly DsRecord[], reason: string): Promise<void> {
    if (records.length === 0) return;
    for (const r of records) this.metrics.deadLettered.inc({ sink, kind: r.kind, reason: reasonLabel(reason) });
    const at = new Date().toISOString();
    const text = records.map((r) => `{"dead_letter":{"sink":${JSON.stringify(sink)},"reason":${JSON.stringify(reason)},"at":"${at}"},"record":${recordJson(r)}}\n`).join('');
    try {
      this.ready ??= mkdir(this.dir, { recursive: true }).then(() => undefined);
      await this.ready;
      await appendFile(join(this.dir, `${sink}.ndjson`), text);
    } catch (err) {
      this.ready = null;
      this.log.error({ sink, records: records.length, err: describeError(err) }, 'cannot write dead-letter file; records dropped');
    }
    this.log.warn({ sink, records: records.length, reason }, 'records dead-lettered');
  }
}

/** Low-cardinality label from a free-text reason. */
function reasonLabel(reason: string): string {
  return (reason.split(/[:(]/)[0] ?? reason).trim().slice(0, 40) || 'unknown';
}
