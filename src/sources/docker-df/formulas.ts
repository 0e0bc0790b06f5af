/**
 * `docker system df` numbers, computed exactly as the docker CLI does
 * (docker/cli `cli/command/formatter/disk_usage.go` and `cli/command/system/df.go`
 * up to v28), or taken from the daemon's own per-type summaries (API >= 1.52).
 * Pure functions; the formulas are documented in README.md.
 */
import { DsError } from '../../errors.js';
import type { DiskObjectType, DiskUsageEntry } from '../../records.js';
import { assertDiskUsage, type RawBuildCache, type RawContainer, type RawDiskUsage, type RawImage, type RawUsageSummary, type RawVolume } from './wire.js';

export type ReclaimableSource = 'daemon' | 'cli_formula';

export interface DiskUsageSummary {
  readonly types: Partial<Record<DiskObjectType, DiskUsageEntry>>;
  readonly total: DiskUsageEntry;
  readonly reclaimable_source: ReclaimableSource;
}

/** `(reclaimable*100)/size` with Go int64 semantics (truncates toward zero); 0 when size <= 0. */
export function reclaimablePercent(reclaimable: number, size: number): number {
  if (size <= 0) return 0;
  // BigInt: reclaimable*100 exceeds 2^53 from ~90 TB on.
  return Number((BigInt(Math.trunc(reclaimable)) * 100n) / BigInt(Math.trunc(size)));
}

function entry(total: number, active: number, size: number, reclaimable: number): DiskUsageEntry {
  // Integers each, but sums of absurd ones (1e308 twice) overflow to Infinity.
  for (const [field, v] of [
    ['total', total],
    ['active', active],
    ['size_bytes', size],
    ['reclaimable_bytes', reclaimable],
  ] as const) {
    if (!Number.isFinite(v)) throw new DsError('DOCKER_MALFORMED', 'system df numbers overflow', { details: { field } });
  }
  return { total, active, size_bytes: size, reclaimable_bytes: reclaimable, reclaimable_percent: reclaimablePercent(reclaimable, size) };
}

const num = (v: number | undefined | null): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** Images: size = LayersSize; reclaimable = LayersSize − Σ(Size − SharedSize) over images with Containers ≠ 0, skipping unknown (−1) sizes. */
export function imagesEntry(layersSize: number, images: readonly RawImage[]): DiskUsageEntry {
  let active = 0;
  let used = 0;
  for (const image of images) {
    const containers = num(image.Containers);
    // The CLI counts active with `> 0` but subtracts with `!= 0`: an image whose
    // count is unknown (-1) is not active yet still counted as in use.
    if (containers > 0) active++;
    if (containers !== 0) {
      const size = image.Size ?? image.VirtualSize ?? 0;
      const shared = num(image.SharedSize);
      if (size === -1 || shared === -1) continue;
      used += size - shared;
    }
  }
  return entry(images.length, active, layersSize, layersSize - used);
}

/**
 * Images when the daemon reports no `LayersSize` but sized images: Podman's
 * compat `/system/df` always sends `LayersSize: 0`, which turns the formula
 * above negative. Then `podman system df`'s own figures: size = Σ Size,
 * reclaimable = Σ Size of images no container uses (Containers < 1), skipping
 * unknown (−1) sizes. Active counts Containers > 0, as above.
 */
export function imagesEntryWithoutLayersSize(images: readonly RawImage[]): DiskUsageEntry {
  let active = 0;
  let size = 0;
  let reclaimable = 0;
  for (const image of images) {
    const containers = num(image.Containers);
    if (containers > 0) active++;
    const bytes = num(image.Size ?? image.VirtualSize);
    if (bytes === -1) continue;
    size += bytes;
    if (containers < 1) reclaimable += bytes;
  }
  return entry(images.length, active, size, reclaimable);
}

/** LayersSize 0 (or missing) while some image has a size: no daemon figure for the layers (Podman). */
export function lacksLayersSize(raw: RawDiskUsage): boolean {
  return num(raw.LayersSize) <= 0 && (raw.Images ?? []).some((image) => num(image.Size ?? image.VirtualSize) > 0);
}

/** `running`, `paused` and `restarting` containers are active (the CLI's isActive). */
export function isActiveContainer(container: RawContainer): boolean {
  const state = (container.State ?? '').toLowerCase();
  return state === 'running' || state === 'paused' || state === 'restarting';
}

/** Containers: size = Σ SizeRw; reclaimable = Σ SizeRw of containers that are not active. */
export function containersEntry(containers: readonly RawContainer[]): DiskUsageEntry {
  let active = 0;
  let size = 0;
  let reclaimable = 0;
  for (const container of containers) {
    const rw = num(container.SizeRw);
    size += rw;
    if (isActiveContainer(container)) active++;
    else reclaimable += rw;
  }
  return entry(containers.length, active, size, reclaimable);
}

/** Volumes: active = RefCount > 0; size = Σ Size (≠ −1); reclaimable = Σ Size (≠ −1) with RefCount = 0. */
export function volumesEntry(volumes: readonly RawVolume[]): DiskUsageEntry {
  let active = 0;
  let size = 0;
  let reclaimable = 0;
  for (const volume of volumes) {
    // A missing UsageData would crash the CLI; here it counts only towards the total.
    if (!volume.UsageData) continue;
    const refCount = num(volume.UsageData.RefCount);
    const bytes = num(volume.UsageData.Size);
    if (refCount > 0) active++;
    if (bytes !== -1) {
      size += bytes;
      if (refCount === 0) reclaimable += bytes;
    }
  }
  return entry(volumes.length, active, size, reclaimable);
}

/** Build cache: active = InUse; size = Σ Size of non-shared records; reclaimable = size − Σ Size of in-use non-shared records. */
export function buildCacheEntry(records: readonly RawBuildCache[]): DiskUsageEntry {
  let active = 0;
  let size = 0;
  let inUse = 0;
  for (const record of records) {
    const bytes = num(record.Size);
    if (record.InUse) active++;
    if (!record.Shared) {
      size += bytes;
      if (record.InUse) inUse += bytes;
    }
  }
  return entry(records.length, active, size, size - inUse);
}

/** API >= 1.52: the daemon's summary as is (zero fields are omitted on the wire). */
export function summaryEntry(summary: RawUsageSummary<unknown>): DiskUsageEntry {
  return entry(num(summary.TotalCount), num(summary.ActiveCount), num(summary.TotalSize), num(summary.Reclaimable));
}

function summaryOf(raw: RawDiskUsage, type: DiskObjectType): RawUsageSummary<unknown> | null | undefined {
  switch (type) {
    case 'images':
      return raw.ImageUsage;
    case 'containers':
      return raw.ContainerUsage;
    case 'volumes':
      return raw.VolumeUsage;
    case 'build_cache':
      return raw.BuildCacheUsage;
  }
}

function formulaEntry(raw: RawDiskUsage, type: DiskObjectType): DiskUsageEntry {
  switch (type) {
    case 'images':
      return lacksLayersSize(raw) ? imagesEntryWithoutLayersSize(raw.Images ?? []) : imagesEntry(num(raw.LayersSize), raw.Images ?? []);
    case 'containers':
      return containersEntry(raw.Containers ?? []);
    case 'volumes':
      return volumesEntry(raw.Volumes ?? []);
    case 'build_cache':
      return buildCacheEntry(raw.BuildCache ?? []);
  }
}

/** Sums of every field; the percent is recomputed from the sums. */
export function totalEntry(entries: readonly DiskUsageEntry[]): DiskUsageEntry {
  let total = 0;
  let active = 0;
  let size = 0;
  let reclaimable = 0;
  for (const e of entries) {
    total += e.total;
    active += e.active;
    size += e.size_bytes;
    reclaimable += e.reclaimable_bytes;
  }
  return entry(total, active, size, reclaimable);
}

/**
 * One row per requested type. A daemon summary (API >= 1.52) wins over the
 * formulas; without any, the CLI's pre-v29 formulas apply to the legacy arrays.
 * A body of another shape throws `DOCKER_MALFORMED` (the poll counts it).
 */
export function summarizeDiskUsage(raw: RawDiskUsage, objects: readonly DiskObjectType[]): DiskUsageSummary {
  // The body is the daemon's JSON, typed by a cast: check it before any formula reads it.
  assertDiskUsage(raw);
  const types: Partial<Record<DiskObjectType, DiskUsageEntry>> = {};
  let fromDaemon = 0;
  for (const type of objects) {
    const summary = summaryOf(raw, type);
    if (summary) {
      types[type] = summaryEntry(summary);
      fromDaemon++;
    } else {
      types[type] = formulaEntry(raw, type);
    }
  }
  return {
    types,
    total: totalEntry(Object.values(types)),
    // A summarising daemon (API >= 1.52) leaves a type out only when it has none
    // of it (no builder: no build cache), so one summary decides for the record.
    reclaimable_source: fromDaemon > 0 ? 'daemon' : 'cli_formula',
  };
}
