import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DsError } from './errors.js';
import { STATE_DIR_MODE } from './util/atomic-write.js';

/**
 * The state directory must exist and be writable before anything is promised:
 * the cursor and spools live there. A clear error at start beats a crash loop.
 */
export function prepareStateDir(dir: string): void {
  const probe = join(dir, `.write-test-${process.pid}`);
  try {
    mkdirSync(dir, { recursive: true, mode: STATE_DIR_MODE });
    writeFileSync(probe, 'ok');
    rmSync(probe, { force: true });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new DsError('STATE_DIR', `state directory ${dir} is not writable (${code}); set state_dir to a writable directory`, {
      cause: err,
      details: { dir, code },
    });
  }
}
