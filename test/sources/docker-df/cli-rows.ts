/** Test helper: a disk_usage record as the rows `docker system df --format '{{json .}}'` prints. */
import type { DiskObjectType, DiskUsageEntry, DiskUsageRecord } from '../../../src/records.js';
import { cliReclaimable, humanSize } from './cli-format.js';

export interface CliRow {
  readonly Type: string;
  readonly TotalCount: string;
  readonly Active: string;
  readonly Size: string;
  readonly Reclaimable: string;
}

export const CLI_TYPE_NAMES: Readonly<Record<DiskObjectType, string>> = {
  images: 'Images',
  containers: 'Containers',
  volumes: 'Local Volumes',
  build_cache: 'Build Cache',
};

export function cliRow(type: DiskObjectType, e: DiskUsageEntry): CliRow {
  return {
    Type: CLI_TYPE_NAMES[type],
    TotalCount: String(e.total),
    Active: String(e.active),
    Size: humanSize(e.size_bytes),
    // The CLI prints no percent for the build cache.
    Reclaimable: cliReclaimable(e.reclaimable_bytes, e.size_bytes, type !== 'build_cache'),
  };
}

export function cliRows(record: Pick<DiskUsageRecord, 'types'>): CliRow[] {
  const order: DiskObjectType[] = ['images', 'containers', 'volumes', 'build_cache'];
  return order.flatMap((t) => {
    const e = record.types[t];
    return e ? [cliRow(t, e)] : [];
  });
}

/** Parses `docker system df --format '{{json .}}'` output (one JSON object per line). */
export function parseCliJsonLines(text: string): CliRow[] {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      const o = JSON.parse(l) as Record<string, string>;
      return { Type: o.Type ?? '', TotalCount: o.TotalCount ?? '', Active: o.Active ?? '', Size: o.Size ?? '', Reclaimable: o.Reclaimable ?? '' };
    });
}
