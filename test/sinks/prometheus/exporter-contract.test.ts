// The sink contract (test/sinks/contract.ts) for prometheus_exporter: what a
// scrape of its endpoint returns. Its send only updates memory (nothing to
// hold it), so the held-send case does not apply.
import { prometheusExporterSinkPlugin } from '../../../src/sinks/prometheus_exporter/plugin.js';
import type { PrometheusExporterSink } from '../../../src/sinks/prometheus_exporter/sink.js';
import { sinkContext } from '../../harness/records.js';
import { parsePrometheusText } from '../../telemetry/prom-text.js';
import { sinkContract } from '../contract.js';
import { contractSeries, expectedSeries, recentBatch } from './fixtures.js';

const exporter = (listen: string) =>
  prometheusExporterSinkPlugin.create('prom', prometheusExporterSinkPlugin.options.parse({ listen }), sinkContext()) as PrometheusExporterSink;

/** What a scrape shows; a sink that serves nothing (not started, closed) shows its store's size instead. */
async function scraped(sink: PrometheusExporterSink): Promise<unknown[]> {
  const port = sink.address?.port;
  const text =
    port === undefined
      ? null
      : await fetch(`http://127.0.0.1:${port}/metrics`).then(
          (r) => r.text(),
          () => null,
        );
  if (text === null) return sink.seriesCount === 0 ? [] : [`${sink.seriesCount} series stored, none served`];
  return contractSeries([...parsePrometheusText(text).values()].flatMap((f) => f.samples));
}

sinkContract('prometheus_exporter', {
  create: async () => {
    const sink = exporter('127.0.0.1:0');
    return { sink, received: () => scraped(sink) };
  },
  batch: recentBatch,
  expected: expectedSeries,
  checkLine: /^prometheus_exporter: would serve http:\/\/127\.0\.0\.1:0\/metrics$/,
  // An address of no interface of this host (TEST-NET-1): nothing can listen there.
  unreachable: async () => exporter('192.0.2.1:9324'),
});
