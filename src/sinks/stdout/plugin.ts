import type { Writable } from 'node:stream';
import { z } from 'zod';
import type { SinkContext, SinkPlugin } from '../../pipeline/types.js';
import { StdoutSink } from './sink.js';

const options = z.object({
  /** Indented JSON for humans instead of NDJSON (not for machines: a record spans lines). */
  pretty: z.boolean().default(false),
});
export type StdoutSinkOptions = z.output<typeof options>;

/** Internal constructor: tests pass their own stream; config always gets process.stdout. */
export function createStdoutSink(
  name: string,
  opts: StdoutSinkOptions,
  ctx: SinkContext,
  stream: Writable = process.stdout,
): StdoutSink {
  return new StdoutSink(name, { pretty: opts.pretty }, stream, ctx.log);
}

export const stdoutSinkPlugin: SinkPlugin<StdoutSinkOptions> = {
  type: 'stdout',
  options,
  // Humans watch this one: flush quickly.
  batchDefaults: { maxRecords: 256, lingerMs: 50 },
  create: (name, opts, ctx) => createStdoutSink(name, opts, ctx),
};
