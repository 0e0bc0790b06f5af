/**
 * The OpenTelemetry JS OTLP exporters for one sink: a log exporter and a
 * metric exporter for the configured protocols, with their internal retries
 * taken out (`exporter-internals.ts`) so that the pipeline alone decides when
 * to try again.
 */
import { createPrivateKey } from 'node:crypto';
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
import { httpAuthHeaders } from '../../options/http-auth.js';
import { readTlsFiles, tlsConnectionOptions } from '../../options/tls.js';
import { installSingleAttemptTransport, type ExporterInternalsState } from './exporter-internals.js';
import type { OtlpSinkOptions, SignalTarget } from './options.js';

/** The part of an OTLP exporter the sink uses. */
export interface Exporter<T> {
  export(items: T, resultCallback: (result: ExportResult) => void): void;
  shutdown(): Promise<void>;
}

/** An exporter, and the state of the single-attempt transport in it (null for gRPC: nothing to replace). */
export interface CreatedExporter<T> {
  readonly exporter: Exporter<T>;
  readonly transport: ExporterInternalsState | null;
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

/** Reads the sink's TLS files (an unreadable one fails the sink permanently: retrying cannot help). */
function readingTls<T>(read: () => T): T {
  try {
    return read();
  } catch (cause) {
    throw new SinkError((cause as Error).message, { retryable: false, cause });
  }
}

/** The sink's TLS files, raw (gRPC: its key may need decrypting here). */
function tlsFiles(opts: OtlpSinkOptions): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const tls = opts.tls;
  return tls ? readingTls(() => readTlsFiles(tls, 'otlp')) : {};
}

/** Configured headers with basic_auth / bearer_token folded in as `Authorization`. */
function headersOf(opts: OtlpSinkOptions): Record<string, string> | undefined {
  const headers = httpAuthHeaders(opts, 'otlp');
  return Object.keys(headers).length === 0 ? undefined : headers;
}

function httpConfig(opts: OtlpSinkOptions, url: string | undefined): HttpConfig {
  const tls = opts.tls;
  const agent =
    tls && (tls.ca !== undefined || tls.cert !== undefined || tls.key !== undefined || tls.verify === false)
      ? { keepAlive: true, ...readingTls(() => tlsConnectionOptions(tls, 'otlp')) }
      : undefined;
  return {
    url,
    headers: headersOf(opts),
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
  const files = tlsFiles(opts);
  return credentials.createSsl(
    files.ca ?? null,
    decryptedKey(files.key, tls.key_passphrase) ?? null,
    files.cert ?? null,
    tls.verify === false ? { rejectUnauthorized: false } : undefined,
  );
}

function grpcConfig(opts: OtlpSinkOptions, url: string | undefined): GrpcConfig {
  let metadata: Metadata | undefined;
  const headers = headersOf(opts);
  if (headers) {
    metadata = new Metadata();
    for (const [k, v] of Object.entries(headers)) metadata.set(k.toLowerCase(), v);
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

/** An HTTP exporter with the single-attempt transport in place of its retrying one (when its layout allows). */
function singleAttempt<T>(exporter: Exporter<T>): CreatedExporter<T> {
  return { exporter, transport: installSingleAttemptTransport(exporter) };
}

export function createLogExporter(opts: OtlpSinkOptions, target: SignalTarget): CreatedExporter<ReadableLogRecord[]> {
  switch (target.protocol) {
    case 'grpc':
      return { exporter: new GrpcLogExporter(grpcConfig(opts, target.url)), transport: null };
    case 'http/json':
      return singleAttempt(new JsonLogExporter(httpConfig(opts, target.url)));
    case 'http/protobuf':
      return singleAttempt(new ProtoLogExporter(httpConfig(opts, target.url)));
  }
}

export function createMetricExporter(opts: OtlpSinkOptions, target: SignalTarget): CreatedExporter<ResourceMetrics> {
  switch (target.protocol) {
    case 'grpc':
      return { exporter: new GrpcMetricExporter(grpcConfig(opts, target.url)), transport: null };
    case 'http/json':
      return singleAttempt(new JsonMetricExporter(httpConfig(opts, target.url)));
    case 'http/protobuf':
      return singleAttempt(new ProtoMetricExporter(httpConfig(opts, target.url)));
  }
}
