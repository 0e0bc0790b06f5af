import { z } from 'zod';
import { RECORD_KINDS, type RecordKind } from '../records.js';
import { backoff, duration, size } from '../options/units.js';

/** Options every sink has, whatever its type: what the pipeline does around it (inputs, kinds, batching, buffer, retries). */
export const sinkCommon = {
  /** Source names whose records this sink takes. */
  inputs: z.array(z.string()).min(1, 'a sink needs at least one input'),
  /** Only these record kinds (default: all). */
  kinds: z.array(z.enum(RECORD_KINDS as [RecordKind, ...RecordKind[]])).optional(),
  batch: z
    .strictObject({
      max_records: z.number().int().positive().optional(),
      linger: duration().optional(),
    })
    .prefault({}),
  buffer: z
    .strictObject({
      type: z.enum(['memory', 'disk']).default('memory'),
      max_records: z.number().int().positive().default(10_000),
      max_size: size().default(64 * 1024 * 1024),
      /**
       * What a full buffer drops: the record being offered (`drop_newest`) or
       * the oldest queued one (`drop_oldest`). Never blocks: the events socket
       * must not stall. `block` is the old, misleading name of `drop_newest`.
       */
      when_full: z.enum(['drop_newest', 'drop_oldest', 'block']).default('drop_newest'),
    })
    .prefault({}),
  retry: backoff(),
};

/** The pipeline's settings of one sink (its own options aside). */
export type SinkSettings = z.output<z.ZodObject<typeof sinkCommon>>;
