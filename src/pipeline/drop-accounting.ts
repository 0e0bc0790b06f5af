import type { SinkSettings } from './sink-settings.js';
import type { Logger } from '../log.js';
import { componentName, gapRecord, type ComponentName, type DsRecord, type GapRecord, type HostInfo } from '../records.js';
import type { SelfMetrics } from '../telemetry/metrics.js';
import { nowRfc3339 } from '../util/units.js';
import type { SinkBuffer } from './buffer.js';

export interface DropAccountingDeps {
  readonly log: Logger;
  readonly metrics: SelfMetrics;
  host(): HostInfo;
  onSettled?(sink: string, records: readonly DsRecord[]): void;
}

/**
 * What one sink's full buffer dropped: counted by kind and reason as it
 * happens, and announced by one `gap` record once there is room again.
 */
export class DropAccounting {
  private readonly name: string;
  /** `sink:<name>`: the dropped-records label and the gap's component. */
  private readonly component: ComponentName;
  private readonly deps: DropAccountingDeps;
  private readonly limits: SinkSettings['buffer'];
  /** The buffer records are dropped from (a disk spool replaces the memory buffer on open). */
  private readonly buffer: () => SinkBuffer;
  /** Records dropped since the last gap record, and when dropping began. */
  private droppedSinceGap = 0;
  private gapRetryAt = 0;
  private dropStartedAt: string | null = null;

  constructor(name: string, deps: DropAccountingDeps, limits: SinkSettings['buffer'], buffer: () => SinkBuffer) {
    this.name = name;
    this.component = componentName('sink', name);
    this.deps = deps;
    this.limits = limits;
    this.buffer = buffer;
  }

  /**
   * A dropped record is done with for this sink (a `gap` announces it): the
   * events cursor must not wait for it, nor keep it in memory while the sink
   * stays blocked.
   */
  readonly settle = (record: DsRecord): void => {
    this.deps.onSettled?.(this.name, [record]);
  };

  /** The one word for these drops, in the counter and in the gap: the buffer they did not fit in. */
  private reason(): 'queue_full' | 'spool_full' {
    return this.buffer().kind === 'disk' ? 'spool_full' : 'queue_full';
  }

  count(kind: string, n: number): void {
    const buffer = this.buffer().kind;
    this.deps.metrics.countDropped(this.component, kind, this.reason(), n);
    if (this.droppedSinceGap === 0) {
      this.dropStartedAt = nowRfc3339();
      this.deps.log.warn(
        { sink: this.name, buffer, max_records: this.limits.max_records, max_size: this.limits.max_size },
        'sink buffer full; dropping records',
      );
    }
    this.droppedSinceGap += n;
  }

  /** A spool write failed: its records are dropped. */
  lost(records: readonly DsRecord[], err: unknown): void {
    this.deps.log.error({ sink: this.name, records: records.length, err }, 'spool write failed; records dropped');
    for (const r of records) {
      // Our own gap record lost too: announce those drops again later, not in a tight loop.
      if (r.kind === 'gap' && r.component === this.component) {
        this.droppedSinceGap += r.dropped ?? 0;
        this.dropStartedAt ??= r.from;
        this.gapRetryAt = Date.now() + 1000;
      } else {
        this.count(r.kind, 1);
        this.settle(r);
      }
    }
  }

  /** After drops, once there is room again, the record that tells consumers exactly what went missing (else null). */
  takeGap(): GapRecord | null {
    const buffer = this.buffer();
    if (this.droppedSinceGap === 0 || !buffer.hasRoom() || Date.now() < this.gapRetryAt) return null;
    const to = nowRfc3339();
    const gap = gapRecord({
      host: this.deps.host(),
      from: this.dropStartedAt,
      to,
      reason: this.reason(),
      component: this.component,
      dropped: this.droppedSinceGap,
      detail: `the sink ${buffer.kind === 'disk' ? 'spool' : 'queue'} was full; records were dropped`,
    });
    this.deps.log.warn({ sink: this.name, dropped: this.droppedSinceGap }, 'sink queue has room again; gap recorded');
    this.droppedSinceGap = 0;
    this.dropStartedAt = null;
    return gap;
  }
}
