import { describe, expect, it } from 'vitest';
import { goFormatG, humanSize, humanSizeWithPrecision } from './cli-format.js';

describe('CLI size formatting port (go-units HumanSize)', () => {
  // Expected strings printed by docker CLI 28.2 for a volume of that size.
  const printedByCli: Array<[number, string]> = [
    [0, '0B'],
    [1, '1B'],
    [999, '999B'],
    [1000, '1kB'],
    [2500, '2.5kB'],
    // 100.25 is exact in binary: Go rounds the tie to even; toPrecision would give 100.3.
    [100250, '100.2kB'],
    [100150, '100.2kB'],
    [999949, '999.9kB'],
    [999950, '1000kB'],
    [1048576, '1.049MB'],
    [1234500, '1.234MB'],
    [5242880, '5.243MB'],
    [12345678, '12.35MB'],
    [999999999999, '1000GB'],
  ];
  it.each(printedByCli)('%d bytes -> %s', (bytes, text) => {
    expect(humanSize(bytes)).toBe(text);
  });

  it('uses three digits where the CLI does (docker system df -v image sizes)', () => {
    expect(humanSizeWithPrecision(1048576, 3)).toBe('1.05MB');
    expect(humanSizeWithPrecision(1982305, 3)).toBe('1.98MB');
  });

  it('formats like Go %g for exponents and negatives', () => {
    expect(goFormatG(12345, 4)).toBe('1.234e+04');
    expect(goFormatG(-1234, 4)).toBe('-1234');
    expect(goFormatG(0.5, 4)).toBe('0.5');
    expect(goFormatG(0.00001234, 4)).toBe('1.234e-05');
    expect(humanSize(-2097152)).toBe('-2.097e+06B');
  });
});
