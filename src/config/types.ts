import { z } from 'zod';
import { parseDuration, parseSize } from '../util/units.js';

/** A human duration (`10s`, `5m`, `250ms`) as milliseconds. */
export const duration = () =>
  z.union([z.string(), z.literal(0)]).transform((text, ctx) => {
    const ms = typeof text === 'number' ? 0 : parseDuration(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `not a duration: "${text}" (use e.g. 500ms, 10s, 5m, 1h)` });
      return z.NEVER;
    }
    return ms;
  });

/** A human size (`100MiB`, `10GB`, or a byte count) as bytes. */
export const size = () =>
  z.union([z.string(), z.number().int().nonnegative()]).transform((text, ctx) => {
    const bytes = typeof text === 'number' ? text : parseSize(text);
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: `not a size: "${text}" (use e.g. 512KiB, 100MiB, 10GB)` });
      return z.NEVER;
    }
    return bytes;
  });

export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);
