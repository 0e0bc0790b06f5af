/**
 * Test helper: the docker CLI's size formatting, ported from docker/go-units
 * (`HumanSizeWithPrecision(size, precision)` = `fmt.Sprintf("%.*g%s", ...)` on
 * the size divided by 1000 until below 1000). Go's `%g` rounds the exact binary
 * value half-to-even, which `Number.toPrecision` does not, so the rounding is
 * done here on the exact decimal expansion (BigInt).
 */

const DECIMAL_UNITS = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];

/** Exact decimal digits of a finite positive double: value = 0.d1d2d3… × 10^pointPos. */
function exactDigits(x: number): { digits: string; pointPos: number } {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, x);
  const bits = view.getBigUint64(0);
  const expBits = Number((bits >> 52n) & 0x7ffn);
  const frac = bits & ((1n << 52n) - 1n);
  const mant = expBits === 0 ? frac : frac | (1n << 52n);
  const exp2 = (expBits === 0 ? 1 : expBits) - 1075;
  let intDigits: string;
  let scale: number; // value = intDigits × 10^-scale
  if (exp2 >= 0) {
    intDigits = (mant << BigInt(exp2)).toString();
    scale = 0;
  } else {
    // mant / 2^k = mant × 5^k / 10^k
    intDigits = (mant * 5n ** BigInt(-exp2)).toString();
    scale = -exp2;
  }
  const trimmed = intDigits.replace(/^0+/, '');
  return { digits: trimmed.replace(/0+$/, '') || '0', pointPos: trimmed.length - scale };
}

/** Go's `%.{prec}g` for a finite number. */
export function goFormatG(x: number, prec: number): string {
  if (x === 0) return '0';
  if (x < 0) return '-' + goFormatG(-x, prec);
  const p = prec === 0 ? 1 : prec;
  const { digits, pointPos } = exactDigits(x);
  let d = digits;
  let dp = pointPos;
  if (d.length > p) {
    const next = d.charCodeAt(p) - 48;
    const exactHalf = next === 5 && d.length === p + 1;
    const lastOdd = (d.charCodeAt(p - 1) - 48) % 2 === 1;
    const roundUp = next > 5 || (next === 5 && (!exactHalf || lastOdd));
    d = d.slice(0, p);
    if (roundUp) {
      const n = (BigInt(d) + 1n).toString();
      if (n.length > d.length) dp++;
      d = n.slice(0, p);
    }
  }
  d = d.replace(/0+$/, '') || '0';
  // strconv: eprec = prec, lowered to nd when the digits are all before the point.
  let eprec = p;
  if (eprec > d.length && d.length >= dp) eprec = d.length;
  const exp = dp - 1;
  if (exp < -4 || exp >= eprec) {
    const mantissa = d.length > 1 ? `${d[0]}.${d.slice(1)}` : d;
    const e = Math.abs(exp).toString().padStart(2, '0');
    return `${mantissa}e${exp < 0 ? '-' : '+'}${e}`;
  }
  if (dp <= 0) return `0.${'0'.repeat(-dp)}${d}`;
  if (dp >= d.length) return d + '0'.repeat(dp - d.length);
  return `${d.slice(0, dp)}.${d.slice(dp)}`;
}

/** go-units `HumanSizeWithPrecision`. */
export function humanSizeWithPrecision(size: number, precision: number): string {
  let value = size;
  let i = 0;
  while (value >= 1000 && i < DECIMAL_UNITS.length - 1) {
    value = value / 1000;
    i++;
  }
  return `${goFormatG(value, precision)}${DECIMAL_UNITS[i]}`;
}

/** go-units `HumanSize` (4 significant digits), what `docker system df` prints. */
export function humanSize(size: number): string {
  return humanSizeWithPrecision(size, 4);
}

/** The RECLAIMABLE column: `size (pct%)` when the row's size is > 0 (never for build cache). */
export function cliReclaimable(reclaimable: number, size: number, withPercent: boolean): string {
  if (withPercent && size > 0) {
    return `${humanSize(reclaimable)} (${(BigInt(reclaimable) * 100n) / BigInt(size)}%)`;
  }
  return humanSize(reclaimable);
}
