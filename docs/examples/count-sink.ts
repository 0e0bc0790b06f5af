// A sink that logs how many records each batch held: the worked example of
// docs/design.md §7, compiled and tested (test/docs/design-example.test.ts).
import { z } from 'zod';
import { SinkError } from '../../src/errors.js';
import type { Sink } from '../../src/pipeline/types.js';
import { defineSink } from '../../src/plugin.js';

export const countSinkOptions = z.strictObject({
  /** Written into every log line. */
  label: z.string().default('count'),
});

export const countSinkPlugin = defineSink({
  type: 'count',
  options: countSinkOptions,
  // Only what it can deliver; the config may narrow it with `kinds`.
  accepts: ['event', 'stats'],
  batchDefaults: { maxRecords: 500, lingerMs: 1000 },
  create: (name, opts, ctx): Sink => {
    let closed = false;
    return {
      name,
      type: 'count',
      start: async () => {},
      check: async () => `ready (${opts.label})`,
      send: async (batch, signal) => {
        signal.throwIfAborted();
        if (closed) throw new SinkError('count sink is closed', { retryable: false });
        ctx.log.info({ sink: name, label: opts.label, records: batch.length }, 'batch counted');
      },
      close: async () => {
        closed = true;
      },
    };
  },
});
