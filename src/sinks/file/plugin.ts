import type { SinkContext } from '../../pipeline/types.js';
import { defineSink } from '../../plugin.js';
import { fileSinkOptions, type FileSinkOptions } from './options.js';
import { FileSink } from './sink.js';

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

export const fileSinkPlugin = defineSink({
  type: 'file',
  options: fileSinkOptions,
  // One write (and one fsync with `fsync: batch`) per batch. A short linger: a
  // local write is cheap, and waiting for company was most of the latency
  // (p99 108 ms at 10,000 events/s with 250 ms; bench/results/events.md).
  batchDefaults: { maxRecords: 1000, lingerMs: 5 },
  create: (name, opts, ctx) => createFileSink(name, opts, ctx),
});
