import { describe, expect, it } from 'vitest';
import { reclaimedBytes } from '../../../src/sources/docker-events/normalize.js';

describe('reclaimedBytes (prune events)', () => {
  it('reads the decimal reclaimed attribute', () => {
    expect(reclaimedBytes({ reclaimed: '5242880' })).toBe(5242880);
    expect(reclaimedBytes({ reclaimed: '0' })).toBe(0);
  });
  it('is undefined without a usable attribute', () => {
    expect(reclaimedBytes({})).toBeUndefined();
    expect(reclaimedBytes(undefined)).toBeUndefined();
    expect(reclaimedBytes({ reclaimed: '' })).toBeUndefined();
    expect(reclaimedBytes({ reclaimed: '12abc' })).toBeUndefined();
    expect(reclaimedBytes({ reclaimed: '-5' })).toBeUndefined();
  });
});
