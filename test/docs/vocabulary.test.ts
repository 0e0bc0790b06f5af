// One vocabulary (docs/metrics.md): components are named one way everywhere,
// and the docs' lists of which metrics carry a `component` label and which a
// bare `sink` / `source` name are the agent's registry.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES } from '../../src/errors.js';
import { componentName, GAP_REASONS } from '../../src/records.js';
import { DROP_REASONS, MALFORMED_REASONS, SelfMetrics, SKIP_REASONS } from '../../src/telemetry/metrics.js';
import { READMES } from './readmes.js';

const metricsDoc = readFileSync('docs/metrics.md', 'utf8');

/** The text of the docs/metrics.md section whose heading starts with `heading`. */
function section(heading: string): string {
  const at = metricsDoc.indexOf(`\n## ${heading}`);
  expect(at, `docs/metrics.md has a "## ${heading}" section`).toBeGreaterThan(-1);
  const end = metricsDoc.indexOf('\n## ', at + 1);
  return metricsDoc.slice(at, end === -1 ? undefined : end);
}

/** Does a backticked name in `text` (`*` a wildcard) cover `metric`? */
function covers(text: string, metric: string): boolean {
  return [...text.matchAll(/`(dockstream_[a-z_*]+)`/g)].some(([, pattern]) => new RegExp(`^${(pattern as string).replaceAll('*', '[a-z_]*')}$`).test(metric));
}

const readmes = READMES;

describe('component names', () => {
  it('are source:<name>, sink:<name>, docker and telemetry', () => {
    expect([componentName('source', 'events'), componentName('sink', 'kafka'), componentName('docker'), componentName('telemetry')]).toEqual([
      'source:events',
      'sink:kafka',
      'docker',
      'telemetry',
    ]);
  });

  it("docs/metrics.md lists, from the agent's registry, every metric labelled by component and every one labelled by a bare sink or source name", async () => {
    const text = section('Components');
    const [byComponent = '', byKind = ''] = text.split('A metric that only ever concerns one kind');
    const metrics = new SelfMetrics();
    const labelled = (await metrics.registry.getMetricsAsJSON()).map((m) => {
      const labels = new Set<string>();
      // prom-client keeps a metric's label names on the metric object.
      for (const l of (metrics.registry.getSingleMetric(m.name) as unknown as { labelNames: string[] }).labelNames) labels.add(l);
      return { name: m.name, labels };
    });
    const component = labelled.filter((m) => m.labels.has('component')).map((m) => m.name);
    const bare = labelled.filter((m) => m.labels.has('sink') || m.labels.has('source')).map((m) => m.name);
    expect(component.sort()).toEqual(['dockstream_dropped_records_total', 'dockstream_last_success_timestamp_seconds']);
    expect(component.filter((m) => !covers(byComponent, m))).toEqual([]);
    expect(bare.filter((m) => !covers(byKind, m))).toEqual([]);
    expect(labelled.filter((m) => m.labels.has('component') && (m.labels.has('sink') || m.labels.has('source')))).toEqual([]);
  });

  it('every gap sample in the READMEs names its component that way', () => {
    let samples = 0;
    for (const file of readmes) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (!line.includes('"kind":"gap"')) continue;
        samples++;
        expect({ file, component: /"component":"([^"]+)"/.exec(line)?.[1] }).toEqual({ file, component: expect.stringMatching(/^(source|sink):[a-z0-9_-]+$/) });
      }
    }
    expect(samples).toBeGreaterThanOrEqual(2);
  });
});

describe('reason words', () => {
  it('docs/metrics.md lists each one once: gap, drop, skip and malformed-input reasons', () => {
    const rows = [...section('Reasons').matchAll(/^\| `([a-z_]+)` \|/gm)].map(([, word]) => word);
    const words = [...new Set<string>([...GAP_REASONS, ...DROP_REASONS, ...SKIP_REASONS, ...MALFORMED_REASONS])];
    expect([...rows].sort()).toEqual(words.sort());
  });

  it('a sink buffer says the same word in the drop counter and in the gap', () => {
    for (const word of ['queue_full', 'spool_full'] as const) {
      expect(GAP_REASONS).toContain(word);
      expect(DROP_REASONS).toContain(word);
    }
  });

  it('every gap sample in the READMEs says one of the gap reasons', () => {
    for (const file of readmes) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        if (line.includes('"kind":"gap"'))
          expect({ file, reason: /"reason":"([^"]+)"/.exec(line)?.[1] }).toEqual({ file, reason: expect.toBeOneOf([...GAP_REASONS]) });
      }
    }
  });
});

describe('error codes', () => {
  it('docs/metrics.md lists each one once', () => {
    const rows = [...section('Error codes').matchAll(/^\| `([A-Z_]+)` \|/gm)].map(([, code]) => code);
    expect([...rows].sort()).toEqual([...ERROR_CODES].sort());
  });
});
