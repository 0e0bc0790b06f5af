// Helpers of the real-Prometheus test: the test copy of the shipped rules,
// the shipped dashboard's queries, and reading the exporter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DsRecord } from '../../../src/records.js';
import { alertRecord, containerEvent, DB, diskUsageRecord, gapRecord, inventoryRecord, nanosAfter, rfc3339, statsRecord, WEB } from '../../harness/records.js';
import { byJson } from '../contract.js';

const DEPLOY = join(import.meta.dirname, '../../../deploy');

/**
 * The shipped rules with a 1 MiB reclaimable threshold and 1 s hold times:
 * two plain substitutions (thresholds and `for:` each live in one spot).
 */
export function testRules(): string {
  const shipped = readFileSync(join(DEPLOY, 'prometheus/dockstream.rules.yml'), 'utf8');
  const lowered = shipped.replace(/(record: dockstream:threshold:reclaimable_bytes\n\s+expr: )vector\(\d+\)/, '$1vector(1048576)');
  if (lowered === shipped) throw new Error('threshold record not found in the shipped rules');
  return lowered.replace(/^(\s+)for: \d+[smh]$/gm, '$1for: 1s');
}

export interface PanelQuery {
  readonly panel: string;
  readonly expr: string;
}

interface Dashboard {
  readonly templating: { readonly list: readonly { readonly name: string; readonly type: string }[] };
  readonly annotations: { readonly list: readonly { readonly name: string; readonly expr: string }[] };
  readonly panels: readonly { readonly title: string; readonly type: string; readonly targets?: readonly { readonly expr: string }[] }[];
}

export function dashboard(): Dashboard {
  return JSON.parse(readFileSync(join(DEPLOY, 'grafana/dockstream.json'), 'utf8')) as Dashboard;
}

/** Every panel target (and annotation) with the template variables replaced by `values`. */
export function dashboardQueries(values: Readonly<Record<string, string>>): PanelQuery[] {
  const d = dashboard();
  const substitute = (expr: string): string =>
    expr.replace(/\$(__rate_interval|[a-z_]+)\b/g, (whole, name: string) => {
      const v = values[name];
      if (v === undefined) throw new Error(`no value for template variable ${whole} in: ${expr}`);
      return v;
    });
  const panels = d.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: substitute(t.expr) })));
  const annotations = d.annotations.list.map((a) => ({ panel: `annotation ${a.name}`, expr: substitute(a.expr) }));
  return [...panels, ...annotations];
}

/** The exporter's text lines that mention `needle` (samples only, no comments). */
export async function exporterLines(url: string, needle: string): Promise<string[]> {
  const text = await (await fetch(url)).text();
  return text.split('\n').filter((l) => !l.startsWith('#') && l.includes(needle));
}

// The sink contract's view of the Prometheus sinks' series (test/sinks/contract.ts):
// one value per record, named and labelled as docs/metrics.md says.

/** Series the contract checks, with the label that tells their samples apart. */
const CONTRACT_SERIES: Readonly<Record<string, (labels: Readonly<Record<string, string>>) => string | undefined>> = {
  container_memory_usage_total_bytes: (l) => l['container_id'],
  docker_disk_size_bytes: (l) => l['docker_disk_object_type'],
  docker_events_total: (l) => `${l['type']}/${l['action']}`,
  dockstream_alert_firing: (l) => l['rule'],
};

export interface SeriesValue {
  readonly name: string;
  readonly key: string | undefined;
  readonly value: number;
}

/** The `__name__` selector of the series the contract checks (PromQL). */
export const CONTRACT_NAMES = Object.keys(CONTRACT_SERIES).join('|');

/** Samples (exposition or query results) as the contract compares them, sorted. */
export function contractSeries(samples: readonly { name: string; labels: Readonly<Record<string, string>>; value: number }[]): SeriesValue[] {
  return samples
    .filter((s) => s.name in CONTRACT_SERIES)
    .map((s) => ({ name: s.name, key: CONTRACT_SERIES[s.name]?.(s.labels), value: s.value }))
    .sort(byJson);
}

/** What the series must show after `batch`: restated from the records, not computed by the sinks' mapper. */
export function expectedSeries(batch: readonly DsRecord[]): SeriesValue[] {
  const out: SeriesValue[] = [];
  const events = new Map<string, number>();
  for (const r of batch) {
    if (r.kind === 'stats') out.push({ name: 'container_memory_usage_total_bytes', key: r.container.id, value: r.memory.usage_bytes });
    if (r.kind === 'disk_usage') {
      for (const [type, entry] of Object.entries(r.types)) out.push({ name: 'docker_disk_size_bytes', key: type, value: entry.size_bytes });
    }
    if (r.kind === 'alert') out.push({ name: 'dockstream_alert_firing', key: r.rule, value: r.state === 'firing' ? 1 : 0 });
    if (r.kind === 'event') events.set(`${r.type}/${r.action}`, (events.get(`${r.type}/${r.action}`) ?? 0) + 1);
  }
  for (const [key, value] of events) out.push({ name: 'docker_events_total', key, value });
  return out.sort(byJson);
}

/** Records of every kind, stamped now (a remote-write receiver refuses old samples); no die or destroy (they end series). */
export function recentBatch(): DsRecord[] {
  const now = BigInt(Date.now()) * 1_000_000n;
  const time = rfc3339(now.toString());
  return [
    containerEvent(WEB, { action: 'create', time_nano: now.toString() }),
    containerEvent(WEB, { action: 'start', time_nano: nanosAfter(1, now.toString()) }),
    containerEvent(DB, { action: 'start', time_nano: nanosAfter(2, now.toString()) }),
    statsRecord({ container: WEB, time }),
    statsRecord({ container: DB, time, memory: { ...statsRecord().memory, usage_bytes: 1_234_567 } }),
    diskUsageRecord({ time }),
    alertRecord({ time }),
    gapRecord({ time }),
    inventoryRecord({ time }),
  ];
}
