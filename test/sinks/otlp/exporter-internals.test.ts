/**
 * The OTLP exporter seam falls back to the published exporter when the
 * private layout differs, and says so: info line, gauge 0, warning.
 */
import { describe, expect, it } from 'vitest';
import { installSingleAttemptTransport, reportExporterInternals } from '../../../src/sinks/otlp/exporter-internals.js';
import { SelfMetrics } from '../../../src/telemetry/metrics.js';
import { memoryLogger } from '../../harness/agent.js';

describe('otlp exporter internals', () => {
  it('leave an exporter of another layout as published', () => {
    expect(installSingleAttemptTransport({})).toBe('published');
    expect(installSingleAttemptTransport({ _delegate: { _transport: { send: () => undefined } } })).toBe('published');
    const untouched = { _delegate: { _transport: { _transport: { send: () => undefined, shutdown: () => undefined } } } };
    expect(installSingleAttemptTransport(untouched)).toBe('published'); // no RetryingTransport (no retry())
    expect(untouched._delegate._transport._transport).toBeDefined();
  });

  it('report the state: info line, gauge per HTTP exporter, a warning for the published one', async () => {
    const { log, entries: lines } = memoryLogger('info');
    const metrics = new SelfMetrics();
    reportExporterInternals('otel', { logs: 'installed', metrics: 'published' }, log, metrics);
    const values = (await metrics.otlpExporterReplacement.get()).values.map(({ labels, value }) => [labels.signal, value]);
    expect(values).toEqual([
      ['logs', 1],
      ['metrics', 0],
    ]);
    expect(lines.map((l) => [l['level'], l['msg']])).toEqual([
      [30, 'otlp exporter internals: replaced single_attempt_transport for logs'],
      [40, 'otlp exporter internals changed: cannot disable its internal retries'],
    ]);
    expect(lines[0]!['single_attempt_transport']).toEqual({ logs: 'installed', metrics: 'published' });

    const grpc = memoryLogger('info');
    reportExporterInternals('otel-grpc', { logs: null, metrics: null }, grpc.log, metrics);
    expect(grpc.entries.map((l) => [l['level'], l['msg']])).toEqual([[30, 'otlp exporter internals: published exporters']]);
    expect((await metrics.otlpExporterReplacement.get()).values.filter((v) => v.labels.sink === 'otel-grpc')).toEqual([]);
  });
});
