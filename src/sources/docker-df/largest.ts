/**
 * `verbose: true`: the largest N objects per type with whether removing them
 * would reclaim space (what `docker system df -v` lists, trimmed to the top).
 */
import type { DiskObjectDetail, DiskObjectType } from '../../records.js';
import { isActiveContainer } from './formulas.js';
import type { RawBuildCache, RawContainer, RawDiskUsage, RawImage, RawVolume } from './wire.js';

const nonNegative = (v: number | undefined): number => (typeof v === 'number' && v > 0 ? v : 0);

export function imageDetail(image: RawImage): DiskObjectDetail {
  const id = image.Id ?? '';
  const tag = (image.RepoTags ?? []).find((t) => t !== '<none>:<none>');
  const digest = (image.RepoDigests ?? []).find((d) => d !== '<none>@<none>');
  return {
    id,
    name: tag ?? digest ?? id,
    size_bytes: nonNegative(image.Size ?? image.VirtualSize),
    // Unused by any container: `docker image prune -a` removes it.
    reclaimable: (image.Containers ?? 0) === 0,
  };
}

export function containerDetail(container: RawContainer): DiskObjectDetail {
  const id = container.Id ?? '';
  const name = (container.Names ?? [])[0]?.replace(/^\//, '') ?? id;
  return { id, name, size_bytes: nonNegative(container.SizeRw), reclaimable: !isActiveContainer(container) };
}

export function volumeDetail(volume: RawVolume): DiskObjectDetail {
  const name = volume.Name ?? '';
  return {
    id: name,
    name,
    size_bytes: nonNegative(volume.UsageData?.Size),
    reclaimable: volume.UsageData?.RefCount === 0,
  };
}

export function buildCacheDetail(record: RawBuildCache): DiskObjectDetail {
  const id = record.ID ?? '';
  return {
    id,
    name: record.Description || record.Type || id,
    size_bytes: nonNegative(record.Size),
    reclaimable: !record.InUse && !record.Shared,
  };
}

/** Largest first; ties by id so the output is stable from poll to poll. */
export function topBySize(details: readonly DiskObjectDetail[], n: number): DiskObjectDetail[] {
  return [...details].sort((a, b) => b.size_bytes - a.size_bytes || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).slice(0, n);
}

/** Items come from the API >= 1.52 summaries (with `verbose=1`) or the legacy arrays. */
export function largestObjects(raw: RawDiskUsage, objects: readonly DiskObjectType[], n: number): Partial<Record<DiskObjectType, readonly DiskObjectDetail[]>> {
  const out: Partial<Record<DiskObjectType, readonly DiskObjectDetail[]>> = {};
  for (const type of objects) {
    switch (type) {
      case 'images':
        out.images = topBySize((raw.ImageUsage?.Items ?? raw.Images ?? []).map(imageDetail), n);
        break;
      case 'containers':
        out.containers = topBySize((raw.ContainerUsage?.Items ?? raw.Containers ?? []).map(containerDetail), n);
        break;
      case 'volumes':
        out.volumes = topBySize((raw.VolumeUsage?.Items ?? raw.Volumes ?? []).map(volumeDetail), n);
        break;
      case 'build_cache':
        out.build_cache = topBySize((raw.BuildCacheUsage?.Items ?? raw.BuildCache ?? []).map(buildCacheDetail), n);
        break;
    }
  }
  return out;
}
