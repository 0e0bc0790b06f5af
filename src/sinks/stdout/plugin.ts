import type { Writable } from 'node:stream';
import type { SinkContext } from '../../pipeline/types.js';
import { defineSink } from '../../plugin.js';
import { stdoutSinkOptions, type StdoutSinkOptions } from './options.js';
import { StdoutSink } from './sink.js';

/** Internal constructor: tests pass their own stream; config always gets process.stdout. */
export function createStdoutSink(name: string, opts: StdoutSinkOptions, ctx: SinkContext, stream: Writable = process.stdout): StdoutSink {
  return new StdoutSink(name, { pretty: opts.pretty }, stream, ctx.log);
}

export const stdoutSinkPlugin = defineSink({
  type: 'stdout',
  options: stdoutSinkOptions,
  // Humans watch this one: flush quickly.
  batchDefaults: { maxRecords: 256, lingerMs: 50 },
  create: (name, opts, ctx) => createStdoutSink(name, opts, ctx),
});
