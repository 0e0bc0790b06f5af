import { Writable } from 'node:stream';
import { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError, logLevel } from 'kafkajs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { kafkaLogCreator, saslConfig } from '../../../src/sinks/kafka/client.js';
import { toSinkError } from '../../../src/sinks/kafka/errors.js';
import {
  messageHeaders,
  messageKey,
  messageTimestamp,
  oversizeReason,
  planRequests,
  RECORD_BATCH_OVERHEAD,
  toMessage,
  topicResolver,
} from '../../../src/sinks/kafka/mapping.js';
import { kafkaOptionsSchema } from '../../../src/sinks/kafka/options.js';
import { recordJson } from '../../../src/pipeline/serialize.js';
import { ofKind } from '../../harness/records.js';
import { containerRef, diskUsageRecord, eventRecord, HOST, statsRecord, volumeEvent } from './fixtures.js';

const defaults = kafkaOptionsSchema.parse({ brokers: ['127.0.0.1:9092'] });

describe('kafka options', () => {
  it('applies the documented defaults', () => {
    expect(defaults).toEqual({
      brokers: ['127.0.0.1:9092'],
      client_id: 'dockstream',
      topic: 'dockstream.{kind}',
      topics: {},
      acks: 'all',
      compression: 'none',
      max_message_bytes: 1_048_576,
      timeout: 30_000,
      connect_timeout: 5_000,
    });
  });

  it('parses human sizes and durations, TLS and SASL', () => {
    const o = kafkaOptionsSchema.parse({
      brokers: ['k1:9093'],
      tls: { ca: '/etc/ca.pem' },
      sasl: { mechanism: 'scram-sha-512', username: 'u', password: 'p' },
      max_message_bytes: '512KiB',
      timeout: '5s',
      compression: 'gzip',
    });
    expect(o.max_message_bytes).toBe(524_288);
    expect(o.timeout).toBe(5_000);
    expect(o.tls).toEqual({ ca: '/etc/ca.pem', verify: true });
    expect(saslConfig(o.sasl)).toEqual({ mechanism: 'scram-sha-512', username: 'u', password: 'p' });
  });

  it('reports bad values at their paths', () => {
    const r = kafkaOptionsSchema.safeParse({
      brokers: ['no-port'],
      topic: 'bad topic/{kind}',
      topics: { stats: 'ok.{kind}', bogus: 'x' },
      acks: 'most',
      tls: { cert: '/c.pem' },
    });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.')).sort();
    expect(paths).toEqual(['acks', 'brokers.0', 'tls', 'topic', 'topics']);
  });
});

describe('kafka mapping', () => {
  const c = containerRef(3);

  it('resolves topics from the template with per-kind overrides', () => {
    const topicFor = topicResolver({ topic: 'dockstream.{kind}', topics: { stats: 'metrics.container-stats' } });
    expect(topicFor('event')).toBe('dockstream.event');
    expect(topicFor('disk_usage')).toBe('dockstream.disk_usage');
    expect(topicFor('stats')).toBe('metrics.container-stats');
    expect(topicResolver({ topic: 'all-records', topics: {} })('gap')).toBe('all-records');
  });

  it('keys container records by container id, others by host name', () => {
    expect(messageKey(eventRecord(1, c))).toBe(c.id);
    expect(messageKey(statsRecord(1, c))).toBe(c.id);
    expect(messageKey(volumeEvent(1))).toBe(HOST.name);
    expect(messageKey(diskUsageRecord(1))).toBe(HOST.name);
  });

  it('sets kind, schema and host headers and the record time in ms', () => {
    const r = statsRecord(0, c);
    expect(messageHeaders(r)).toEqual({ kind: 'stats', schema: '1', host: HOST.name });
    expect(r.time).toBe('2024-05-01T10:00:00.123456789Z');
    expect(messageTimestamp(r)).toBe('1714557600123');
    expect(messageTimestamp({ ...r, time: 'garbage' }, () => 42)).toBe('42');
    // Other RFC 3339 shapes agree with Date.parse (the fast path only takes ...SS.fffZ).
    const times = [
      '2024-05-01T10:00:01.999999999Z',
      '2024-05-01T10:00:00Z',
      '2024-05-01T10:00:00.5Z',
      '2024-05-01T12:00:00.250+02:00',
      '2024-05-01T10:00:00.123456789Z',
    ];
    // Same millisecond twice, then a new second with the same milliseconds, then a new year.
    times.push('2024-05-01T10:00:02.123456789Z', '2024-05-01T10:00:02.123999999Z', '2024-05-01T10:00:03.123000000Z', '2025-01-01T00:00:00.000000001Z');
    for (const time of times) {
      expect(messageTimestamp({ ...r, time })).toBe(String(Date.parse(time)));
    }
    // A fraction that is not three digits is not read as milliseconds.
    expect(messageTimestamp({ ...r, time: '2024-05-01T10:00:00.1x3456789Z' }, () => 42)).toBe('42');
    expect(messageTimestamp({ ...r, time: '2024-05-01T10:00:00.1/3456789Z' }, () => 43)).toBe('43');
    // One shared object per host, kind and schema (the produce encoder caches its bytes).
    expect(messageHeaders(statsRecord(1, c))).toBe(messageHeaders(r));
    expect(Object.isFrozen(messageHeaders(r))).toBe(true);
    expect(messageHeaders({ ...r, schema: 2 })).toEqual({ kind: 'stats', schema: '2', host: HOST.name });
  });

  it('builds the whole message with the record JSON as value', () => {
    const r = eventRecord(7, c, 'die');
    const m = toMessage(r, topicResolver(defaults));
    expect(m.topic).toBe('dockstream.event');
    expect(m.message.key).toBe(c.id);
    expect(JSON.parse(m.message.value)).toEqual(r);
    expect(m.message.value).toBe(recordJson(r)); // the queue's cached JSON, not a second serialization
    const headerBytes = 'kind'.length + 'event'.length + 'schema'.length + 1 + 'host'.length + HOST.name.length;
    expect(m.bytes).toBe(40 + c.id.length + Buffer.byteLength(m.message.value) + headerBytes + 3 * 10);
  });

  it('flags a record whose message cannot fit the limit', () => {
    const m = toMessage(diskUsageRecord(1), topicResolver(defaults));
    const exact = m.bytes + RECORD_BATCH_OVERHEAD;
    expect(oversizeReason(m, exact)).toBeNull();
    expect(oversizeReason(m, exact - 1)).toBe(`message too large: ${exact} bytes exceed max_message_bytes ${exact - 1} (topic dockstream.disk_usage)`);
  });

  it('splits a batch into requests under the limit, keeping order per topic', () => {
    const topicFor = topicResolver(defaults);
    const records = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? statsRecord(i, c) : eventRecord(i, c)));
    const mapped = records.map((r) => toMessage(r, topicFor));
    const limit = RECORD_BATCH_OVERHEAD + mapped.slice(0, 7).reduce((n, m) => n + m.bytes, 0);
    const requests = planRequests(mapped, limit);
    expect(requests.length).toBeGreaterThan(1);
    for (const req of requests) {
      const bytes = req.flatMap((t) => t.messages).reduce((n, msg) => n + mapped.find((m) => m.message === msg)!.bytes, 0);
      expect(bytes + RECORD_BATCH_OVERHEAD).toBeLessThanOrEqual(limit);
    }
    const seqOf = (topic: string) =>
      requests.flatMap((req) => req.filter((t) => t.topic === topic).flatMap((t) => t.messages.map((msg) => JSON.parse(String(msg.value)).time)));
    expect(seqOf('dockstream.event')).toEqual(ofKind(records, 'event').map((r) => r.time));
    expect(seqOf('dockstream.stats')).toEqual(ofKind(records, 'stats').map((r) => r.time));
    expect(planRequests(mapped, 10_000_000)).toHaveLength(1);
  });
});

describe('kafka error mapping', () => {
  const protocol = (type: string, retriable: boolean) =>
    new KafkaJSProtocolError({ type, code: 10, retriable, message: `${type} happened` } as unknown as string);

  it('makes size and record-format rejections permanent, even when wrapped', () => {
    // What KafkaJS's retrier throws for a non-retriable error (its typings omit the options).
    const Wrapper = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error;
    const inner = protocol('MESSAGE_TOO_LARGE', false);
    const tooLarge = new Wrapper(inner, { cause: inner });
    const e = toSinkError(tooLarge);
    expect(e.retryable).toBe(false);
    expect(e.code).toBe('SINK_PERMANENT');
    expect(e.message).toBe('kafka rejected the batch: MESSAGE_TOO_LARGE');
    expect(toSinkError(protocol('INVALID_RECORD', false)).retryable).toBe(false);
  });

  it('keeps connection, leader and timeout failures retryable', () => {
    const down = new KafkaJSNumberOfRetriesExceeded(new KafkaJSConnectionError('Connection error: connect ECONNREFUSED'), {
      retryCount: 2,
      retryTime: 400,
    });
    const e = toSinkError(down, { records: 3 });
    expect(e.retryable).toBe(true);
    expect(e.code).toBe('SINK_RETRYABLE');
    expect(e.details).toEqual({ records: 3, errors: ['KafkaJSNumberOfRetriesExceeded', 'KafkaJSConnectionError'] });
    expect(toSinkError(protocol('NOT_LEADER_FOR_PARTITION', true)).retryable).toBe(true);
    expect(toSinkError(protocol('REQUEST_TIMED_OUT', true)).retryable).toBe(true);
    expect(toSinkError(new Error('something unknown')).retryable).toBe(true);
  });
});

describe('kafka logs', () => {
  it('routes KafkaJS logs into pino and drops anything about SASL', () => {
    const lines: Array<Record<string, unknown>> = [];
    const out = new Writable({
      write(chunk: Buffer, _enc, done) {
        lines.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
        done();
      },
    });
    const log = kafkaLogCreator(pino({ level: 'debug' }, out))(logLevel.INFO);
    const entry = (level: logLevel, message: string) => ({
      namespace: 'Connection',
      level,
      label: 'X',
      log: { timestamp: 't', message, broker: 'k1:9092' },
    });
    log(entry(logLevel.ERROR, 'Connection error: ECONNREFUSED'));
    log(entry(logLevel.INFO, 'Producer connected'));
    log(entry(logLevel.ERROR, 'SASL SCRAM-SHA-512 authentication failed for user u'));
    expect(lines.map((l) => [l['level'], l['msg'], l['detail'], l['broker']])).toEqual([
      [40, 'kafkajs', 'Connection error: ECONNREFUSED', 'k1:9092'],
      [20, 'kafkajs', 'Producer connected', 'k1:9092'],
    ]);
  });
});
