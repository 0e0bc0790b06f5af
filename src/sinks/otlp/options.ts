import { z } from 'zod';
import { httpAuthShape } from '../../options/http-auth.js';
import { certWithKey, tlsShape } from '../../options/tls.js';
import { duration } from '../../options/units.js';
import { DsError } from '../../errors.js';

export const OTLP_PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
export type OtlpProtocol = (typeof OTLP_PROTOCOLS)[number];
export type Signal = 'logs' | 'metrics';

export const otlpOptions = z.object({
  /** Default: OTEL_EXPORTER_OTLP_{LOGS,METRICS}_PROTOCOL, OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
  protocol: z.enum(OTLP_PROTOCOLS).optional(),
  /** Base URL like OTEL_EXPORTER_OTLP_ENDPOINT (HTTP appends /v1/logs, /v1/metrics; gRPC uses it as is). */
  endpoint: z.string().min(1).optional(),
  /** Full per-signal URLs (HTTP: used as is, no path appended). */
  logs_endpoint: z.string().min(1).optional(),
  metrics_endpoint: z.string().min(1).optional(),
  /** Sent with every export (HTTP headers / gRPC metadata; headers merged over OTEL_EXPORTER_OTLP_HEADERS); basic_auth and bearer_token become `Authorization`. */
  ...httpAuthShape,
  compression: z.enum(['none', 'gzip']).optional(),
  /** Per export request; default OTEL_EXPORTER_OTLP_TIMEOUT, else 10s. */
  timeout: duration().optional(),
  /** Replaces OTEL_EXPORTER_OTLP_CERTIFICATE / _CLIENT_KEY / _CLIENT_CERTIFICATE when set. */
  tls: z
    .strictObject({
      ...tlsShape,
      /** gRPC only: plaintext instead of TLS (like OTEL_EXPORTER_OTLP_INSECURE=true). */
      insecure: z.boolean().optional(),
    })
    .refine(...certWithKey)
    .optional(),
  /** Container labels copied to the resource: a list (as `container.label.<key>`) or label → attribute name. */
  container_labels: z.union([z.array(z.string()), z.record(z.string(), z.string())]).optional(),
  /** Static resource attributes, e.g. `deployment.environment.name: prod`. */
  resource_attributes: z.record(z.string(), z.string()).optional(),
  /** Metric exports run one per resource (container); this many at a time. */
  max_concurrent_exports: z.number().int().min(1).max(64).default(8),
});
export type OtlpSinkOptions = z.output<typeof otlpOptions>;

/** Where one signal goes and how. */
export interface SignalTarget {
  readonly protocol: OtlpProtocol;
  /** What the exporter gets as `url` (undefined: the exporter falls back to env, then its default). */
  readonly url: string | undefined;
  /** The effective endpoint, for messages. */
  readonly describe: string;
}

type Env = Readonly<Record<string, string | undefined>>;

function envValue(env: Env, name: string): string | undefined {
  const v = env[name]?.trim();
  return v === undefined || v === '' ? undefined : v;
}

function appendPath(base: string, path: string): string {
  return (base.endsWith('/') ? base : base + '/') + path;
}

/** Protocol of a signal: config, then the signal's env var, then the general one (OTel SDK precedence). */
export function resolveProtocol(configured: OtlpProtocol | undefined, signal: Signal, env: Env): OtlpProtocol {
  if (configured) return configured;
  const name = `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_PROTOCOL`;
  const raw = envValue(env, name) ?? envValue(env, 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (raw === undefined) return 'http/protobuf';
  if ((OTLP_PROTOCOLS as readonly string[]).includes(raw)) return raw as OtlpProtocol;
  throw new DsError('CONFIG_INVALID', 'unsupported OTLP protocol in environment', {
    details: { value: raw, expected: OTLP_PROTOCOLS.join(' | ') },
  });
}

/**
 * The endpoint of a signal. Config wins over env; within each, the
 * signal-specific setting wins over the general one. The exporters read the
 * env themselves when `url` is undefined; `describe` mirrors what they do.
 */
export function resolveTarget(opts: OtlpSinkOptions, signal: Signal, env: Env): SignalTarget {
  const protocol = resolveProtocol(opts.protocol, signal, env);
  const specific = signal === 'logs' ? opts.logs_endpoint : opts.metrics_endpoint;
  const path = signal === 'logs' ? 'v1/logs' : 'v1/metrics';
  const envSpecific = envValue(env, `OTEL_EXPORTER_OTLP_${signal.toUpperCase()}_ENDPOINT`);
  const envGeneral = envValue(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (protocol === 'grpc') {
    const url = specific ?? opts.endpoint;
    return { protocol, url, describe: url ?? envSpecific ?? envGeneral ?? 'http://localhost:4317' };
  }
  const url = specific ?? (opts.endpoint === undefined ? undefined : appendPath(opts.endpoint, path));
  const fromEnv = envSpecific ?? (envGeneral === undefined ? undefined : appendPath(envGeneral, path));
  return { protocol, url, describe: url ?? fromEnv ?? `http://localhost:4318/${path}` };
}
