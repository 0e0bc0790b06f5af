/**
 * The shapes of `GET /system/df` as daemons send them. Every field is optional:
 * Go's `omitempty` drops zeros, and old or foreign daemons (Podman) leave some out.
 * Go decodes a missing number as 0, and the CLI formulas rely on that, so do we.
 */
import { assertShape, type Shape } from '../../docker/shape.js';

export interface RawImage {
  readonly Id?: string;
  readonly RepoTags?: readonly string[] | null;
  readonly RepoDigests?: readonly string[] | null;
  /** Containers using the image; -1 when the daemon did not count them. */
  readonly Containers?: number;
  readonly Size?: number;
  /** Dropped from API 1.44; equal to Size before. */
  readonly VirtualSize?: number;
  /** -1 when not computed. */
  readonly SharedSize?: number;
}

export interface RawContainer {
  readonly Id?: string;
  readonly Names?: readonly string[] | null;
  readonly State?: string;
  /** Writable layer size; omitted when 0. */
  readonly SizeRw?: number;
}

export interface RawVolume {
  readonly Name?: string;
  /** Size -1 and RefCount -1 mean "not available" (non-local drivers). */
  readonly UsageData?: { readonly Size?: number; readonly RefCount?: number } | null;
}

export interface RawBuildCache {
  readonly ID?: string;
  readonly Type?: string;
  readonly Description?: string;
  readonly InUse?: boolean;
  readonly Shared?: boolean;
  readonly Size?: number;
}

/** API >= 1.52: the daemon's own per-type summary (Items only with `verbose=1`). */
export interface RawUsageSummary<T> {
  readonly ActiveCount?: number;
  readonly TotalCount?: number;
  readonly TotalSize?: number;
  readonly Reclaimable?: number;
  readonly Items?: readonly T[] | null;
}

export interface RawDiskUsage {
  // Legacy shape (API < 1.52, and 1.52 without `verbose`).
  readonly LayersSize?: number;
  readonly Images?: readonly RawImage[] | null;
  readonly Containers?: readonly RawContainer[] | null;
  readonly Volumes?: readonly RawVolume[] | null;
  readonly BuildCache?: readonly RawBuildCache[] | null;
  readonly BuilderSize?: number;
  // API >= 1.52.
  readonly ImageUsage?: RawUsageSummary<RawImage> | null;
  readonly ContainerUsage?: RawUsageSummary<RawContainer> | null;
  readonly VolumeUsage?: RawUsageSummary<RawVolume> | null;
  readonly BuildCacheUsage?: RawUsageSummary<RawBuildCache> | null;
}

const IMAGE: Shape = { Id: 'string', RepoTags: 'strings', RepoDigests: 'strings', Containers: 'int', Size: 'int', VirtualSize: 'int', SharedSize: 'int' };
const CONTAINER: Shape = { Id: 'string', Names: 'strings', State: 'string', SizeRw: 'int' };
const VOLUME: Shape = { Name: 'string', UsageData: { Size: 'int', RefCount: 'int' } };
const BUILD_CACHE: Shape = { ID: 'string', Type: 'string', Description: 'string', InUse: 'boolean', Shared: 'boolean', Size: 'int' };
const summary = (item: Shape): Shape => ({ ActiveCount: 'int', TotalCount: 'int', TotalSize: 'int', Reclaimable: 'int', Items: [item] });

/** Every field the formulas and `largest` read, with its type (src/docker/shape.ts). */
const DISK_USAGE = {
  LayersSize: 'int',
  BuilderSize: 'int',
  Images: [IMAGE],
  Containers: [CONTAINER],
  Volumes: [VOLUME],
  BuildCache: [BUILD_CACHE],
  ImageUsage: summary(IMAGE),
  ContainerUsage: summary(CONTAINER),
  VolumeUsage: summary(VOLUME),
  BuildCacheUsage: summary(BUILD_CACHE),
} as const satisfies Record<keyof RawDiskUsage, Shape>;

/** A `/system/df` body of another shape is a `DOCKER_MALFORMED` error naming the field, not a TypeError in a formula. */
export function assertDiskUsage(raw: unknown): asserts raw is RawDiskUsage {
  assertShape(raw, DISK_USAGE, 'system df body');
}
