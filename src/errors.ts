/**
 * Errors with stable codes (for logs, metrics and exit codes) and causes.
 * Messages are static-ish; data goes into `details`. Whatever a user can see
 * (a log line, `check`, /readyz, the exit line) is a DsError; a plain Error
 * means a broken invariant inside the agent.
 */
export const ERROR_CODES = [
  'CONFIG_INVALID',
  'CONFIG_NOT_FOUND',
  'USAGE',
  'PLUGIN_INVALID',
  'DOCKER_UNREACHABLE',
  'DOCKER_HTTP',
  'DOCKER_METHOD_REFUSED',
  'DOCKER_BAD_HOST',
  'DOCKER_TIMEOUT',
  'DOCKER_MALFORMED',
  'SINK_RETRYABLE',
  'SINK_PERMANENT',
  'SINK_UNREACHABLE',
  'STATE_DIR',
  'STATE_CORRUPT',
  'STATE_WRITE',
  'TELEMETRY_LISTEN',
  'ABORTED',
] as const;
/** What each means: docs/metrics.md, "Error codes". */
export type ErrorCode = (typeof ERROR_CODES)[number];

export class DsError extends Error {
  readonly code: ErrorCode;
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: Record<string, unknown> } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DsError';
    this.code = code;
    this.details = options.details ?? {};
  }
}

/** Thrown by a sink: the pipeline retries retryable ones and dead-letters permanent ones. */
export class SinkError extends DsError {
  readonly retryable: boolean;
  /** Server-requested delay (Retry-After), if any. */
  readonly retryAfterMs: number | undefined;
  /**
   * The request was sent but no answer came (timeout, connection reset): the
   * far side may have accepted it, so a retry may deliver its records twice.
   */
  readonly outcomeUnknown: boolean;

  constructor(
    message: string,
    options: { retryable: boolean; retryAfterMs?: number; outcomeUnknown?: boolean; cause?: unknown; details?: Record<string, unknown> },
  ) {
    super(options.retryable ? 'SINK_RETRYABLE' : 'SINK_PERMANENT', message, options);
    this.name = 'SinkError';
    this.retryable = options.retryable;
    this.retryAfterMs = options.retryAfterMs;
    this.outcomeUnknown = options.outcomeUnknown ?? false;
  }
}

/** The stable code of an error for metric labels: its DsError code, else UNKNOWN. */
export function errorCode(err: unknown): string {
  return err instanceof DsError ? err.code : 'UNKNOWN';
}

/**
 * Retrying cannot fix it: a sink's permanent error, or a configuration it
 * cannot work with (an unreadable TLS file, exclusive options).
 */
export function isPermanentError(err: unknown): boolean {
  return (err instanceof SinkError && !err.retryable) || (err instanceof DsError && err.code === 'CONFIG_INVALID');
}

/** HTTP error from the Docker daemon, with its status and message. */
export class DockerHttpError extends DsError {
  readonly status: number;
  constructor(status: number, path: string, daemonMessage: string) {
    super('DOCKER_HTTP', 'docker request failed', { details: { status, path, message: daemonMessage } });
    this.name = 'DockerHttpError';
    this.status = status;
    this.message = `docker ${path}: ${status} ${daemonMessage}`;
  }
}

export function isAbortError(err: unknown): boolean {
  return err instanceof Error && (err.name === 'AbortError' || (err instanceof DsError && err.code === 'ABORTED'));
}

/** One line for humans: message plus the chain of causes. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let cur: unknown = err;
  for (let depth = 0; cur !== undefined && cur !== null && depth < 5; depth++) {
    if (cur instanceof Error) {
      parts.push(cur.message);
      cur = (cur as { cause?: unknown }).cause;
    } else {
      parts.push(typeof cur === 'string' ? cur : (JSON.stringify(cur) ?? typeof cur));
      break;
    }
  }
  return parts.filter((p, i) => p && parts.indexOf(p) === i).join(': ');
}
