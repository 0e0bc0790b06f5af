import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { largestObjects } from '../../../src/sources/docker-df/largest.js';
import type { RawDiskUsage } from '../../../src/sources/docker-df/wire.js';

const raw = JSON.parse(readFileSync(new URL('./fixtures/df-edge-cases.json', import.meta.url), 'utf8')) as RawDiskUsage;

describe('largest objects (verbose)', () => {
  const top = largestObjects(raw, ['images', 'containers', 'volumes', 'build_cache'], 2);

  it('lists the N largest per type with their reclaimable status', () => {
    expect(top.images).toEqual([
      { id: 'sha256:aaa1', name: 'app:1', size_bytes: 300000000, reclaimable: false },
      { id: 'sha256:aaa2', name: 'app:2', size_bytes: 250000000, reclaimable: false },
    ]);
    expect(top.containers).toEqual([
      { id: 'c4', name: 'exited', size_bytes: 104857600, reclaimable: true },
      { id: 'c7', name: 'removing', size_bytes: 100250, reclaimable: true },
    ]);
    expect(top.volumes).toEqual([
      { id: 'unused', name: 'unused', size_bytes: 10485760, reclaimable: true },
      { id: 'used', name: 'used', size_bytes: 5242880, reclaimable: false },
    ]);
    expect(top.build_cache).toEqual([
      { id: 'b4', name: 'own idle', size_bytes: 4000000, reclaimable: true },
      { id: 'b3', name: 'own in use', size_bytes: 3000000, reclaimable: false },
    ]);
  });

  it('names untagged images by id and unknown sizes as 0', () => {
    const all = largestObjects(raw, ['images', 'volumes'], 10);
    expect(all.images?.find((i) => i.id === 'sha256:aaa3')).toEqual({ id: 'sha256:aaa3', name: 'sha256:aaa3', size_bytes: 90000000, reclaimable: false });
    expect(all.images?.find((i) => i.id === 'sha256:aaa4')?.reclaimable).toBe(true);
    expect(all.volumes?.find((v) => v.id === 'remote')).toEqual({ id: 'remote', name: 'remote', size_bytes: 0, reclaimable: true });
    expect(all.volumes?.map((v) => v.id)).toEqual(['unused', 'used', 'unknown-refs', 'empty', 'remote']);
  });

  it('reads API 1.52 items from the summaries', () => {
    const v152: RawDiskUsage = { VolumeUsage: { TotalCount: 1, Items: [{ Name: 'v', UsageData: { Size: 7, RefCount: 1 } }] } };
    expect(largestObjects(v152, ['volumes'], 5)).toEqual({ volumes: [{ id: 'v', name: 'v', size_bytes: 7, reclaimable: false }] });
  });
});
