/**
 * KafkaJS client configuration from the sink's options: TLS files, SASL,
 * small internal retries (the pipeline owns retries, design gotcha 9), and
 * KafkaJS logs routed into pino without secrets.
 */
import type { ConnectionOptions } from 'node:tls';
import type { KafkaConfig, LogEntry, logLevel, SASLOptions } from 'kafkajs';
import type { Logger } from '../../log.js';
import type { KafkaOptions } from './options.js';
import { tlsConnectionOptions } from '../../options/tls.js';

/**
 * KafkaJS's `logLevel` values (a public enum), written out so that this module
 * does not load KafkaJS: the adapter loads it after installing its replacements.
 */
const KafkaLogLevel = { ERROR: 1 as logLevel.ERROR, WARN: 2 as logLevel.WARN, INFO: 4 as logLevel.INFO } as const;

/** KafkaJS's own retries per call (its producer and admin take the client's): enough to ride out a leader move, short enough to hand back control. */
const KAFKAJS_RETRY = { retries: 2, initialRetryTime: 100, maxRetryTime: 1_000 } as const;

export function tlsConfig(tls: KafkaOptions['tls']): ConnectionOptions | undefined {
  return tlsConnectionOptions(tls, 'kafka');
}

export function saslConfig(sasl: KafkaOptions['sasl']): SASLOptions | undefined {
  if (sasl === undefined) return undefined;
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

/**
 * KafkaJS ERROR/WARN become pino warn, INFO/DEBUG become debug. Any entry
 * mentioning SASL is dropped whole: KafkaJS may echo mechanism details.
 */
export function kafkaLogCreator(log: Logger): NonNullable<KafkaConfig['logCreator']> {
  return () =>
    ({ namespace, level, log: entry }: LogEntry) => {
      const e = entry as Record<string, unknown>;
      const fields = { namespace, detail: e['message'], broker: e['broker'], error: e['error'], retryCount: e['retryCount'] };
      if (/sasl/i.test(JSON.stringify(fields))) return;
      if (level === KafkaLogLevel.ERROR || level === KafkaLogLevel.WARN) log.warn(fields, 'kafkajs');
      else log.debug(fields, 'kafkajs');
    };
}

export function kafkaConfig(options: KafkaOptions, log: Logger): KafkaConfig {
  const ssl = tlsConfig(options.tls);
  const sasl = saslConfig(options.sasl);
  return {
    clientId: options.client_id,
    brokers: [...options.brokers],
    ...(ssl === undefined ? {} : { ssl }),
    ...(sasl === undefined ? {} : { sasl }),
    connectionTimeout: options.connect_timeout,
    authenticationTimeout: options.connect_timeout,
    // The broker waits up to `timeout` for acks; give the answer a moment to arrive.
    requestTimeout: options.timeout + 1_000,
    retry: KAFKAJS_RETRY,
    logLevel: log.isLevelEnabled('debug') ? KafkaLogLevel.INFO : KafkaLogLevel.WARN,
    logCreator: kafkaLogCreator(log),
  };
}
