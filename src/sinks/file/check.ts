import { randomBytes } from 'node:crypto';
import { open, rm, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { errnoCode, fileError } from './errors.js';

/**
 * Proves that `path` can be written without leaving anything behind: probes
 * the nearest existing ancestor directory by creating and removing a file
 * (root passes `access()` checks, a read-only mount or a file in the way does
 * not pass this), and opens an existing target for appending.
 * Returns the size of the current file (0 when it does not exist yet).
 */
export async function checkWritable(path: string): Promise<number> {
  const target = resolve(path);
  const existing = await statOrNull(target);
  if (existing?.isDirectory()) throw fileError('write', target, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));

  let dir = dirname(target);
  for (;;) {
    const st = await statOrNull(dir);
    if (st) {
      if (!st.isDirectory()) {
        throw fileError('create directories for', target, Object.assign(new Error(`${dir} is not a directory`), { code: 'ENOTDIR' }));
      }
      break;
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }

  const probe = join(dir, `.dockstream-check-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    await (await open(probe, 'wx')).close();
  } catch (err) {
    throw fileError('write into', dir, err);
  } finally {
    await rm(probe, { force: true }).catch(() => undefined);
  }
  if (existing) {
    try {
      await (await open(target, 'a')).close();
    } catch (err) {
      throw fileError('append to', target, err);
    }
  }
  return existing?.size ?? 0;
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    if (errnoCode(err) === 'ENOTDIR') {
      // A regular file somewhere up the path: report it from the ancestor walk.
      return null;
    }
    throw fileError('stat', path, err);
  }
}
