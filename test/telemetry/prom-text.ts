// A small, strict parser of the Prometheus text exposition format (0.0.4),
// written for the tests: it throws on any line a Prometheus server would
// reject, so "/metrics parses" means something.

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly type: string;
  readonly help: string;
  readonly samples: Sample[];
}

const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
const LABEL = '[a-zA-Z_][a-zA-Z0-9_]*';
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);
const SUFFIXES: Readonly<Record<string, readonly string[]>> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['_sum', '_count'],
};

function parseValue(text: string, line: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) throw new Error(`bad sample value "${text}" in: ${line}`);
  return Number(text);
}

function unescapeLabel(v: string): string {
  return v.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
}

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = new RegExp(`\\s*(${LABEL})="((?:[^"\\\\\\n]|\\\\[\\\\"n])*)"\\s*(,|$)`, 'y');
  let pos = 0;
  while (pos < text.length) {
    re.lastIndex = pos;
    const m = re.exec(text);
    if (!m) throw new Error(`bad labels in: ${line}`);
    const [, key = '', value = ''] = m;
    if (key in labels) throw new Error(`duplicate label ${key} in: ${line}`);
    labels[key] = unescapeLabel(value);
    pos = re.lastIndex;
  }
  return labels;
}

/** Which declared family a sample name belongs to (histogram `_bucket` etc. included). */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const direct = families.get(name);
  if (direct) return direct;
  for (const f of families.values()) {
    for (const suffix of SUFFIXES[f.type] ?? []) if (name === f.name + suffix) return f;
  }
  return undefined;
}

/** Parses a whole exposition; throws with the offending line on any error. */
export function parsePrometheusText(text: string): Map<string, Family> {
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('exposition must end with a newline');
  const families = new Map<string, Family>();
  const helps = new Map<string, string>();
  const sampleRe = new RegExp(`^(${NAME})(?:\\{(.*)\\})?\\s+(\\S+)(?:\\s+(-?\\d+))?$`);
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = new RegExp(`^#\\s+(HELP|TYPE)\\s+(${NAME})\\s*(.*)$`).exec(line);
      if (!m) continue; // other comments are allowed
      const [, kind, name = '', rest = ''] = m;
      if (kind === 'HELP') {
        helps.set(name, rest);
      } else {
        if (!TYPES.has(rest)) throw new Error(`unknown metric type in: ${line}`);
        if (families.has(name)) throw new Error(`TYPE declared twice: ${line}`);
        families.set(name, { name, type: rest, help: helps.get(name) ?? '', samples: [] });
      }
      continue;
    }
    const m = sampleRe.exec(line);
    if (!m) throw new Error(`unparseable sample line: ${line}`);
    const [, name = '', labelText = '', valueText = ''] = m;
    const family = familyOf(name, families);
    if (!family) throw new Error(`sample without a TYPE line: ${line}`);
    family.samples.push({ name, labels: parseLabels(labelText, line), value: parseValue(valueText, line) });
  }
  return families;
}

/** The value of the sample `name` whose labels include `labels`; undefined when absent. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number | undefined {
  const family = familyOf(name, families);
  const s = family?.samples.find((x) => x.name === name && Object.entries(labels).every(([k, v]) => x.labels[k] === v));
  return s?.value;
}
