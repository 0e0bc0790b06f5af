import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** The README and every source and sink README. */
export const READMES = ['README.md', ...['src/sources', 'src/sinks'].flatMap((d) => readdirSync(d).map((n) => join(d, n, 'README.md')))].filter((f) =>
  existsSync(f),
);
