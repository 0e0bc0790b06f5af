// Compiles a few of the tree's TypeScript modules (tsc, no type check) into a
// private folder under bench/.out, for a benchmark that imports them directly.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from './consumers.mjs';

/**
 * Compiles `files` (paths from the repository root) and their imports into
 * `outDir`, keeping the tree's layout; returns `load(path)`, which imports a
 * compiled module by its path below `outDir` (e.g. 'src/log.js').
 */
export function compileModules(outDir, files) {
  execFileSync(
    join(ROOT, 'node_modules', '.bin', 'tsc'),
    [
      '--outDir',
      outDir,
      '--rootDir',
      ROOT,
      '--module',
      'nodenext',
      '--moduleResolution',
      'nodenext',
      '--target',
      'es2022',
      '--skipLibCheck',
      '--noCheck',
      '--sourceMap',
      'false',
      ...files.map((f) => join(ROOT, f)),
    ],
    { stdio: 'inherit' },
  );
  return (path) => import(join(outDir, path));
}
