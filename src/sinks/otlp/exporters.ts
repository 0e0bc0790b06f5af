/**
 * The OpenTelemetry JS OTLP exporters for one sink: a log exporter and a
 * metric exporter for the configured protocols, with their internal retries
 * taken out so that the pipeline alone decides when to try again.
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credentials, Metadata, type ChannelCredentials } from '@grpc/grpc-js';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPLogExporter as GrpcLogExporter } from '@opentelemetry/exporter-logs-otlp-grpc';
import { OTLPLogExporter as JsonLogExporter } from '@opentelemetry/exporter-logs-otlp-http';
import { OTLPLogExporter as ProtoLogExporter } from '@opentelemetry/exporter-logs-otlp-proto';
import { OTLPMetricExporter as GrpcMetricExporter } from '@opentelemetry/exporter-metrics-otlp-grpc';
import { OTLPMetricExporter as JsonMetricExporter } from '@opentelemetry/exporter-metrics-otlp-http';
import { OTLPMetricExporter as ProtoMetricExporter } from '@opentelemetry/exporter-metrics-otlp-proto';
import type { ReadableLogRecord } from '@opentelemetry/sdk-logs';
import type { ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { SinkError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { RetryableExportError } from './errors.js';
import type { OtlpSinkOptions, SignalTarget } from './options.js';

/** The part of an OTLP exporter the sink uses. */
export interface Exporter<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

type HttpConfig = NonNullable<ConstructorParameters<typeof ProtoLogExporter>[0]>;
type GrpcConfig = NonNullable<ConstructorParameters<typeof GrpcLogExporter>[0]>;

/** One export; resolves only when the far side accepted it (2xx / gRPC OK). */
export function exportOnce<T>(exporter: Exporter<T>, items: T): Promise<void> {
  return new Promise((resolve, reject) => {
    exporter.export(items, (result) => {
      if (result.code === ExportResultCode.SUCCESS) resolve();
      else reject(result.error ?? new Error('export failed'));
    });
  });
}

function readPem(path: string | undefined, what: string): Buffer | undefined {
  if (path === undefined) return undefined;
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new SinkError(`otlp: cannot read TLS ${what} file`, { retryable: false, cause, details: { path } });
  }
}

interface RawTransport {
  send(data: Uint8Array, timeoutMillis: number): Promise<{ status: string; retryInMillis?: number; error?: Error }>;
  shutdown(): void;
}

/**
 * The HTTP exporters wrap their transport in a RetryingTransport (5 attempts,
 * 1–5 s backoff, within the export timeout) and report a final "retryable"
 * without status or Retry-After. We replace it with a pass-through that makes
 * one attempt and hands the retryable result, with its Retry-After, to
 * toSinkError. The gRPC transport has no such layer. Relies on private fields
 * (`_delegate._transport._transport`) of @opentelemetry/otlp-exporter-base
 * 0.223; the tests check that one 503 means exactly one request.
 */
function withoutInternalRetries(exporter: object, log: Logger): void {
  const delegate = (exporter as { _delegate?: { _transport?: unknown } })._delegate;
  const retrying = delegate?._transport as { _transport?: RawTransport; retry?: unknown } | undefined;
  const inner = retrying?._transport;
  if (!delegate || typeof retrying?.retry !== 'function' || typeof inner?.send !== 'function') {
    log.warn('otlp exporter internals changed: cannot disable its internal retries');
    return;
  }
  const single: RawTransport = {
    async send(data, timeoutMillis) {
      const result = await inner.send(data, timeoutMillis);
      if (result.status !== 'retryable') return result;
      const after = result.retryInMillis === undefined ? undefined : Math.max(0, result.retryInMillis);
      return { status: 'failure', error: new RetryableExportError(after, result.error) };
    },
    shutdown: () => inner.shutdown(),
  };
  delegate._transport = single;
}

function httpConfig(opts: OtlpSinkOptions, url: string | undefined): HttpConfig {
  const tls = opts.tls;
  const agent =
    tls && (tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined || tls.verify === false)
      ? {
          keepAlive: true,
          ca: readPem(tls.ca, 'CA'),
          cert: readPem(tls.cert, 'certificate'),
          key: readPem(tls.key, 'key'),
          passphrase: tls.key_passphrase,
          rejectUnauthorized: tls.verify !== false,
        }
      : undefined;
  return {
    url,
    headers: opts.headers,
    compression: opts.compression as HttpConfig['compression'],
    timeoutMillis: opts.timeout,
    // Metric exports run one per resource; the pipeline bounds how many batches are in flight.
    concurrencyLimit: 64,
    httpAgentOptions: agent,
  };
}

/** gRPC takes no passphrase: an encrypted key is decrypted here, in memory. */
function decryptedKey(pem: Buffer | undefined, passphrase: string | undefined): Buffer | undefined {
  if (pem === undefined || passphrase === undefined) return pem;
  try {
    return Buffer.from(createPrivateKey({ key: pem, passphrase }).export({ format: 'pem', type: 'pkcs8' }));
  } catch (cause) {
    throw new SinkError('otlp: cannot decrypt the TLS key (wrong key_passphrase?)', { retryable: false, cause });
  }
}

function grpcCredentials(opts: OtlpSinkOptions): ChannelCredentials | undefined {
  const tls = opts.tls;
  if (!tls) return undefined; // the exporter decides: http:// → plaintext, else TLS, OTEL_EXPORTER_OTLP_INSECURE
  if (tls.insecure) return credentials.createInsecure();
  if (tls.ca === undefined && tls.cert === undefined && tls.key === undefined && tls.verify !== false) return undefined;
  return credentials.createSsl(
    readPem(tls.ca, 'CA') ?? null,
    decryptedKey(readPem(tls.key, 'key'), tls.key_passphrase) ?? null,
    readPem(tls.cert, 'certificate') ?? null,
    tls.verify === false ? { rejectUnauthorized: false } : undefined,
  );
}

function grpcConfig(opts: OtlpSinkOptions, url: string | undefined): GrpcConfig {
  let metadata: Metadata | undefined;
  if (opts.headers) {
    metadata = new Metadata();
    for (const [k, v] of Object.entries(opts.headers)) metadata.set(k.toLowerCase(), v);
  }
  return {
    url,
    metadata,
    credentials: grpcCredentials(opts),
    compression: opts.compression as GrpcConfig['compression'],
    timeoutMillis: opts.timeout,
    concurrencyLimit: 64,
  };
}

export function createLogExporter(opts: OtlpSinkOptions, target: SignalTarget, log: Logger): Exporter<ReadableLogRecord[]> {
  switch (target.protocol) {
    case 'grpc':
      return new GrpcLogExporter(grpcConfig(opts, target.url));
    case 'http/json': {
      const e = new JsonLogExporter(httpConfig(opts, target.url));
      withoutInternalRetries(e, log);
      return e;
    }
    case 'http/protobuf': {
      const e = new ProtoLogExporter(httpConfig(opts, target.url));
      withoutInternalRetries(e, log);
      return e;
    }
  }
}

export function createMetricExporter(opts: OtlpSinkOptions, target: SignalTarget, log: Logger): Exporter<ResourceMetrics> {
  switch (target.protocol) {
    case 'grpc':
      return new GrpcMetricExporter(grpcConfig(opts, target.url));
    case 'http/json': {
      const e = new JsonMetricExporter(httpConfig(opts, target.url));
      withoutInternalRetries(e, log);
      return e;
    }
    case 'http/protobuf': {
      const e = new ProtoMetricExporter(httpConfig(opts, target.url));
      withoutInternalRetries(e, log);
      return e;
    }
  }
}
