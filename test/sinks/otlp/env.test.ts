// OTEL_EXPORTER_OTLP_* environment variables, honoured like other OpenTelemetry tools; config wins.
import { afterAll, afterEach, beforeAll, expect, test, vi } from 'vitest';
import { createOtlpSink } from '../../../src/sinks/otlp/create.js';
import { otlpOptions } from '../../../src/sinks/otlp/options.js';
import type { OtlpSink } from '../../../src/sinks/otlp/sink.js';
import { OtlpReceiver } from '../../harness/otlp-receiver.js';
import { sinkContext, statsRecord, WEB } from '../../harness/records.js';
import { events } from './fixtures.js';

const ctx = sinkContext();
const signal = new AbortController().signal;
let receiver: OtlpReceiver;
const sinks: OtlpSink[] = [];
const sink = (options: Record<string, unknown>) => {
  const s = createOtlpSink('otlp-env', otlpOptions.parse(options), ctx, process.env);
  sinks.push(s);
  return s;
};

beforeAll(async () => {
  receiver = await OtlpReceiver.start();
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  vi.unstubAllEnvs();
  receiver.reset();
});
afterAll(async () => {
  await receiver.close();
});

test('endpoint, protocol, headers and compression from the environment', async () => {
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', receiver.httpUrl);
  vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
  vi.stubEnv('OTEL_EXPORTER_OTLP_METRICS_PROTOCOL', 'http/protobuf');
  vi.stubEnv('OTEL_EXPORTER_OTLP_HEADERS', 'x-env=1,x-both=env');
  vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', 'gzip');
  const s = sink({ headers: { 'x-both': 'config' } });
  await s.send([...events().slice(0, 2), statsRecord({ container: WEB, time: '2026-11-23T09:06:35Z' })], signal);
  const byPath = Object.fromEntries(receiver.requests.map((r) => [r.signal, r]));
  expect(byPath['logs']).toMatchObject({ accepted: true, contentType: 'application/json', gzip: true });
  expect(byPath['metrics']).toMatchObject({ accepted: true, contentType: 'application/x-protobuf', gzip: true });
  expect(byPath['logs']!.headers).toMatchObject({ 'x-env': '1', 'x-both': 'config' });
  expect(s.describe()).toBe(`otlp logs http/json ${receiver.httpUrl}/v1/logs, metrics http/protobuf ${receiver.httpUrl}/v1/metrics`);
});

test('config wins over the environment', async () => {
  vi.stubEnv('OTEL_EXPORTER_OTLP_ENDPOINT', 'http://127.0.0.1:9'); // discard port: nothing listens
  vi.stubEnv('OTEL_EXPORTER_OTLP_PROTOCOL', 'http/json');
  vi.stubEnv('OTEL_EXPORTER_OTLP_COMPRESSION', 'gzip');
  const s = sink({ protocol: 'grpc', endpoint: receiver.grpcUrl, compression: 'none' });
  await s.send(events().slice(0, 1), signal);
  expect(receiver.requests.map((r) => [r.transport, r.signal, r.accepted])).toEqual([['grpc', 'logs', true]]);
});
