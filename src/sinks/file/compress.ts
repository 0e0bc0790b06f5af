import { createReadStream, createWriteStream } from 'node:fs';
import { chmod, rename, rm, stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';

/**
 * Gzips `src` into `src.gz` and removes `src`. Streams through zlib (off the
 * event loop, never holding the file in memory) into `src.gz.tmp`, flushed to
 * disk before the rename, so a crash leaves either the plain file or a
 * complete `.gz`, never a truncated one under the final name.
 */
export async function gzipFile(src: string): Promise<void> {
  const tmp = `${src}.gz.tmp`;
  try {
    // The .gz keeps the permissions of the file it replaces.
    const { mode } = await stat(src);
    await pipeline(createReadStream(src), createGzip(), createWriteStream(tmp, { flush: true, mode: mode & 0o777 }));
    await chmod(tmp, mode & 0o777); // whatever the umask
    await rename(tmp, `${src}.gz`);
  } catch (err) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw err;
  }
  await rm(src, { force: true });
}
