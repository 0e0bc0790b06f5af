/** Human durations and sizes in config: `10s`, `5m`, `1h30m`, `250ms`; `100MiB`, `10GB`, `512`. */

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds, or null when the text is not a duration. */
export function parseDuration(text: string): number | null {
  const s = text.trim();
  if (s === '0') return 0;
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) {
    total += Number(m[1]) * (DURATION_UNITS[m[2] as string] as number);
    matched = re.lastIndex;
  }
  return matched === s.length && s.length > 0 ? total : null;
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  m: 1e6,
  mb: 1e6,
  g: 1e9,
  gb: 1e9,
  t: 1e12,
  tb: 1e12,
  ki: 1024,
  kib: 1024,
  mi: 1024 ** 2,
  mib: 1024 ** 2,
  gi: 1024 ** 3,
  gib: 1024 ** 3,
  ti: 1024 ** 4,
  tib: 1024 ** 4,
};

/** Bytes, or null when the text is not a size. */
export function parseSize(text: string): number | null {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) return null;
  const unit = SIZE_UNITS[(m[2] ?? '').toLowerCase()];
  return unit === undefined ? null : Math.round(Number(m[1]) * unit);
}

/** The last whole second formatted: events come in bursts within one second. */
let lastSecond = '';
let lastSecondText = '';

/**
 * RFC 3339 with nanoseconds from a decimal nanosecond string (exact). String
 * slicing, with Date only for the first time of each second: this runs for
 * every event.
 */
export function nanosToRfc3339(timeNano: string): string {
  const digits = timeNano.padStart(10, '0');
  const sec = digits.slice(0, -9);
  if (sec !== lastSecond) {
    lastSecondText = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
    lastSecond = sec;
  }
  return `${lastSecondText}.${digits.slice(-9)}Z`;
}

/** RFC 3339 with nanoseconds for "now" (ms precision, zero-padded). */
export function nowRfc3339(): string {
  return msToRfc3339(Date.now());
}

export function msToRfc3339(ms: number): string {
  const iso = new Date(ms).toISOString();
  return iso.slice(0, 23) + '000000Z';
}

/** `sec.nanos` form for the daemon's `since`/`until` from a nanosecond string. */
export function nanosToSinceParam(timeNano: string): string {
  const ns = BigInt(timeNano);
  return `${ns / 1_000_000_000n}.${(ns % 1_000_000_000n).toString().padStart(9, '0')}`;
}

/** Nanoseconds since epoch (decimal string) from RFC 3339 with up to 9 fraction digits and any offset; null if unparsable. */
export function rfc3339ToNanos(text: string): string | null {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text.trim());
  if (!m) return null;
  const secondsMs = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(secondsMs)) return null;
  const frac = (m[2] ?? '').padEnd(9, '0');
  return (BigInt(secondsMs) * 1_000_000n + BigInt(frac)).toString();
}

/**
 * Orders two `timeNano` decimal strings without BigInt (this runs for every
 * event). Both must be canonical (no leading zeros: the daemon's JSON numbers,
 * or normalised once with BigInt when read from elsewhere), so a longer
 * string is a larger number.
 */
export function compareNanos(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The inverse of parseDuration for config output: the largest unit that is exact (`5m`, `10s`, `250ms`). */
export function formatDuration(ms: number): string | number {
  if (ms === 0) return 0;
  for (const [unit, size] of [
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

/** The inverse of parseSize for config output: the largest binary unit that is exact (`64MiB`), else bytes. */
export function formatSize(bytes: number): string | number {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes > 0 && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return bytes;
}
