/**
 * OTLP metric and attribute names → Prometheus names, by the rules Prometheus
 * itself applies to OTLP (prometheus/otlptranslator, "UnderscoreEscapingWithSuffixes",
 * the default of Prometheus's OTLP receiver and of the Collector's
 * `prometheus` / `prometheusremotewrite` exporters):
 *
 * 1. split the name on every character that is not a letter or digit;
 * 2. append the unit's Prometheus word (`By` → `bytes`, `ns` → `nanoseconds`,
 *    `s` → `seconds`, ...), unless a name token already is that word;
 *    annotations in braces (`{packets}`) are dropped; `X/Y` → `X_per_Y`;
 * 3. monotonic sums (counters) end in `_total` (a `total` token elsewhere is
 *    moved to the end), gauges with unit `1` end in `_ratio`;
 * 4. join with `_`.
 *
 * So `container.memory.usage.total` (By, non-monotonic) → `container_memory_usage_total_bytes`
 * and `container.cpu.usage.total` (ns, counter) → `container_cpu_usage_nanoseconds_total`.
 */
import type { MetricKind, MetricSpec } from '../otlp/catalog.js';

const UNIT_WORDS: Readonly<Record<string, string>> = {
  d: 'days',
  h: 'hours',
  min: 'minutes',
  s: 'seconds',
  ms: 'milliseconds',
  us: 'microseconds',
  ns: 'nanoseconds',
  By: 'bytes',
  KiBy: 'kibibytes',
  MiBy: 'mebibytes',
  GiBy: 'gibibytes',
  TiBy: 'tibibytes',
  KBy: 'kilobytes',
  MBy: 'megabytes',
  GBy: 'gigabytes',
  TBy: 'terabytes',
  m: 'meters',
  V: 'volts',
  A: 'amperes',
  J: 'joules',
  W: 'watts',
  g: 'grams',
  Cel: 'celsius',
  Hz: 'hertz',
  '%': 'percent',
};

const PER_UNIT_WORDS: Readonly<Record<string, string>> = {
  s: 'second',
  m: 'minute',
  h: 'hour',
  d: 'day',
  w: 'week',
  mo: 'month',
  y: 'year',
};

function tokens(text: string): string[] {
  return text.split(/[^A-Za-z0-9]+/).filter((t) => t !== '');
}

/** The unit's words: `By` → [bytes], `By/s` → [bytes, per, second], `{packets}` → []. */
function unitTokens(unit: string): string[] {
  const [main = '', per = ''] = unit.split('/', 2).map((u) => u.trim());
  const words = (u: string, map: Readonly<Record<string, string>>): string[] => (u === '' || u === '1' || /^\{.*\}$/.test(u) ? [] : tokens(map[u] ?? u));
  const perWords = words(per, PER_UNIT_WORDS);
  return [...words(main, UNIT_WORDS), ...(perWords.length > 0 ? ['per', ...perWords] : [])];
}

/** Prometheus type of an OTLP instrument kind: only monotonic sums are counters. */
export function promType(kind: MetricKind): 'counter' | 'gauge' {
  return kind === 'counter' ? 'counter' : 'gauge';
}

/** The Prometheus metric name of a catalog entry. */
export function promMetricName(spec: Pick<MetricSpec, 'name' | 'unit' | 'kind'>): string {
  let parts = tokens(spec.name);
  const unit = unitTokens(spec.unit);
  if (unit.length > 0 && !parts.includes(unit[0] as string)) parts.push(...unit);
  if (spec.kind === 'counter') parts = [...parts.filter((t) => t !== 'total'), 'total'];
  if (spec.unit === '1' && spec.kind === 'gauge') parts = [...parts.filter((t) => t !== 'ratio'), 'ratio'];
  const name = parts.join('_');
  return /^[0-9]/.test(name) ? `_${name}` : name;
}

/**
 * An attribute name as a Prometheus label name: every invalid character
 * becomes `_`; a leading digit gets `key_`, a single leading `_` gets `key`
 * (names starting `__` are reserved).
 */
export function promLabelName(attribute: string): string {
  const name = attribute.replace(/[^A-Za-z0-9_]/g, '_');
  if (/^[0-9]/.test(name)) return `key_${name}`;
  return name.startsWith('_') ? `key${name}` : name;
}
