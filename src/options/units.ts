import { z } from 'zod';
import { parseDuration, parseSize } from '../util/units.js';

/**
 * Durations and sizes are pipes (text → number); their input side is tagged,
 * which survives `.refine()` (a clone sharing it), so `dockstream config` can
 * print the parsed numbers human again.
 */
const UNIT_INPUTS = new WeakMap<object, 'duration' | 'size'>();

const pipeInput = (schema: z.ZodType): object | undefined => (schema as unknown as { _zod: { def: { in?: object } } })._zod.def.in;

function tagged<T extends z.ZodType>(schema: T, unit: 'duration' | 'size'): T {
  UNIT_INPUTS.set(pipeInput(schema) as object, unit);
  return schema;
}

export function unitOf(schema: z.ZodType): 'duration' | 'size' | undefined {
  const input = pipeInput(schema);
  return input === undefined ? undefined : UNIT_INPUTS.get(input);
}

/** A human duration (`10s`, `5m`, `250ms`) as milliseconds. */
export const duration = () => tagged(durationSchema(), 'duration');

const durationSchema = () =>
  z.union([z.string(), z.literal(0)]).transform((text, ctx) => {
    const ms = typeof text === 'number' ? 0 : parseDuration(text);
    if (ms === null) {
      ctx.addIssue({ code: 'custom', message: `not a duration: "${text}" (use e.g. 500ms, 10s, 5m, 1h)` });
      return z.NEVER;
    }
    return ms;
  });

/** A human size (`100MiB`, `10GB`, or a byte count) as bytes. */
export const size = () => tagged(sizeSchema(), 'size');

const sizeSchema = () =>
  z.union([z.string(), z.number().int().nonnegative()]).transform((text, ctx) => {
    const bytes = typeof text === 'number' ? text : parseSize(text);
    if (bytes === null) {
      ctx.addIssue({ code: 'custom', message: `not a size: "${text}" (use e.g. 512KiB, 100MiB, 10GB)` });
      return z.NEVER;
    }
    return bytes;
  });

export const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']);

/** An exponential backoff's bounds (sink retries, the events source's reconnects). */
export const backoff = () =>
  z
    .strictObject({
      initial: duration().default(500),
      max: duration().default(30_000),
    })
    .prefault({});
