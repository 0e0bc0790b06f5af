import { describe, expect, it } from 'vitest';
import { AlertEvaluator, clearLevel, type AlertRule, type DiskRows } from '../../../src/sources/docker-df/alerts.js';
import type { DiskUsageEntry } from '../../../src/records.js';

const row = (reclaimable: number, size = 1000): DiskUsageEntry => ({
  total: 1,
  active: 0,
  size_bytes: size,
  reclaimable_bytes: reclaimable,
  reclaimable_percent: Math.trunc((reclaimable * 100) / size),
});
const volumes = (reclaimable: number): DiskRows => ({ volumes: row(reclaimable), total: row(reclaimable) });

const rule = (over: Partial<AlertRule> = {}): AlertRule => ({
  name: 'vol',
  object: 'volumes',
  metric: 'reclaimable_bytes',
  threshold: 100,
  forMs: 0,
  hysteresisPercent: 5,
  ...over,
});

/** Feeds values one per minute; returns "t:state:value" for each transition. */
function feed(ev: AlertEvaluator, values: number[], rows = volumes): string[] {
  const out: string[] = [];
  values.forEach((v, i) => {
    for (const t of ev.observe(rows(v), i * 60_000)) out.push(`${i}:${t.state}:${t.value}`);
  });
  return out;
}

describe('alert rules', () => {
  it('fires on reaching the threshold and resolves below threshold minus hysteresis', () => {
    const ev = new AlertEvaluator([rule()]);
    expect(feed(ev, [0, 99, 100, 150, 96, 95, 94, 0])).toEqual(['2:firing:100', '6:resolved:94']);
    expect(clearLevel(rule())).toBe(95);
  });

  it('does not flap for a value hovering at the line', () => {
    const ev = new AlertEvaluator([rule()]);
    expect(feed(ev, [99, 101, 99, 101, 98, 100, 99, 101])).toEqual(['1:firing:101']);
    expect(ev.phase('vol')).toBe('firing');
  });

  it('without hysteresis, resolves as soon as the value is below the threshold', () => {
    const ev = new AlertEvaluator([rule({ hysteresisPercent: 0 })]);
    expect(feed(ev, [100, 99, 100])).toEqual(['0:firing:100', '1:resolved:99', '2:firing:100']);
  });

  it('waits for `for` to hold before firing, and a dip below the threshold restarts the wait', () => {
    const ev = new AlertEvaluator([rule({ forMs: 120_000 })]);
    // minute 0: pending; 1: still pending; 2: dips (reset); 3: pending again; 5: held 2 min -> firing.
    expect(feed(ev, [150, 150, 50, 150, 150, 150, 150])).toEqual(['5:firing:150']);
  });

  it('never reports a pending rule that recovers', () => {
    const ev = new AlertEvaluator([rule({ forMs: 600_000 })]);
    expect(feed(ev, [150, 150, 0, 0])).toEqual([]);
    expect(ev.phase('vol')).toBe('ok');
  });

  it('evaluates each rule on its own object and metric', () => {
    const ev = new AlertEvaluator([
      rule({ name: 'pct', object: 'total', metric: 'reclaimable_percent', threshold: 50 }),
      rule({ name: 'size', object: 'images', metric: 'size_bytes', threshold: 2000 }),
    ]);
    const rows: DiskRows = { images: row(10, 3000), total: row(600, 1000) };
    expect(ev.observe(rows, 0).map((t) => `${t.rule.name}:${t.state}:${t.value}`)).toEqual(['pct:firing:60', 'size:firing:3000']);
  });

  it('keeps its state when the object is missing from an observation', () => {
    const ev = new AlertEvaluator([rule()]);
    ev.observe(volumes(200), 0);
    expect(ev.observe({ total: row(0) }, 60_000)).toEqual([]);
    expect(ev.phase('vol')).toBe('firing');
  });
});
