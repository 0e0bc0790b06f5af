import { pino, type Logger } from 'pino';

export type { Logger };
export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

/** Logs go to stderr as JSON: stdout belongs to the stdout sink. */
export function createLogger(level: LogLevel = 'info'): Logger {
  return pino(
    {
      level,
      base: { app: 'dockstream' },
      timestamp: pino.stdTimeFunctions.isoTime,
      redact: {
        paths: ['*.password', '*.sasl.password', '*.headers', '*.key_passphrase', '*.tls.key_passphrase', 'config.sinks.*.headers', 'config.sinks.*.sasl.password', 'config.sinks.*.tls.key_passphrase', '*.bearer_token', 'config.sinks.*.bearer_token', 'config.sinks.*.basic_auth.password'],
        censor: '[redacted]',
      },
    },
    pino.destination({ fd: 2, sync: false }),
  );
}

/** A silent logger for tests and `once`. */
export function nullLogger(): Logger {
  return pino({ level: 'silent' });
}
