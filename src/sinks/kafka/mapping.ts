/**
 * Pure mapping from records to Kafka messages: topic, key, headers, value,
 * timestamp, and the size guard. No I/O here.
 */
import { recordJson } from '../../pipeline/serialize.js';
import { containerOf, RECORD_KINDS, type DsRecord, type HostInfo, type RecordKind } from '../../records.js';
import type { KafkaOptions } from './options.js';
import type { ProduceMessage, TopicMessages } from './port.js';

/** Fixed header of a v2 record batch (what the broker's size limit also counts). */
export const RECORD_BATCH_OVERHEAD = 61;
/** Upper bound of a record's own framing: length, attributes, deltas, key/value/header-count varints. */
const RECORD_OVERHEAD = 40;
/** Upper bound of one header's two length varints. */
const HEADER_OVERHEAD = 10;

export interface MappedMessage {
  readonly topic: string;
  /**
   * The value is the record's cached JSON string (`recordJson`, computed once
   * for the queue's size accounting): KafkaJS writes strings straight into its
   * encode buffer, so no second serialization and no intermediate Buffer.
   */
  readonly message: ProduceMessage;
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

interface HeaderEntry {
  /** Frozen and shared by every message of that host, kind and schema (the produce encoder caches their bytes). */
  readonly headers: Readonly<Record<string, string>>;
  /** Their share of a message's `bytes`. */
  readonly bytes: number;
}

/** Host object (stable between daemon reconnects) → `kind:schema` → headers. */
const headerCache = new WeakMap<HostInfo, Map<string, HeaderEntry>>();

function headerEntry(record: DsRecord): HeaderEntry {
  let byKind = headerCache.get(record.host);
  if (byKind === undefined) {
    byKind = new Map();
    headerCache.set(record.host, byKind);
  }
  const id = `${record.kind}:${record.schema}`;
  let entry = byKind.get(id);
  if (entry === undefined) {
    const headers = Object.freeze({ kind: record.kind, schema: String(record.schema), host: record.host.name });
    entry = { headers, bytes: headersSize(headers) };
    byKind.set(id, entry);
  }
  return entry;
}

export function messageHeaders(record: DsRecord): Readonly<Record<string, string>> {
  return headerEntry(record).headers;
}

/** Last whole second parsed, and the last millisecond's string: records arrive in time order, so most share them. */
let lastSecond = '';
let lastSecondMs = NaN;
let lastMs = NaN;
let lastMsString = '';

/** The digit at `t[i]` as a number, or -1. */
function digitAt(t: string, i: number): number {
  const d = t.charCodeAt(i) - 48;
  return d >= 0 && d <= 9 ? d : -1;
}

/**
 * Kafka timestamps are milliseconds; the record's nanoseconds are kept in the
 * value. The usual `YYYY-MM-DDTHH:MM:SS.fffffffffZ` is split into its second
 * (parsed once per second) and milliseconds (read digit by digit: slices and
 * a regex per record were 2-3% of the sink's CPU); anything else goes to
 * Date.parse.
 */
export function messageTimestamp(record: DsRecord, now: () => number = Date.now): string {
  const t = record.time;
  if (t.length >= 24 && t.charCodeAt(19) === 46 /* . */ && t.charCodeAt(t.length - 1) === 90 /* Z */) {
    if (lastSecond === '' || !t.startsWith(lastSecond)) {
      lastSecond = t.slice(0, 19);
      lastSecondMs = Date.parse(`${lastSecond}Z`);
    }
    const d0 = digitAt(t, 20);
    const d1 = digitAt(t, 21);
    const d2 = digitAt(t, 22);
    if (Number.isFinite(lastSecondMs) && d0 >= 0 && d1 >= 0 && d2 >= 0) {
      const ms = lastSecondMs + d0 * 100 + d1 * 10 + d2;
      if (ms !== lastMs) {
        lastMs = ms;
        lastMsString = String(ms);
      }
      return lastMsString;
    }
  }
  const ms = Date.parse(t);
  return String(Number.isFinite(ms) ? ms : now());
}

function headersSize(headers: Readonly<Record<string, string>>): number {
  let bytes = 0;
  for (const name in headers) {
    bytes += HEADER_OVERHEAD + Buffer.byteLength(name) + Buffer.byteLength(headers[name] as string);
  }
  return bytes;
}

export function toMessage(record: DsRecord, topicFor: (kind: RecordKind) => string): MappedMessage {
  const key = messageKey(record);
  const value = recordJson(record);
  const { headers, bytes } = headerEntry(record);
  return {
    topic: topicFor(record.kind),
    message: { key, value, headers, timestamp: messageTimestamp(record) },
    bytes: RECORD_OVERHEAD + Buffer.byteLength(key) + Buffer.byteLength(value) + bytes,
  };
}

/**
 * A reason when the record alone would exceed the limit, else null. The text
 * before the colon is fixed: it becomes the dead-letter metric's `reason`
 * label, which must not vary with the size.
 */
export function oversizeReason(mapped: MappedMessage, maxMessageBytes: number): string | null {
  const size = mapped.bytes + RECORD_BATCH_OVERHEAD;
  return size > maxMessageBytes ? `message too large: ${size} bytes exceed max_message_bytes ${maxMessageBytes} (topic ${mapped.topic})` : null;
}

/**
 * Splits messages into produce requests whose total stays under the limit, so
 * no partition's record batch can exceed it whatever the partitioner picks.
 * Order is kept: requests go out one after another, and each topic's
 * messages keep their relative order inside a request.
 */
export function planRequests(messages: readonly MappedMessage[], maxMessageBytes: number): TopicMessages[][] {
  const requests: TopicMessages[][] = [];
  let byTopic = new Map<string, ProduceMessage[]>();
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
