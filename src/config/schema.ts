import { z } from 'zod';
import type { PluginRegistry } from '../plugin.js';
import { sinkCommon } from '../pipeline/sink-settings.js';
import { tlsFilesSchema } from '../options/tls.js';
import { DEFAULT_STATE_DIR } from '../state-dir.js';
import { duration, logLevel, size } from '../options/units.js';

const dockerSchema = z.strictObject({
  /** unix:///path or tcp://host:port; default: DOCKER_HOST, else the local socket. */
  host: z.string().optional(),
  /** Explicit TLS; default: DOCKER_TLS_VERIFY / DOCKER_CERT_PATH like the docker CLI. */
  tls: tlsFilesSchema.optional(),
  /** Per-request timeout (not for streams). */
  timeout: duration().default(30_000),
  /** Pin an API version (e.g. "1.44"); default: negotiated with the daemon. */
  api_version: z
    .string()
    .regex(/^1\.\d+$/, 'expected e.g. "1.44"')
    .optional(),
});

/** The name of the daemon `docker:` configures (discovery chain, `-H`). */
export const LOCAL_DAEMON = 'local';

/** Another daemon the agent reads (`daemons.<name>`): the same keys, with an explicit address. */
const namedDaemonSchema = dockerSchema.extend({
  /** unix:///path or tcp://host:port (no discovery: it names one daemon). */
  host: z.string().min(1),
});

/** Options every source has, whatever its type. */
export const sourceCommon = {
  /** The daemon it reads: `local` (the `docker:` block) or a name under `daemons:`. */
  daemon: z.string().default(LOCAL_DAEMON),
};

/** What every source entry is, whatever its type: the type's own options are checked by its plugin's schema. */
const sourceEntry = z.looseObject({ type: z.string(), ...sourceCommon });
/** What every sink entry is: the common keys, then the type's own options. */
const sinkEntry = z.looseObject({ type: z.string(), ...sinkCommon });

/**
 * One member per plugin type: its options plus `type` (and, for sinks, the
 * common keys), strict. Typed as the generic entry: what a member adds is
 * only known to the plugin, which gets its options back typed (plugin.ts).
 */
function pluginUnion<E extends z.ZodType>(plugins: ReadonlyArray<{ type: string; options: z.ZodObject }>, extra: z.ZodRawShape, _entry: E): E {
  const members = plugins.map((p) => p.options.extend({ type: z.literal(p.type), ...extra }).strict());
  return z.discriminatedUnion('type', members as unknown as [z.ZodObject, ...z.ZodObject[]]) as unknown as E;
}

const names = () => z.string().regex(/^[A-Za-z0-9_.-]+$/, 'names use letters, digits, _ . -');

function configSchema(source: typeof sourceEntry, sink: typeof sinkEntry) {
  return z.strictObject({
    docker: dockerSchema.prefault({}),
    /** More daemons, by name; a source reads one with `daemon: <name>`. */
    daemons: z.record(names(), namedDaemonSchema).default({}),
    log_level: logLevel.default('info'),
    /** Where the events cursor and disk spools live. */
    state_dir: z.string().default(DEFAULT_STATE_DIR),
    /** `<state_dir>/dead-letter/<sink>.ndjson`: records past this size are dropped and counted. */
    dead_letter: z.strictObject({ max_size: size().default(64 * 1024 * 1024) }).prefault({}),
    /** How long shutdown may take to drain queues. */
    shutdown_timeout: duration().default(10_000),
    sources: z.record(names(), source),
    sinks: z.record(names(), sink),
    telemetry: z
      .strictObject({
        /** host:port for /metrics, /healthz, /readyz; false turns it off. */
        listen: z.union([z.string(), z.literal(false)]).default('127.0.0.1:9323'),
      })
      .prefault({}),
  });
}

/** The config schema for the source and sink types of `plugins`. */
export function buildConfigSchema(plugins: PluginRegistry) {
  return configSchema(pluginUnion(plugins.sources, sourceCommon, sourceEntry), pluginUnion(plugins.sinks, sinkCommon, sinkEntry));
}

export type Config = z.output<ReturnType<typeof configSchema>>;
export type SourceConfig = Config['sources'][string];
export type SinkConfig = Config['sinks'][string];
export type DaemonConfig = Config['docker'];
