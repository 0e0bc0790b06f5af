/**
 * KafkaJS, loaded once, with the sink's replacements for three of its
 * internal modules put in first (kafkajs 2.2.x layout; 2.2.4 is its last
 * release). Each writes the same bytes or returns the same value as the
 * module it replaces; each was where the produce path spent its CPU:
 *
 * - `protocol/requests/produce/v3/request.js` (used by v3–v7): see
 *   `produce-encoder.ts`;
 * - `protocol/request.js`, the request framing: KafkaJS copies every request
 *   twice more into zero-filled, power-of-two-sized buffers (2 MiB zero-filled
 *   per 500-record produce request); this writes the header and copies the
 *   payload once;
 * - `producer/groupMessagesPerPartition.js`: KafkaJS copies a partition's
 *   array for every message it adds (quadratic in the batch); this pushes.
 *
 * How: KafkaJS `require`s these when its modules load (the produce encoders
 * lazily, on first produce), so their exports are replaced in the CommonJS
 * cache before `kafkajs` itself is loaded here. Every module of the sink
 * takes KafkaJS from this one, never from 'kafkajs' directly. A module that
 * was already loaded (by something else in the process) is left alone, and
 * so is KafkaJS when its layout differs: it then runs as published.
 * `DOCKSTREAM_KAFKAJS_REPLACEMENTS=off` in the environment keeps KafkaJS as
 * published (a way out if a replacement misbehaves; the benchmark's
 * comparison case uses it).
 */
import { createRequire } from 'node:module';
import {
  asEncoder,
  createProduceRequest,
  kafkajsDeps,
  kafkajsEncoderPrototype,
  nativeCrc32c,
  type EncoderLike,
  type ProduceRequestFactory,
} from './produce-encoder.js';

const require = createRequire(import.meta.url);

export type ReplacementState = 'installed' | 'too-late' | 'unsupported' | 'off';

/** The cache entry of a replaced module; KafkaJS's own exports are kept on it. */
type ReplacedModule = NodeJS.Module & { kafkajsExports?: unknown };

/**
 * Replaces `target`'s exports with `make(kafkajsExports)`, unless it or a
 * module that binds it at load (`loadedBy`) is already loaded.
 */
function replaceModule(target: string, loadedBy: readonly string[], make: (kafkajsExports: unknown) => unknown): ReplacementState {
  try {
    const path = require.resolve(target);
    const cached = require.cache[path] as ReplacedModule | undefined;
    if (cached?.kafkajsExports !== undefined) return 'installed'; // by an earlier copy of this module
    if (cached !== undefined || loadedBy.some((m) => require.cache[require.resolve(m)] !== undefined)) return 'too-late';
    const kafkajsExports = require(path) as unknown;
    const mod = require.cache[path] as ReplacedModule | undefined;
    if (mod === undefined) return 'unsupported';
    const replacement = make(kafkajsExports);
    mod.kafkajsExports = kafkajsExports;
    mod.exports = replacement;
    return 'installed';
  } catch {
    return 'unsupported';
  }
}

/** KafkaJS's own exports of a module, replaced or not (tests and the benchmark compare with them). */
export function kafkajsOriginal<T>(target: string): T {
  const path = require.resolve(target);
  const loaded = require(path) as T;
  return ((require.cache[path] as ReplacedModule | undefined)?.kafkajsExports as T | undefined) ?? loaded;
}

export const PRODUCE_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
export const FRAMING_MODULE = 'kafkajs/src/protocol/request.js';
export const GROUPING_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';

/** What KafkaJS's connection passes to its request framing. */
export interface FramingArgs {
  readonly correlationId: number;
  readonly clientId?: string | null;
  readonly request: { readonly apiKey: number; readonly apiVersion: number; readonly encode: () => Promise<EncoderLike> };
}

/** Size, api key, version, correlation id, client id, payload: KafkaJS's framing in one allocation. */
export function createRequestFraming(encoderProto: object): (args: FramingArgs) => Promise<EncoderLike> {
  return async ({ correlationId, clientId, request: { apiKey, apiVersion, encode } }) => {
    const payload = await encode();
    if (payload == null || !Buffer.isBuffer(payload.buf)) throw new Error('value should be an instance of Encoder');
    const body = payload.buffer;
    const clientIdLength = clientId == null ? -1 : Buffer.byteLength(clientId, 'utf8');
    const size = 2 + 2 + 4 + 2 + Math.max(clientIdLength, 0) + body.length;
    const buf = Buffer.allocUnsafe(4 + size);
    let at = buf.writeInt32BE(size, 0);
    at = buf.writeInt16BE(apiKey, at);
    at = buf.writeInt16BE(apiVersion, at);
    at = buf.writeInt32BE(correlationId, at);
    at = buf.writeInt16BE(clientIdLength, at);
    if (clientId != null) at += buf.write(clientId, at, clientIdLength, 'utf8');
    at += body.copy(buf, at);
    if (at !== 4 + size) throw new Error(`kafka request framing wrote ${at} of ${4 + size} bytes`);
    return asEncoder(encoderProto, buf, at);
  };
}

export interface GroupingArgs<M> {
  readonly topic: string;
  readonly partitionMetadata: readonly unknown[];
  readonly messages: readonly M[];
  readonly partitioner: (args: { topic: string; partitionMetadata: readonly unknown[]; message: M }) => number;
}

/** Messages by the partition the partitioner picks, in their order: KafkaJS's result, built in linear time. */
export function groupMessagesPerPartition<M>({ topic, partitionMetadata, messages, partitioner }: GroupingArgs<M>): Record<number, M[]> {
  const result: Record<number, M[]> = {};
  if (partitionMetadata.length === 0) return result;
  for (const message of messages) {
    const partition = partitioner({ topic, partitionMetadata, message });
    (result[partition] ??= []).push(message);
  }
  return result;
}

export interface KafkajsInternals {
  readonly produce: ReplacementState;
  readonly framing: ReplacementState;
  readonly grouping: ReplacementState;
  readonly nativeCrc32c: boolean;
}

function installInternals(): KafkajsInternals {
  if (process.env['DOCKSTREAM_KAFKAJS_REPLACEMENTS'] === 'off') return { produce: 'off', framing: 'off', grouping: 'off', nativeCrc32c: false };
  const produce = replaceModule(
    PRODUCE_MODULE,
    [4, 5, 6, 7].map((v) => `kafkajs/src/protocol/requests/produce/v${v}/request.js`),
    (kafkajs) => createProduceRequest(kafkajsDeps(kafkajs as ProduceRequestFactory)),
  );
  const framing = replaceModule(FRAMING_MODULE, ['kafkajs/src/network/connection.js'], () => createRequestFraming(kafkajsEncoderPrototype()));
  const grouping = replaceModule(GROUPING_MODULE, ['kafkajs/src/producer/sendMessages.js'], (kafkajs) => {
    if (typeof kafkajs !== 'function') throw new Error('unexpected kafkajs layout');
    return groupMessagesPerPartition;
  });
  return { produce, framing, grouping, nativeCrc32c: produce === 'installed' && nativeCrc32c };
}

/** What was replaced in this process (logged by the sink at debug; asserted by tests). */
export const kafkajsInternals: KafkajsInternals = installInternals();

const kafkajs = require('kafkajs') as typeof import('kafkajs');
export const { Kafka, CompressionTypes, Partitioners, logLevel } = kafkajs;
export type Kafka = import('kafkajs').Kafka;
