/**
 * The latest value of every series, bounded: a new series beyond `maxSeries`
 * is refused (the sink counts it as dropped); series of a destroyed container
 * are removed at once (of a stopped one, its stats series), and every series not updated for `expireAfterMs`
 * (a container whose destroy event was missed, a disk type that went away) too.
 */
import { seriesKey, type Family, type Sample } from '../prometheus/series.js';

interface Entry {
  readonly labels: Readonly<Record<string, string>>;
  value: number;
  updatedMs: number;
  readonly containerId: string | undefined;
}

export interface StoredValue {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export class SeriesStore {
  private readonly byFamily = new Map<string, Map<string, Entry>>();
  /** Container id → series key → family, for removal on die / destroy. */
  private readonly byContainer = new Map<string, Map<string, string>>();
  private count = 0;

  constructor(
    private readonly maxSeries: number,
    private readonly expireAfterMs: number,
  ) {}

  get size(): number {
    return this.count;
  }

  /** Stores the sample's value; false when it would be a new series beyond the bound. */
  put(sample: Sample, nowMs: number): boolean {
    let series = this.byFamily.get(sample.family.name);
    if (series === undefined) this.byFamily.set(sample.family.name, (series = new Map<string, Entry>()));
    const key = seriesKey(sample.family.name, sample.labels);
    const known = series.get(key);
    if (known !== undefined) {
      known.value = sample.delta ? known.value + sample.value : sample.value;
      known.updatedMs = nowMs;
      return true;
    }
    if (this.count >= this.maxSeries) return false;
    series.set(key, { labels: sample.labels, value: sample.value, updatedMs: nowMs, containerId: sample.containerId });
    this.count++;
    if (sample.containerId !== undefined) {
      let keys = this.byContainer.get(sample.containerId);
      if (keys === undefined) this.byContainer.set(sample.containerId, (keys = new Map<string, string>()));
      keys.set(key, sample.family.name);
    }
    return true;
  }

  /** Removes every series of a container (only those of `families` when given); returns how many. */
  removeContainer(id: string, families?: ReadonlySet<string>): number {
    const keys = this.byContainer.get(id);
    if (keys === undefined) return 0;
    let removed = 0;
    for (const [key, family] of keys) {
      if (families !== undefined && !families.has(family)) continue;
      keys.delete(key);
      if (this.byFamily.get(family)?.delete(key)) removed++;
    }
    if (keys.size === 0) this.byContainer.delete(id);
    this.count -= removed;
    return removed;
  }

  /** Removes series not updated since `nowMs - expireAfterMs`. */
  expire(nowMs: number): number {
    const cutoff = nowMs - this.expireAfterMs;
    let removed = 0;
    for (const series of this.byFamily.values()) {
      for (const [key, entry] of series) {
        if (entry.updatedMs >= cutoff) continue;
        series.delete(key);
        removed++;
        if (entry.containerId !== undefined) this.byContainer.get(entry.containerId)?.delete(key);
      }
    }
    this.count -= removed;
    for (const [id, keys] of this.byContainer) if (keys.size === 0) this.byContainer.delete(id);
    return removed;
  }

  values(family: Family): StoredValue[] {
    return [...(this.byFamily.get(family.name)?.values() ?? [])].map((e) => ({ labels: e.labels, value: e.value }));
  }
}
