import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';

/** Rotated files of `base` in name order (= time order), then the current file. */
export function filesInOrder(dir: string, base: string): string[] {
  const rotated = readdirSync(dir)
    .filter((n) => n.startsWith(`${base}.`))
    .sort();
  const current = readdirSync(dir).includes(base) ? [base] : [];
  return [...rotated, ...current];
}

/** A file's text, gunzipped when it ends in `.gz`. */
export function readText(dir: string, name: string): string {
  const raw = readFileSync(join(dir, name));
  return (name.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
}

/** All lines written under `base`, oldest first. */
export function readAll(dir: string, base: string): string {
  return filesInOrder(dir, base)
    .map((n) => readText(dir, n))
    .join('');
}
