import { SinkError } from '../../errors.js';

const HINTS: Record<string, string> = {
  EACCES: 'permission denied (fix ownership or mode of the directory)',
  EPERM: 'operation not permitted (fix ownership or mode of the directory)',
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EIO: 'I/O error',
  ENOTDIR: 'a parent of the path is not a directory',
  EISDIR: 'the path is a directory',
  EMFILE: 'too many open files',
  ENFILE: 'too many open files in the system',
};

/**
 * Every file system error is retryable: none is caused by the records
 * themselves, so dead-lettering would only move them to the same broken disk.
 * A full disk or a wrong mode is fixed by an operator; meanwhile the pipeline
 * backs off and its queue (and the events spool) holds the records.
 */
export function fileError(op: string, path: string, err: unknown): SinkError {
  if (err instanceof SinkError) return err;
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const hint = (code && HINTS[code]) ?? 'file system error';
  return new SinkError(`file sink cannot ${op} ${path}: ${hint}`, {
    retryable: true,
    cause: err,
    details: { op, path, code },
  });
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}
