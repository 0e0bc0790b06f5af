import { lazySink } from '../../pipeline/lazy-sink.js';
import { defineSink } from '../../plugin.js';
import { SERIES_KINDS } from '../prometheus/series.js';
import { remoteWriteOptions } from './options.js';

/** `type: prometheus_remote_write`: the same series pushed to any remote-write receiver. */
export const remoteWriteSinkPlugin = defineSink({
  type: 'prometheus_remote_write',
  options: remoteWriteOptions,
  accepts: SERIES_KINDS,
  // About Prometheus's own max_samples_per_send (2000): a stats record is ~32 samples.
  batchDefaults: { maxRecords: 64, lingerMs: 1000 },
  // protobufjs and snappyjs load only when a remote-write sink is configured.
  create: (name, opts, ctx) => lazySink(name, 'prometheus_remote_write', async () => new (await import('./sink.js')).RemoteWriteSink(name, opts, ctx)),
});
