import { open, rename, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Mode of the state files we write (cursor, spool position, alert state, dead letters): owner read/write only. */
export const STATE_FILE_MODE = 0o600;
/** Mode of the directories under the state directory. */
export const STATE_DIR_MODE = 0o700;

/**
 * Atomic file write, one helper for every small state file (cursor, spool
 * position, alert state): write a temp file, fsync it, rename it over
 * `path`, fsync the directory. A crash leaves either the old or the new
 * content, never a torn or empty file.
 */
export async function writeFileAtomic(path: string, text: string, mode: number = STATE_FILE_MODE): Promise<void> {
  const tmp = `${path}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(text);
    await fh.chmod(mode); // an existing temp file keeps its old mode otherwise
    await fh.sync();
  } catch (err) {
    await fh.close().catch(() => undefined);
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  await fh.close();
  await rename(tmp, path);
  const dir = await open(dirname(path), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
