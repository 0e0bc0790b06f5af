import { z } from 'zod';
import { SINK_PLUGINS } from '../sinks/index.js';
import { SOURCE_PLUGINS } from '../sources/index.js';
import { RECORD_KINDS } from '../records.js';
import { DEFAULT_STATE_DIR } from '../state-dir.js';
import { duration, logLevel, size } from './types.js';

const tlsSchema = z.strictObject({
  /** Verify the daemon's certificate against `ca`. */
  verify: z.boolean().default(true),
  ca: z.string().optional(),
  cert: z.string().optional(),
  key: z.string().optional(),
});

const dockerSchema = z.strictObject({
  /** unix:///path or tcp://host:port; default: DOCKER_HOST, else the local socket. */
  host: z.string().optional(),
  /** Explicit TLS; default: DOCKER_TLS_VERIFY / DOCKER_CERT_PATH like the docker CLI. */
  tls: tlsSchema.optional(),
  /** Per-request timeout (not for streams). */
  timeout: duration().default(30_000),
  /** Pin an API version (e.g. "1.44"); default: negotiated with the daemon. */
  api_version: z.string().regex(/^1\.\d+$/, 'expected e.g. "1.44"').optional(),
});

/** Options every sink has, whatever its type. */
export const sinkCommon = {
  /** Source names whose records this sink takes. */
  inputs: z.array(z.string()).min(1, 'a sink needs at least one input'),
  /** Only these record kinds (default: all). */
  kinds: z.array(z.enum(RECORD_KINDS as [string, ...string[]])).optional(),
  batch: z
    .strictObject({
      max_records: z.number().int().positive().optional(),
      linger: duration().optional(),
    })
    .prefault({}),
  buffer: z
    .strictObject({
      type: z.enum(['memory', 'disk']).default('memory'),
      max_records: z.number().int().positive().default(10_000),
      max_size: size().default(64 * 1024 * 1024),
      /**
       * What a full buffer drops: the record being offered (`drop_newest`) or
       * the oldest queued one (`drop_oldest`). Never blocks: the events socket
       * must not stall. `block` is the old, misleading name of `drop_newest`.
       */
      when_full: z.enum(['drop_newest', 'drop_oldest', 'block']).default('drop_newest'),
    })
    .prefault({}),
  retry: z
    .strictObject({
      initial: duration().default(500),
      max: duration().default(30_000),
    })
    .prefault({}),
};

function pluginUnion<P extends { type: string; options: z.ZodObject }>(
  plugins: readonly P[],
  extra: z.ZodRawShape,
) {
  const members = plugins.map((p) =>
    p.options.extend({ type: z.literal(p.type), ...extra }).strict(),
  );
  return z.discriminatedUnion('type', members as unknown as [z.ZodObject, ...z.ZodObject[]]);
}

export function buildConfigSchema() {
  const sourceSchema = pluginUnion(SOURCE_PLUGINS, {});
  const sinkSchema = pluginUnion(SINK_PLUGINS, sinkCommon);
  return z.strictObject({
    docker: dockerSchema.prefault({}),
    log_level: logLevel.default('info'),
    /** Where the events cursor and disk spools live. */
    state_dir: z.string().default(DEFAULT_STATE_DIR),
    /** `<state_dir>/dead-letter/<sink>.ndjson`: records past this size are dropped and counted. */
    dead_letter: z.strictObject({ max_size: size().default(64 * 1024 * 1024) }).prefault({}),
    /** How long shutdown may take to drain queues. */
    shutdown_timeout: duration().default(10_000),
    sources: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . -'), sourceSchema),
    sinks: z.record(z.string().regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . -'), sinkSchema),
    telemetry: z
      .strictObject({
        /** host:port for /metrics, /healthz, /readyz; false turns it off. */
        listen: z.union([z.string(), z.literal(false)]).default('127.0.0.1:9323'),
      })
      .prefault({}),
  });
}

type SinkCommon = z.output<z.ZodObject<typeof sinkCommon>>;

export interface SourceConfig {
  readonly type: string;
  readonly [option: string]: unknown;
}
export type SinkConfig = SinkCommon & { readonly type: string; readonly [option: string]: unknown };

export interface Config {
  readonly docker: z.output<typeof dockerSchema>;
  readonly log_level: z.output<typeof logLevel>;
  readonly state_dir: string;
  readonly dead_letter: { readonly max_size: number };
  readonly shutdown_timeout: number;
  readonly sources: Readonly<Record<string, SourceConfig>>;
  readonly sinks: Readonly<Record<string, SinkConfig>>;
  readonly telemetry: { readonly listen: string | false };
}
