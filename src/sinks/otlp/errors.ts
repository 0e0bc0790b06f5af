/**
 * Export failures → SinkError. Retryable per the OTLP specification: HTTP 429,
 * 502, 503, 504 and network errors; gRPC CANCELLED, DEADLINE_EXCEEDED,
 * RESOURCE_EXHAUSTED, ABORTED, OUT_OF_RANGE, UNAVAILABLE, DATA_LOSS. Everything
 * else (400, 401, INVALID_ARGUMENT, ...) is permanent.
 */
import { SinkError } from '../../errors.js';
import { retryDelayFromStatusDetails } from './grpc-retry-info.js';
import type { OtlpProtocol, Signal } from './options.js';

/**
 * What our no-retry transport wrapper turns the exporter's "retryable" result
 * into (the exporter itself would drop the status and Retry-After).
 */
export class RetryableExportError extends Error {
  /** Sent without an answer (timeout, reset): the endpoint may have accepted it. */
  readonly outcomeUnknown: boolean;
  constructor(
    readonly retryAfterMs: number | undefined,
    cause: unknown,
  ) {
    super('OTLP endpoint answered a retryable status (429/502/503/504) or could not be reached', cause === undefined ? undefined : { cause });
    this.name = 'RetryableExportError';
    this.outcomeUnknown = sentWithoutAnswer(cause);
  }
}

/** Errors after which the request may have reached the endpoint: our timeout, or the connection cut mid-exchange. */
const NO_ANSWER_CODES = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET']);

/**
 * The exporter's transport reports a retryable HTTP status without an error,
 * and "no answer" with one: its own 'Request timed out', or the socket error.
 * A connection refused (or a DNS failure) means the request never left.
 */
export function sentWithoutAnswer(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.message === 'Request timed out' || err.message === 'socket hang up') return true;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' && NO_ANSWER_CODES.has(code);
}

const RETRYABLE_GRPC = new Set([1, 4, 8, 10, 11, 14, 15]);
const RETRYABLE_HTTP = new Set([429, 502, 503, 504]);
const MAX_BODY_IN_DETAILS = 512;

interface GrpcServiceError {
  readonly code: number;
  readonly details?: string;
  readonly metadata?: { get(key: string): (string | Buffer)[] };
}

function isGrpcServiceError(err: unknown): err is GrpcServiceError {
  return typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'number' && 'metadata' in err;
}

/** OTLPExporterError: the HTTP status is in `code`, the response body in `data`. */
function httpStatusOf(err: unknown): { status: number; body: string | undefined } | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'number') return undefined;
  const data = (err as { data?: unknown }).data;
  return { status: code, body: typeof data === 'string' ? data.slice(0, MAX_BODY_IN_DETAILS) : undefined };
}

function grpcRetryAfter(err: GrpcServiceError): number | undefined {
  const bin = err.metadata?.get('grpc-status-details-bin')[0];
  return bin instanceof Uint8Array ? retryDelayFromStatusDetails(bin) : undefined;
}

export function toSinkError(err: unknown, protocol: OtlpProtocol, signal: Signal): SinkError {
  const base = { protocol, signal };
  if (err instanceof SinkError) return err;
  if (err instanceof RetryableExportError) {
    return new SinkError(`otlp ${signal} export: retryable failure`, {
      retryable: true,
      retryAfterMs: err.retryAfterMs,
      outcomeUnknown: err.outcomeUnknown,
      cause: err,
      details: { ...base, retryAfterMs: err.retryAfterMs },
    });
  }
  if (protocol === 'grpc' && isGrpcServiceError(err)) {
    const retryable = RETRYABLE_GRPC.has(err.code);
    return new SinkError(`otlp ${signal} export: gRPC status ${err.code}`, {
      retryable,
      // DEADLINE_EXCEEDED / CANCELLED: the call may have completed on the server.
      outcomeUnknown: err.code === 4 || err.code === 1,
      retryAfterMs: retryable ? grpcRetryAfter(err) : undefined,
      cause: err,
      details: { ...base, grpcCode: err.code, message: err.details },
    });
  }
  const http = protocol === 'grpc' ? undefined : httpStatusOf(err);
  if (http) {
    return new SinkError(`otlp ${signal} export: HTTP ${http.status}`, {
      retryable: RETRYABLE_HTTP.has(http.status),
      cause: err,
      details: { ...base, status: http.status, body: http.body },
    });
  }
  // No answer from the server (connection, TLS, timeout, local concurrency limit): try again later.
  return new SinkError(`otlp ${signal} export failed`, { retryable: true, cause: err, details: base });
}

/** Several exports of one batch failed: retry if any may succeed later, at the latest requested delay. */
export function combineSinkErrors(errors: readonly SinkError[]): SinkError {
  const retryable = errors.filter((e) => e.retryable);
  if (retryable.length === 0 || errors.length === 1) return errors[0] as SinkError;
  const delays = retryable.map((e) => e.retryAfterMs).filter((d): d is number => d !== undefined);
  return new SinkError(`otlp export: ${errors.length} of the batch's exports failed`, {
    retryable: true,
    retryAfterMs: delays.length > 0 ? Math.max(...delays) : undefined,
    outcomeUnknown: errors.some((e) => e.outcomeUnknown),
    cause: retryable[0],
    details: { failures: errors.map((e) => e.message) },
  });
}
