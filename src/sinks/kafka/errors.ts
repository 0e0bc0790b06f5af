/**
 * KafkaJS errors to SinkError. Permanent means "this batch can never be
 * accepted as it is" (the pipeline dead-letters it); everything else,
 * including unknown errors, is retryable so that no record is lost to a
 * transient or operator-fixable problem (auth, ACLs, unreachable brokers).
 */
import { SinkError } from '../../errors.js';

/** Broker protocol errors that resending the same batch cannot fix. */
const PERMANENT_PROTOCOL_ERRORS = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'CORRUPT_MESSAGE',
  'INVALID_TIMESTAMP',
  'INVALID_TOPIC_EXCEPTION',
  'INVALID_REQUIRED_ACKS',
  'UNSUPPORTED_COMPRESSION_TYPE',
  'UNSUPPORTED_FOR_MESSAGE_FORMAT',
]);

interface KafkaJsLike {
  name?: unknown;
  type?: unknown;
  message?: unknown;
  cause?: unknown;
  errors?: unknown;
  broker?: unknown;
}

/** Every error reachable through `cause` chains and aggregate `errors` lists. */
function collect(err: unknown, out: KafkaJsLike[] = [], depth = 0): KafkaJsLike[] {
  if (depth > 8 || err === null || typeof err !== 'object' || out.includes(err)) return out;
  const e = err as KafkaJsLike;
  out.push(e);
  if (Array.isArray(e.errors)) for (const inner of e.errors) collect(inner, out, depth + 1);
  collect(e.cause, out, depth + 1);
  return out;
}

/** The protocol error type that makes the failure permanent, if any. */
export function permanentType(err: unknown): string | null {
  for (const e of collect(err)) {
    if (typeof e.type === 'string' && PERMANENT_PROTOCOL_ERRORS.has(e.type)) return e.type;
  }
  return null;
}

export function toSinkError(err: unknown, details: Record<string, unknown> = {}): SinkError {
  if (err instanceof SinkError) return err;
  const chain = collect(err);
  const names = [...new Set(chain.map((e) => (typeof e.name === 'string' ? e.name : 'Error')))];
  const types = [...new Set(chain.flatMap((e) => (typeof e.type === 'string' ? [e.type] : [])))];
  const permanent = permanentType(err);
  const fields = { ...details, errors: names, ...(types.length > 0 ? { types } : {}) };
  return permanent === null
    ? new SinkError('kafka produce failed', { retryable: true, outcomeUnknown: names.includes('KafkaJSRequestTimeoutError'), cause: err, details: fields })
    : new SinkError(`kafka rejected the batch: ${permanent}`, { retryable: false, cause: err, details: fields });
}
