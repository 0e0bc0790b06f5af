import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Where a secret can sit in the options (and so in a logged object, or in a logged error's details). */
const SECRET_KEYS = ['password', 'sasl.password', 'headers', 'key_passphrase', 'tls.key_passphrase', 'bearer_token', 'basic_auth.password'];

/** Logs go to stderr as JSON: stdout belongs to the stdout sink. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(loggerOptions(level), pino.destination({ fd: 2, sync: false }));
}

/**
 * The agent's logger settings (createLogger's), also for tests that log to
 * memory exactly as the agent logs. Errors are logged as `{ err }`: pino's
 * err serializer writes `type`, `message` with the causes, `stack` with the
 * causes' and the error's own properties (`code`, `details`, `retryable`...),
 * so a secret put into an error's details is censored like any other.
 */
export function loggerOptions(level: LogLevel): LoggerOptions {
  return {
    level,
    base: { app: 'dockstream' },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: {
      paths: [
        ...SECRET_KEYS.map((k) => `*.${k}`),
        ...SECRET_KEYS.map((k) => `config.sinks.*.${k}`),
        ...SECRET_KEYS.map((k) => `err.details.${k}`),
        ...SECRET_KEYS.map((k) => `err.details.*.${k}`),
      ],
      censor: '[redacted]',
    },
  };
}

/** A silent logger for tests and `once`. */
export function nullLogger(): Logger {
  return pino({ level: 'silent' });
}
