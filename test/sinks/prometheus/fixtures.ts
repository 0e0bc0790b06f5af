// Helpers of the real-Prometheus test: the test copy of the shipped rules,
// the shipped dashboard's queries, and reading the exporter.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const DEPLOY = join(import.meta.dirname, '../../../deploy');

/**
 * The shipped rules with a 1 MiB reclaimable threshold and 1 s hold times:
 * two plain substitutions (thresholds and `for:` each live in one spot).
 */
export function testRules(): string {
  const shipped = readFileSync(join(DEPLOY, 'prometheus/dockstream.rules.yml'), 'utf8');
  const lowered = shipped.replace(
    /(record: dockstream:threshold:reclaimable_bytes\n\s+expr: )vector\(\d+\)/,
    '$1vector(1048576)',
  );
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
