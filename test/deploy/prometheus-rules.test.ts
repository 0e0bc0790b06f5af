// The shipped alert rules: promtool's syntax check and its unit tests, plus
// the shape the operator relies on (thresholds in one place, every alert
// tested for quiet, firing and resolved).
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { run } from '../harness/proc.js';

const DIR = join(import.meta.dirname, '../../deploy/prometheus');
const RULES = join(DIR, 'dockstream.rules.yml');
const TESTS = join(DIR, 'dockstream.rules.test.yml');

interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
}
interface RulesFile {
  readonly groups: { readonly name: string; readonly rules: readonly Rule[] }[];
}
interface TestsFile {
  readonly tests: { readonly alert_rule_test?: { alertname: string; eval_time: string; exp_alerts: unknown[] }[] }[];
}

const rules = parse(readFileSync(RULES, 'utf8')) as RulesFile;
const alerts = rules.groups.flatMap((g) => g.rules).filter((r) => r.alert !== undefined);

describe('deploy/prometheus rules', () => {
  it('promtool check rules accepts the file', async () => {
    const res = await run('promtool', ['check', 'rules', RULES], { timeoutMs: 30_000 });
    expect(res.stderr).toBe('');
    expect(res.code).toBe(0);
    expect(res.stdout).toContain(`SUCCESS: ${rules.groups.flatMap((g) => g.rules).length} rules found`);
  });

  it('promtool test rules passes every case', async () => {
    const res = await run('promtool', ['test', 'rules', 'dockstream.rules.test.yml'], { cwd: DIR, timeoutMs: 60_000 });
    expect(res.stdout + res.stderr).not.toContain('FAILED');
    expect(res.code).toBe(0);
    expect(res.stdout).toMatch(/Unit Testing: +dockstream\.rules\.test\.yml\n +SUCCESS/);
  });

  it('every alert has cases where it stays quiet and where it fires, and a quiet one after firing', () => {
    const cases = (parse(readFileSync(TESTS, 'utf8')) as TestsFile).tests.flatMap((t) => t.alert_rule_test ?? []);
    const seconds = (d: string): number => Number(/^(\d+)([mh])$/.exec(d)?.[1]) * (d.endsWith('h') ? 3600 : 60);
    for (const a of alerts) {
      const mine = cases.filter((c) => c.alertname === a.alert).sort((x, y) => seconds(x.eval_time) - seconds(y.eval_time));
      const firing = mine.findIndex((c) => c.exp_alerts.length > 0);
      expect(firing, `${a.alert}: a case where it fires`).toBeGreaterThan(0);
      expect(mine[0]?.exp_alerts, `${a.alert}: quiet before`).toEqual([]);
      expect(
        mine.slice(firing + 1).some((c) => c.exp_alerts.length === 0),
        `${a.alert}: resolves after`,
      ).toBe(true);
    }
  });

  it('thresholds are numbers in one place: the dockstream:threshold:* records the alerts read', () => {
    const thresholds = rules.groups.flatMap((g) => g.rules).filter((r) => r.record?.startsWith('dockstream:threshold:'));
    expect(thresholds.map((t) => t.record)).toEqual([
      'dockstream:threshold:reclaimable_bytes',
      'dockstream:threshold:reclaimable_percent',
      'dockstream:threshold:reclaimable_percent_min_bytes',
      'dockstream:threshold:growth_bytes_24h',
      'dockstream:threshold:container_restarts_15m',
    ]);
    for (const t of thresholds) expect(t.expr).toMatch(/^vector\(\d+\)$/);
    for (const t of thresholds)
      expect(
        alerts.some((a) => a.expr.includes(`scalar(${t.record})`)),
        t.record,
      ).toBe(true);
    // No other literal byte counts in alert expressions (86400: the 24 h horizon in seconds).
    for (const a of alerts) expect(a.expr, a.alert).not.toMatch(/\d{6,}/);
  });
});
