import { describe, expect, it } from 'vitest';
import { planSegments } from '../../../src/sinks/file/segments.js';

describe('planSegments', () => {
  it('keeps a batch that fits in one segment', () => {
    expect(planSegments([10, 10, 10], 50, 100)).toEqual([{ from: 0, to: 3, rotateBefore: false }]);
  });

  it('rotates between lines when the batch crosses max_size', () => {
    expect(planSegments([40, 40, 40, 40], 0, 100)).toEqual([
      { from: 0, to: 2, rotateBefore: false },
      { from: 2, to: 4, rotateBefore: true },
    ]);
  });

  it('rotates before the first line when it does not fit the current file', () => {
    expect(planSegments([30, 30], 90, 100)).toEqual([{ from: 0, to: 2, rotateBefore: true }]);
  });

  it('gives an oversized line a file of its own', () => {
    expect(planSegments([10, 500, 10], 0, 100)).toEqual([
      { from: 0, to: 1, rotateBefore: false },
      { from: 1, to: 2, rotateBefore: true },
      { from: 2, to: 3, rotateBefore: true },
    ]);
    expect(planSegments([500], 0, 100)).toEqual([{ from: 0, to: 1, rotateBefore: false }]);
  });

  it('fills a file exactly to max_size', () => {
    expect(planSegments([50, 50, 1], 0, 100)).toEqual([
      { from: 0, to: 2, rotateBefore: false },
      { from: 2, to: 3, rotateBefore: true },
    ]);
  });

  it('does not split without a limit, and plans nothing for no lines', () => {
    expect(planSegments([10, 10], 1e9, 0)).toEqual([{ from: 0, to: 2, rotateBefore: false }]);
    expect(planSegments([], 0, 100)).toEqual([]);
  });
});
