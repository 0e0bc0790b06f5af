// Small helpers for the results files (bench/results/<name>.md): tables,
// number formats, the machine line, and a target's met/missed verdict.
import { machine } from './proc.mjs';

/** A GitHub markdown table; `align` per column: 'l' or 'r' (default 'r' after the first column). */
export function table(headers, rows, align = headers.map((_, i) => (i === 0 ? 'l' : 'r'))) {
  const line = (cells) => `| ${cells.map((c) => String(c ?? '')).join(' | ')} |`;
  return [line(headers), line(align.map((a) => (a === 'l' ? ':--' : '--:'))), ...rows.map(line)].join('\n');
}

/** 12345.6 → "12,346"; digits after the point on request. */
export function num(x, digits = 0) {
  if (x === null || x === undefined || Number.isNaN(x)) return 'n/a';
  return x.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** The machine, for the top of a results section. */
export function machineLine() {
  const m = machine();
  return `${m.cores} cores (${m.model}), ${m.memGiB} GiB RAM, Linux ${m.kernel}, Node ${m.node}`;
}

/**
 * "met (by 12%)" / "missed by 40% (...)": `value` against `target`, where
 * `higherIsBetter` says which way the target points.
 */
export function verdict(value, target, higherIsBetter) {
  if (value === null || value === undefined || Number.isNaN(value)) return 'not measured';
  const met = higherIsBetter ? value >= target : value <= target;
  const pct = Math.abs(((value - target) / target) * 100);
  return met ? `**met** (by ${num(pct)}%)` : `**missed** by ${num(pct)}%`;
}
