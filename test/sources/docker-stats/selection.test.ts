import { describe, expect, it } from 'vitest';
import { containerSelector } from '../../../src/sources/docker-stats/selection.js';
import { dockerStatsOptions } from '../../../src/sources/docker-stats/options.js';

const web = { name: 'web-1', image: 'docker.io/library/nginx:1.27', labels: { team: 'web', tier: 'front' } };
const db = { name: 'db', image: 'postgres:16', labels: { team: 'data' } };
const tmp = { name: 'tmp-build', image: 'local/busybox:1', labels: {} };

describe('container selection', () => {
  it('selects everything without include or exclude', () => {
    const select = containerSelector();
    expect([web, db, tmp].map(select)).toEqual([true, true, true]);
  });

  it('include: name globs, image globs (basename too) and label selectors', () => {
    expect([web, db, tmp].map(containerSelector({ names: ['web-*', 'db'] }))).toEqual([true, true, false]);
    expect([web, db, tmp].map(containerSelector({ images: ['nginx*'] }))).toEqual([true, false, false]);
    expect([web, db, tmp].map(containerSelector({ images: ['local/*'] }))).toEqual([false, false, true]);
    expect([web, db, tmp].map(containerSelector({ labels: ['team=data'] }))).toEqual([false, true, false]);
    expect([web, db, tmp].map(containerSelector({ labels: ['tier'] }))).toEqual([true, false, false]);
  });

  it('include: different kinds AND, same kind ORs', () => {
    const select = containerSelector({ labels: ['team=web', 'team=data'], images: ['postgres:*'] });
    expect([web, db, tmp].map(select)).toEqual([false, true, false]);
  });

  it('exclude: any matching pattern of any kind excludes, and wins over include', () => {
    const select = containerSelector({ labels: ['team'] }, { names: ['tmp-*'], labels: ['team=data'] });
    expect([web, db, tmp].map(select)).toEqual([true, false, false]);
  });
});

describe('options', () => {
  it('has defaults: 10s interval, 128 in flight, 60s resync, 5s timeout, no labels', () => {
    expect(dockerStatsOptions.parse({})).toEqual({ interval: 10_000, concurrency: 128, timeout: 5_000, resync: 60_000, labels: [] });
  });

  it('takes human durations and selectors', () => {
    const o = dockerStatsOptions.parse({ interval: '1s', resync: '5m', include: { labels: ['a', 'b=c'] }, labels: ['team'] });
    expect(o).toMatchObject({ interval: 1000, resync: 300_000, include: { labels: ['a', 'b=c'] }, labels: ['team'] });
  });

  it('rejects sub-second intervals, bad label selectors and unknown keys with their paths', () => {
    const res = dockerStatsOptions.safeParse({ interval: '200ms', include: { labels: ['=x'] }, exclude: { names: ['a'], nope: 1 } });
    expect(res.success).toBe(false);
    const paths = res.error?.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['exclude', 'include.labels.0', 'interval']);
  });
});
