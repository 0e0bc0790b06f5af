import { describe, expect, it } from 'vitest';
import { compareNanos, nanosToRfc3339, nanosToSinceParam, rfc3339ToNanos } from '../../src/util/units.js';

describe('nanosecond time text', () => {
  it('formats exactly, across second boundaries and below one second', () => {
    expect(nanosToRfc3339('1795424608911313377')).toBe('2026-11-23T09:03:28.911313377Z');
    expect(nanosToRfc3339('1795424607999999999')).toBe('2026-11-23T09:03:27.999999999Z');
    expect(nanosToRfc3339('1795424608000000001')).toBe('2026-11-23T09:03:28.000000001Z');
    expect(nanosToRfc3339('999999999')).toBe('1970-01-01T00:00:00.999999999Z');
    expect(nanosToRfc3339('0')).toBe('1970-01-01T00:00:00.000000000Z');
  });

  it('round-trips with rfc3339ToNanos and the since parameter', () => {
    const t = '1795424608911313377';
    expect(rfc3339ToNanos(nanosToRfc3339(t))).toBe(t);
    expect(nanosToSinceParam(t)).toBe('1795424608.911313377');
  });

  it('orders canonical digit strings like the numbers they spell', () => {
    expect(compareNanos('999999999999999999', '1000000000000000000')).toBeLessThan(0);
    expect(compareNanos('1795424608911313378', '1795424608911313377')).toBeGreaterThan(0);
    expect(compareNanos('1795424608911313377', '1795424608911313377')).toBe(0);
  });
});
