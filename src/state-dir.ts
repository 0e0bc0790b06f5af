import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DsError } from './errors.js';
import type { Logger } from './log.js';
import { STATE_DIR_MODE } from './util/atomic-write.js';

/** The default state_dir (schema default, shipped config.yaml, systemd StateDirectory=, the image). */
export const DEFAULT_STATE_DIR = '/var/lib/dockstream';

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

/** `$XDG_STATE_HOME/dockstream`, else `~/.local/state/dockstream`. */
export function userStateDir(env: NodeJS.ProcessEnv): string {
  return join(env['XDG_STATE_HOME'] || join(env['HOME'] || homedir(), '.local', 'state'), 'dockstream');
}

/**
 * Prepares `dir` and returns the directory to use. Only the default one falls
 * back to the per-user directory (a non-root first run); a state_dir the
 * operator chose is used or reported, never silently replaced.
 */
export function chooseStateDir(dir: string, env: NodeJS.ProcessEnv, log: Logger): string {
  try {
    prepareStateDir(dir);
    return dir;
  } catch (err) {
    if (dir !== DEFAULT_STATE_DIR || !(err instanceof DsError)) throw err;
    const fallback = userStateDir(env);
    prepareStateDir(fallback);
    log.warn({ state_dir: fallback, default: dir, reason: err.details['code'] }, 'default state directory is not writable; using the per-user one');
    return fallback;
  }
}
