import { readdir } from 'node:fs/promises';

/**
 * Rotated file names: `<base>.<YYYYMMDDTHHMMSS.mmmZ>` (UTC, the moment the file
 * was rotated), plus `.gz` once compressed (`.gz.tmp` while compressing).
 * The stamp is fixed-width and strictly increasing (bumped by 1 ms when two
 * rotations fall in the same millisecond or the clock stepped back), so a
 * plain lexical sort of the names is time order, compressed or not.
 */
export function formatStamp(ms: number): string {
  // 2024-05-01T12:00:00.123Z -> 20240501T120000.123Z
  return new Date(ms).toISOString().replace(/[-:]/g, '');
}

export function parseStamp(stamp: string): number | null {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})\.(\d{3})Z$/.exec(stamp);
  if (!m) return null;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number) as [number, number, number, number, number, number, number];
  return Date.UTC(y, mo - 1, d, h, mi, s, ms);
}

export function rotatedName(base: string, ms: number): string {
  return `${base}.${formatStamp(ms)}`;
}

/** One rotated file, in whatever states its names are found on disk. */
export interface RotatedEntry {
  /** `<base>.<stamp>`: the plain name. */
  readonly stem: string;
  readonly ms: number;
  plain: boolean;
  gz: boolean;
  /** A `.gz.tmp` left by an interrupted compression. */
  tmp: boolean;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Rotated files of `base` in `dir`, oldest first. */
export async function listRotated(dir: string, base: string): Promise<RotatedEntry[]> {
  const re = new RegExp(`^(${escapeRegExp(base)}\\.(\\d{8}T\\d{6}\\.\\d{3}Z))(\\.gz|\\.gz\\.tmp)?$`);
  const byStem = new Map<string, RotatedEntry>();
  for (const name of await readdir(dir)) {
    const m = re.exec(name);
    if (!m) continue;
    const stem = m[1] as string;
    const ms = parseStamp(m[2] as string);
    if (ms === null) continue;
    let entry = byStem.get(stem);
    if (!entry) {
      entry = { stem, ms, plain: false, gz: false, tmp: false };
      byStem.set(stem, entry);
    }
    if (m[3] === undefined) entry.plain = true;
    else if (m[3] === '.gz') entry.gz = true;
    else entry.tmp = true;
  }
  return [...byStem.values()].sort((a, b) => a.ms - b.ms);
}
