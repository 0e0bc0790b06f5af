/**
 * Every KafkaJS private path the Kafka sink touches, and the one function that
 * installs the sink's replacements: `installKafkajsInternals()`, called by the
 * KafkaJS adapter at sink start, before it loads KafkaJS. Importing this
 * module changes nothing.
 *
 * Layout: kafkajs 2.2.x, pinned to 2.2.4 (its last release) in package.json.
 * Replaced, each writing the same bytes or returning the same value as the
 * module it replaces (where the produce path spent its CPU):
 *
 * | label (gauge, log)   | KafkaJS module (bound at load by)                                   | by                      |
 * |----------------------|---------------------------------------------------------------------|-------------------------|
 * | `produce_encoder`    | `protocol/requests/produce/v3/request.js` (v4–v7, lazily on produce) | `produce-encoder.ts`    |
 * | `request_framing`    | `protocol/request.js` (`network/connection.js`)                      | `request-framing.ts`    |
 * | `partition_grouping` | `producer/groupMessagesPerPartition.js` (`producer/sendMessages.js`) | `partition-grouping.ts` |
 *
 * Read, for the produce encoder: `protocol/encoder.js` (the Encoder
 * prototype: `buf`, `offset`, the `buffer` getter),
 * `protocol/message/compression/index.js` (`lookupCodec`), `utils/long.js`
 * (`Long.fromValue`), `protocol/recordBatch/crc32C/index.js` (when the native
 * CRC32C does not load).
 *
 * How: the modules above bind their dependency when they load, so each
 * replacement goes into the CommonJS cache before that happens. Each one falls
 * back to KafkaJS as published on its own: `off` (DOCKSTREAM_KAFKAJS_REPLACEMENTS=off,
 * a way out if a replacement misbehaves; the benchmark's comparison case uses
 * it), `too-late` (it or a module binding it was already loaded by something
 * else in the process), `unsupported` (the layout differs).
 */
import { createRequire } from 'node:module';
import type { Logger } from '../../log.js';
import type { SelfMetrics } from '../../telemetry/metrics.js';
import { groupMessagesPerPartition } from './partition-grouping.js';
import { createProduceRequest } from './produce-encoder.js';
import type { ProduceEncoderDeps, ProduceRequestFactory } from './produce-types.js';
import { createRequestFraming } from './request-framing.js';

const require = createRequire(import.meta.url);

export const PRODUCE_MODULE = 'kafkajs/src/protocol/requests/produce/v3/request.js';
const PRODUCE_WRAPPERS = [4, 5, 6, 7].map((v) => `kafkajs/src/protocol/requests/produce/v${v}/request.js`);
export const FRAMING_MODULE = 'kafkajs/src/protocol/request.js';
const CONNECTION_MODULE = 'kafkajs/src/network/connection.js';
export const GROUPING_MODULE = 'kafkajs/src/producer/groupMessagesPerPartition.js';
const SEND_MESSAGES_MODULE = 'kafkajs/src/producer/sendMessages.js';
const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';
const COMPRESSION_MODULE = 'kafkajs/src/protocol/message/compression/index.js';
const LONG_MODULE = 'kafkajs/src/utils/long.js';
const CRC32C_MODULE = 'kafkajs/src/protocol/recordBatch/crc32C/index.js';

export type ReplacementState = 'installed' | 'too-late' | 'unsupported' | 'off';

export interface KafkajsInternals {
  readonly produce: ReplacementState;
  readonly framing: ReplacementState;
  readonly grouping: ReplacementState;
  readonly nativeCrc32c: boolean;
}

/** The `replacement` label of each (dockstream_kafkajs_replacement_installed, docs/metrics.md). */
export const REPLACEMENT_LABELS = { produce: 'produce_encoder', framing: 'request_framing', grouping: 'partition_grouping' } as const;

/** The cache entry of a replaced module; KafkaJS's own exports are kept on it. */
type ReplacedModule = { exports: unknown; kafkajsExports?: unknown };

/**
 * Replaces `target`'s exports with `make(kafkajsExports)`, unless it or a
 * module that binds it at load (`loadedBy`) is already loaded.
 */
function replaceModule(target: string, loadedBy: readonly string[], make: (kafkajsExports: unknown) => unknown): ReplacementState {
  try {
    const path = require.resolve(target);
    const cached = require.cache[path] as ReplacedModule | undefined;
    if (cached?.kafkajsExports !== undefined) return 'installed'; // by another copy of this module (src and dist in one process)
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

interface Crc32c {
  readonly crc32c: (bytes: Buffer) => number;
  readonly native: boolean;
}

let crc: Crc32c | undefined;

/** The native CRC32C (SSE 4.2 / ARMv8, ~5 GB/s here against KafkaJS's 0.4); KafkaJS's own where it does not load. */
function loadCrc32c(): Crc32c {
  if (crc !== undefined) return crc;
  try {
    const { crc32c } = require('@node-rs/crc32') as { crc32c: (input: Uint8Array, initial?: number) => number };
    crc = { crc32c: (bytes) => crc32c(bytes), native: true };
  } catch {
    crc = { crc32c: require(CRC32C_MODULE) as (bytes: Buffer) => number, native: false };
  }
  return crc;
}

/** KafkaJS's Encoder prototype (throws when its layout differs: `asEncoder` relies on its `buf`, `offset` and `buffer`). */
export function kafkajsEncoderPrototype(): object {
  const Encoder = require(ENCODER_MODULE) as { prototype: object };
  if (typeof Object.getOwnPropertyDescriptor(Encoder.prototype, 'buffer')?.get !== 'function') throw new Error('unexpected kafkajs layout');
  return Encoder.prototype;
}

/** KafkaJS's own pieces the produce encoder needs (throws when its layout differs). */
export function kafkajsDeps(kafkajs: ProduceRequestFactory): ProduceEncoderDeps & { nativeCrc32c: boolean } {
  const encoderProto = kafkajsEncoderPrototype();
  const { lookupCodec } = require(COMPRESSION_MODULE) as Pick<ProduceEncoderDeps, 'lookupCodec'>;
  const Long = require(LONG_MODULE) as { fromValue: ProduceEncoderDeps['toLong'] };
  if (typeof kafkajs !== 'function' || typeof lookupCodec !== 'function' || typeof Long.fromValue !== 'function') {
    throw new Error('unexpected kafkajs layout');
  }
  const { crc32c, native } = loadCrc32c();
  return { kafkajs, encoderProto, lookupCodec, toLong: (v) => Long.fromValue(v), crc32c, nativeCrc32c: native };
}

let installed: KafkajsInternals | undefined;

function install(): KafkajsInternals {
  if (process.env['DOCKSTREAM_KAFKAJS_REPLACEMENTS'] === 'off') return { produce: 'off', framing: 'off', grouping: 'off', nativeCrc32c: false };
  const produce = replaceModule(PRODUCE_MODULE, PRODUCE_WRAPPERS, (kafkajs) => createProduceRequest(kafkajsDeps(kafkajs as ProduceRequestFactory)));
  const framing = replaceModule(FRAMING_MODULE, [CONNECTION_MODULE], () => createRequestFraming(kafkajsEncoderPrototype()));
  const grouping = replaceModule(GROUPING_MODULE, [SEND_MESSAGES_MODULE], (kafkajs) => {
    if (typeof kafkajs !== 'function') throw new Error('unexpected kafkajs layout');
    return groupMessagesPerPartition;
  });
  return { produce, framing, grouping, nativeCrc32c: produce === 'installed' && loadCrc32c().native };
}

/**
 * Installs the replacements (once per process; later calls return the first
 * call's state). Call before anything loads KafkaJS.
 */
export function installKafkajsInternals(): KafkajsInternals {
  installed ??= install();
  return installed;
}

/** What `installKafkajsInternals()` installed; undefined before it ran. */
export function kafkajsInternals(): KafkajsInternals | undefined {
  return installed;
}

function kafkajsVersion(): string | undefined {
  try {
    return String((require('kafkajs/package.json') as { version?: unknown }).version);
  } catch {
    return undefined; // only for the log line
  }
}

/** One info line (what is replaced, or "published KafkaJS") and the gauge, at sink start. */
export function reportKafkajsInternals(internals: KafkajsInternals, log: Logger, metrics: SelfMetrics): void {
  const parts = (['produce', 'framing', 'grouping'] as const).map((k) => [REPLACEMENT_LABELS[k], internals[k]] as const);
  for (const [replacement, state] of parts) metrics.kafkajsReplacement.set({ replacement }, state === 'installed' ? 1 : 0);
  const replaced = parts.filter(([, state]) => state === 'installed').map(([label]) => label);
  log.info(
    { kafkajs: kafkajsVersion(), replacements: Object.fromEntries(parts), native_crc32c: internals.nativeCrc32c },
    replaced.length === 0 ? 'kafkajs internals: published KafkaJS' : `kafkajs internals: replaced ${replaced.join(', ')}`,
  );
}
