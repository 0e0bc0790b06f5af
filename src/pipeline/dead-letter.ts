import { appendFile, mkdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../log.js';
import type { DsRecord } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import { STATE_DIR_MODE, STATE_FILE_MODE } from '../util/atomic-write.js';
import { recordJson } from './serialize.js';

/**
 * Records a sink rejected permanently go to `<state_dir>/dead-letter/<sink>.ndjson`
 * (mode 0600) with the reason, and are counted; they are never retried. Each
 * file is bounded by `maxBytes`: records that would grow it past the bound
 * are dropped and counted (`dockstream_dead_letter_dropped_records_total`).
 */
export class DeadLetter {
  private readonly dir: string;
  private readonly log: Logger;
  private readonly metrics: SelfMetrics;
  private readonly maxBytes: number;
  private ready: Promise<void> | null = null;
  /** Bytes in each sink's file (read once, then kept up to date). */
  private readonly sizes = new Map<string, number>();
  private readonly full = new Set<string>();

  constructor(stateDir: string, log: Logger, metrics: SelfMetrics, maxBytes = 64 * 1024 * 1024) {
    this.dir = join(stateDir, 'dead-letter');
    this.log = log;
    this.metrics = metrics;
    this.maxBytes = maxBytes;
  }

  async write(sink: string, records: readonly DsRecord[], reason: string): Promise<void> {
    if (records.length === 0) return;
    for (const r of records) this.metrics.deadLettered.inc({ sink, kind: r.kind, reason: reasonLabel(reason) });
    const at = new Date().toISOString();
    const path = join(this.dir, `${sink}.ndjson`);
    try {
      this.ready ??= mkdir(this.dir, { recursive: true, mode: STATE_DIR_MODE }).then(() => undefined);
      await this.ready;
      let size =
        this.sizes.get(sink) ??
        (await stat(path).then(
          (s) => s.size,
          () => 0,
        ));
      let text = '';
      let dropped = 0;
      for (const r of records) {
        const line = `{"dead_letter":{"sink":${JSON.stringify(sink)},"reason":${JSON.stringify(reason)},"at":"${at}"},"record":${recordJson(r)}}\n`;
        const bytes = Buffer.byteLength(line);
        if (size + bytes > this.maxBytes) {
          dropped++;
          continue;
        }
        size += bytes;
        text += line;
      }
      if (text) await appendFile(path, text, { mode: STATE_FILE_MODE });
      this.sizes.set(sink, size);
      if (dropped > 0) {
        this.metrics.deadLetterDropped.inc({ sink }, dropped);
        if (!this.full.has(sink))
          this.log.error({ sink, path, max_size: this.maxBytes }, 'dead-letter file full; further dead letters are dropped and counted');
        this.full.add(sink);
      }
    } catch (err) {
      this.ready = null;
      this.sizes.delete(sink);
      this.log.error({ sink, records: records.length, err }, 'cannot write dead-letter file; records dropped');
    }
    this.log.warn({ sink, records: records.length, reason }, 'records dead-lettered');
  }
}

/** Low-cardinality label from a free-text reason. */
function reasonLabel(reason: string): string {
  return (reason.split(/[:(]/)[0] ?? reason).trim().slice(0, 40) || 'unknown';
}
