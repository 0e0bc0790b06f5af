import type { HrTime } from '@opentelemetry/api';

const NANOS_PER_SECOND = 1_000_000_000n;
const RFC3339 = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d{1,9})\d*)?(Z|[+-]\d\d:\d\d)$/i;

/**
 * HrTime ([seconds, nanos]) from an exact decimal nanosecond string. Both parts
 * stay below 2^53, and the exporters' serializers write them without passing
 * through a lossy float (the daemon's `timeNano` is ~1.8e18, see design gotcha 3).
 */
export function nanosToHrTime(timeNano: string): HrTime {
  const ns = BigInt(timeNano);
  return [Number(ns / NANOS_PER_SECOND), Number(ns % NANOS_PER_SECOND)];
}

/** HrTime from RFC 3339 with up to nanosecond precision (digits beyond 9 are truncated). */
export function rfc3339ToHrTime(time: string): HrTime {
  const m = RFC3339.exec(time);
  if (!m) throw new Error(`not an RFC 3339 timestamp: "${time}"`);
  const ms = Date.parse(`${m[1]}${m[3]}`);
  if (Number.isNaN(ms)) throw new Error(`not an RFC 3339 timestamp: "${time}"`);
  return [Math.floor(ms / 1000), Number((m[2] ?? '').padEnd(9, '0'))];
}

/** Exact decimal nanoseconds of an HrTime (for descriptions and tests). */
export function hrTimeToNanos(time: HrTime): string {
  return (BigInt(time[0]) * NANOS_PER_SECOND + BigInt(time[1])).toString();
}

export function msToHrTime(ms: number): HrTime {
  return [Math.floor(ms / 1000), Math.round((ms % 1000) * 1_000_000)];
}
