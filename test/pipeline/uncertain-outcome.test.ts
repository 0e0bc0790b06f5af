// Which failures leave the outcome unknown (the far side may hold the batch),
// so that a retry is counted in dockstream_sink_uncertain_resent_records_total.
import { KafkaJSConnectionError, KafkaJSNumberOfRetriesExceeded, KafkaJSRequestTimeoutError } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { toSinkError as kafkaError } from '../../src/sinks/kafka/errors.js';
import { combineSinkErrors, RetryableExportError, toSinkError as otlpError } from '../../src/sinks/otlp/errors.js';

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('outcome unknown', () => {
  it('OTLP over HTTP: a timeout or a connection cut after sending, not a refused connection or a 503', () => {
    const unknown = (cause: unknown) => otlpError(new RetryableExportError(undefined, cause), 'http/protobuf', 'logs').outcomeUnknown;
    expect(unknown(new Error('Request timed out'))).toBe(true);
    expect(unknown(errno('ECONNRESET'))).toBe(true);
    expect(unknown(errno('EPIPE'))).toBe(true);
    expect(unknown(errno('ECONNREFUSED'))).toBe(false);
    expect(unknown(undefined)).toBe(false); // a retryable status: answered
  });

  it('OTLP over gRPC: DEADLINE_EXCEEDED and CANCELLED, not UNAVAILABLE', () => {
    const grpc = (code: number) => otlpError(Object.assign(new Error('x'), { code, metadata: { get: () => [] } }), 'grpc', 'logs').outcomeUnknown;
    expect([grpc(4), grpc(1), grpc(14), grpc(8)]).toEqual([true, true, false, false]);
  });

  it('a batch of several exports is unknown when one of them is', () => {
    const a = otlpError(new RetryableExportError(undefined, undefined), 'http/protobuf', 'logs');
    const b = otlpError(new RetryableExportError(undefined, new Error('Request timed out')), 'http/protobuf', 'metrics');
    expect(combineSinkErrors([a, b]).outcomeUnknown).toBe(true);
    expect(combineSinkErrors([a, a]).outcomeUnknown).toBe(false);
  });

  it('Kafka: a request timeout (the broker may have written the batch), not a connection error', () => {
    const timeout = new KafkaJSNumberOfRetriesExceeded(new KafkaJSRequestTimeoutError('Request Produce(key: 0, version: 7) timed out'), {
      retryCount: 0,
      retryTime: 0,
    });
    expect(kafkaError(timeout).outcomeUnknown).toBe(true);
    expect(kafkaError(new KafkaJSConnectionError('Connection error: ECONNREFUSED')).outcomeUnknown).toBe(false);
  });
});
