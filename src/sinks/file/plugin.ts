import { z } from 'zod';
import { duration, size } from '../../config/types.js';
import type { SinkContext, SinkPlugin } from '../../pipeline/types.js';
import { FileSink } from './sink.js';

const options = z.object({
  /** The file appended to; directories are created. Rotated files go next to it. */
  path: z.string().min(1),
  /** Rotate before the file would grow past this size (between lines). 0 or absent: never. */
  max_size: size().optional(),
  /** Rotate once the oldest line in the file is this old. 0 or absent: never. */
  max_age: duration().optional(),
  /** Rotated files kept (oldest deleted first); the current file does not count. */
  max_files: z.number().int().nonnegative().default(5),
  /** Gzip rotated files in the background (`<rotated>.gz`). */
  compress: z.boolean().default(false),
  /** never: leave it to the OS; batch: a send resolves after fdatasync; interval: fdatasync every fsync_interval. */
  fsync: z.enum(['never', 'batch', 'interval']).default('interval'),
  /** Permissions of the files written (current and rotated), as an octal string: "0640" (default), "0600", "0644". */
  mode: z
    .union([z.string().regex(/^0?[0-7]{3}$/, 'an octal mode such as "0640" (quote it in YAML)').transform((s) => parseInt(s, 8)), z.number().int().min(0).max(0o777)])
    .default(0o640),
  fsync_interval: duration()
    .refine((ms) => ms > 0, 'fsync_interval must be more than 0')
    .default(1000),
});
export type FileSinkOptions = z.output<typeof options>;

/** Internal constructor: tests may pass a clock. */
export function createFileSink(name: string, opts: FileSinkOptions, ctx: SinkContext, now: () => number = Date.now): FileSink {
  return new FileSink(
    name,
    {
      path: opts.path,
      maxSize: opts.max_size ?? 0,
      maxAgeMs: opts.max_age ?? 0,
      maxFiles: opts.max_files,
      compress: opts.compress,
      fsync: opts.fsync,
      fsyncIntervalMs: opts.fsync_interval,
      mode: opts.mode,
      now,
    },
    ctx.log,
  );
}

export const fileSinkPlugin: SinkPlugin<FileSinkOptions> = {
  type: 'file',
  options,
  // One write (and one fsync with `fsync: batch`) per batch. A short linger: a
  // local write is cheap, and waiting for company was most of the latency
  // (p99 108 ms at 10,000 events/s with 250 ms; bench/results/events.md).
  batchDefaults: { maxRecords: 1000, lingerMs: 5 },
  create: (name, opts, ctx) => createFileSink(name, opts, ctx),
};
