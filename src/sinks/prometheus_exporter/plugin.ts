import { defineSink } from '../../plugin.js';
import { SERIES_KINDS } from '../prometheus/series.js';
import { prometheusExporterOptions } from './options.js';
import { PrometheusExporterSink } from './sink.js';

/** `type: prometheus_exporter`: the latest value of every series on a scrape endpoint. */
export const prometheusExporterSinkPlugin = defineSink({
  type: 'prometheus_exporter',
  options: prometheusExporterOptions,
  accepts: SERIES_KINDS,
  // Updating the in-memory store is cheap: take what is there promptly.
  batchDefaults: { maxRecords: 1024, lingerMs: 50 },
  create: (name, opts, ctx) => new PrometheusExporterSink(name, opts, ctx),
});
