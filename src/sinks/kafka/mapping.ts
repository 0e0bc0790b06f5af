/**
 * Pure mapping from records to Kafka messages: topic, key, headers, value,
 * timestamp, and the size guard. No I/O here.
 */
import type { Message, TopicMessages } from 'kafkajs';
import { containerOf, RECORD_KINDS, type DsRecord, type RecordKind } from '../../records.js';
import type { KafkaOptions } from './options.js';

/** Fixed header of a v2 record batch (what the broker's size limit also counts). */
export const RECORD_BATCH_OVERHEAD = 61;
/** Upper bound of a record's own framing: length, attributes, deltas, key/value/header-count varints. */
const RECORD_OVERHEAD = 40;
/** Upper bound of one header's two length varints. */
const HEADER_OVERHEAD = 10;

export interface MappedMessage {
  readonly topic: string;
  readonly message: Message & { key: string; value: Buffer; headers: Record<string, string>; timestamp: string };
  /** Upper bound of the message's size inside a record batch (uncompressed). */
  readonly bytes: number;
}

/** Resolves each kind's topic once: per-kind override, else the template. */
export function topicResolver(options: Pick<KafkaOptions, 'topic' | 'topics'>): (kind: RecordKind) => string {
  const table = new Map<RecordKind, string>();
  for (const kind of RECORD_KINDS) {
    const template = options.topics[kind] ?? options.topic;
    table.set(kind, template.replaceAll('{kind}', kind));
  }
  return (kind) => table.get(kind) as string;
}

/** One container's records share a key (so a partition, so an order); others go by host. */
export function messageKey(record: DsRecord): string {
  return containerOf(record)?.id ?? record.host.name;
}

export function messageHeaders(record: DsRecord): Record<string, string> {
  return { kind: record.kind, schema: String(record.schema), host: record.host.name };
}

/** Kafka timestamps are milliseconds; the record's nanoseconds are kept in the value. */
export function messageTimestamp(record: DsRecord, now: () => number = Date.now): string {
  const ms = Date.parse(record.time);
  return String(Number.isFinite(ms) ? ms : now());
}

export function messageSize(key: string, value: Buffer, headers: Record<string, string>): number {
  let bytes = RECORD_OVERHEAD + Buffer.byteLength(key) + value.length;
  for (const name in headers) {
    bytes += HEADER_OVERHEAD + Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string);
  }
  return bytes;
}

export function toMessage(record: DsRecord, topicFor: (kind: RecordKind) => string): MappedMessage {
  const key = messageKey(record);
  const value = Buffer.from(JSON.stringify(record));
  const headers = messageHeaders(record);
  return {
    topic: topicFor(record.kind),
    message: { key, value, headers, timestamp: messageTimestamp(record) },
    bytes: messageSize(key, value, headers),
  };
}

/** A reason when the record alone would exceed the limit, else null. */
export function oversizeReason(mapped: MappedMessage, maxMessageBytes: number): string | null {
  const size = mapped.bytes + RECORD_BATCH_OVERHEAD;
  return size > maxMessageBytes
    ? `message of ${size} bytes exceeds max_message_bytes ${maxMessageBytes} (topic ${mapped.topic})`
    : null;
}

/**
 * Splits messages into produce requests whose total stays under the limit, so
 * no partition's record batch can exceed it whatever the partitioner picks.
 * Order is kept: requests go out one after another, and each topic's
 * messages keep their relative order inside a request.
 */
export function planRequests(messages: readonly MappedMessage[], maxMessageBytes: number): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let byTopic = new Map<string, Message[]>();
  let used = RECORD_BATCH_OVERHEAD;
  const flush = () => {
    if (byTopic.size === 0) return;
    requests.push([...byTopic].map(([topic, msgs]) => ({ topic, messages: msgs })));
    byTopic = new Map();
    used = RECORD_BATCH_OVERHEAD;
  };
  for (const m of messages) {
    if (used + m.bytes > maxMessageBytes) flush();
    let list = byTopic.get(m.topic);
    if (list === undefined) {
      list = [];
      byTopic.set(m.topic, list);
    }
    list.push(m.message);
    used += m.bytes;
  }
  flush();
  return requests;
}
