/** A run of consecutive lines written with one write, into a fresh file when `rotateBefore`. */
export interface Segment {
  readonly from: number;
  readonly to: number;
  readonly rotateBefore: boolean;
}

/**
 * Splits a batch's lines (by their byte sizes) so that no file grows past
 * `maxSize`: rotation happens between lines, never inside one. A single line
 * larger than `maxSize` gets a file of its own. `maxSize` 0 means no limit.
 */
export function planSegments(sizes: readonly number[], currentBytes: number, maxSize: number): Segment[] {
  if (sizes.length === 0) return [];
  if (maxSize <= 0) return [{ from: 0, to: sizes.length, rotateBefore: false }];
  const segments: Segment[] = [];
  let from = 0;
  let rotateBefore = false;
  let bytes = currentBytes;
  for (let i = 0; i < sizes.length; i++) {
    const size = sizes[i] as number;
    if (bytes > 0 && bytes + size > maxSize) {
      if (i > from) segments.push({ from, to: i, rotateBefore });
      from = i;
      rotateBefore = true;
      bytes = 0;
    }
    bytes += size;
  }
  segments.push({ from, to: sizes.length, rotateBefore });
  return segments;
}
