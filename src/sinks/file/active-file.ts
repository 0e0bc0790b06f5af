import { mkdir, open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { fileError } from './errors.js';

/**
 * The file being appended to. Keeps a running byte count (no stat per write)
 * and the time its first line was written (for `max_age`).
 */
export class ActiveFile {
  /** Bytes in the file that hold complete lines. */
  bytes: number;
  /** When the oldest line in the file was written; null while empty. */
  startedAt: number | null;
  private dirty = false;

  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
    bytes: number,
    startedAt: number | null,
  ) {
    this.bytes = bytes;
    this.startedAt = startedAt;
  }

  /** Opens (creating directories and the file) for appending. */
  static async open(path: string, mode: number): Promise<ActiveFile> {
    let handle: FileHandle;
    try {
      await mkdir(dirname(path), { recursive: true });
      handle = await open(path, 'a', mode);
      await handle.chmod(mode).catch(async (err: unknown) => {
        await handle.close().catch(() => undefined);
        throw err;
      });
    } catch (err) {
      throw fileError('open', path, err);
    }
    try {
      const st = await handle.stat();
      // An existing file (agent restart): its age counts from its creation.
      const startedAt = st.size > 0 ? (st.birthtimeMs > 0 ? st.birthtimeMs : st.mtimeMs) : null;
      return new ActiveFile(path, handle, st.size, startedAt);
    } catch (err) {
      await handle.close().catch(() => undefined);
      throw fileError('stat', path, err);
    }
  }

  /**
   * Appends whole lines. On failure the file is truncated back to its last
   * complete line, so a retried batch never leaves a torn or doubled line.
   */
  async append(data: Buffer, now: number): Promise<void> {
    let offset = 0;
    try {
      while (offset < data.length) {
        const { bytesWritten } = await this.handle.write(data, offset, data.length - offset, null);
        offset += bytesWritten;
      }
    } catch (err) {
      if (offset > 0) await this.handle.truncate(this.bytes).catch(() => undefined);
      throw fileError('write', this.path, err);
    }
    this.bytes += data.length;
    this.startedAt ??= now;
    this.dirty = true;
  }

  /** fdatasync when something was written since the last one. */
  async sync(): Promise<void> {
    if (!this.dirty) return;
    try {
      await this.handle.datasync();
    } catch (err) {
      throw fileError('fsync', this.path, err);
    }
    this.dirty = false;
  }

  async close(): Promise<void> {
    try {
      await this.handle.close();
    } catch (err) {
      throw fileError('close', this.path, err);
    }
  }
}
