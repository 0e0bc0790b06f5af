import { z } from 'zod';
import { duration, size } from '../../options/units.js';

export const fileSinkOptions = z.object({
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
    .union([
      z
        .string()
        .regex(/^0?[0-7]{3}$/, 'an octal mode such as "0640" (quote it in YAML)')
        .transform((s) => parseInt(s, 8)),
      z.number().int().min(0).max(0o777),
    ])
    .default(0o640),
  fsync_interval: duration()
    .refine((ms) => ms > 0, 'fsync_interval must be more than 0')
    .default(1000),
});
export type FileSinkOptions = z.output<typeof fileSinkOptions>;
