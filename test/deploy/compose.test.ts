import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';

const DIR = join(import.meta.dirname, '../../deploy/compose');

interface ComposeService {
  image?: string;
  build?: { context: string; dockerfile: string };
  restart?: string;
  group_add?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  stop_grace_period?: string;
}
interface Compose {
  name?: string;
  services: Record<string, ComposeService>;
  volumes?: Record<string, unknown>;
}

/** The variables a compose file interpolates, with whether each is required (`:?`). */
function composeVariables(text: string): Map<string, 'required' | 'default'> {
  const vars = new Map<string, 'required' | 'default'>();
  for (const m of text.matchAll(/\$\{([A-Z_][A-Z0-9_]*)(:\?|:-)[^}]*\}/g)) vars.set(m[1] ?? '', m[2] === ':?' ? 'required' : 'default');
  return vars;
}

/** `KEY=value` lines of an env file. */
function envFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line.trim());
    if (m) out[m[1] ?? ''] = m[2] ?? '';
  }
  return out;
}

describe('deploy/compose', () => {
  const composeText = readFileSync(join(DIR, 'compose.yaml'), 'utf8');
  const compose = parse(composeText) as Compose;
  const svc = compose.services['dockstream'] as ComposeService;
  const example = envFile(readFileSync(join(DIR, '.env.example'), 'utf8'));

  it('runs the agent as a sidecar with the docker socket read-only, a named state volume and the config read-only', () => {
    expect(Object.keys(compose.services)).toEqual(['dockstream']);
    expect(svc.build).toEqual({ context: '../..', dockerfile: 'deploy/docker/Dockerfile' });
    const mounts = (svc.volumes ?? []).map((v) => v.split(':'));
    expect(mounts).toContainEqual(['/var/run/docker.sock', '/var/run/docker.sock', 'ro']);
    expect(mounts).toContainEqual(['./config.yaml', '/etc/dockstream/config.yaml', 'ro']);
    const state = mounts.find((m) => m[1] === '/var/lib/dockstream');
    expect(state).toEqual(['dockstream-state', '/var/lib/dockstream']);
    // A named volume (declared at top level), not a bind mount.
    expect(Object.keys(compose.volumes ?? {})).toContain('dockstream-state');
    // Nothing else is mounted writable.
    expect(mounts.filter((m) => m[2] !== 'ro').map((m) => m[0])).toEqual(['dockstream-state']);
  });

  it('joins the socket group, restarts, drops privileges and waits for the drain on stop', () => {
    expect(svc.group_add).toEqual(['${DOCKER_GID:-999}']);
    expect(svc.restart).toBe('unless-stopped');
    expect(svc.read_only).toBe(true);
    expect(svc.cap_drop).toEqual(['ALL']);
    expect(svc.security_opt).toEqual(['no-new-privileges:true']);
    expect(svc.stop_grace_period).toBe('30s');
    // The metrics port is published on loopback only.
    expect(svc.ports).toEqual(['127.0.0.1:${DOCKSTREAM_METRICS_PORT:-9323}:9323']);
  });

  it('takes Kafka and OTLP endpoints from the environment, all documented in .env.example', () => {
    expect(svc.environment?.['KAFKA_BROKERS']).toBe('${KAFKA_BROKERS:?set KAFKA_BROKERS in .env}');
    expect(svc.environment?.['OTEL_EXPORTER_OTLP_ENDPOINT']).toBe('${OTEL_EXPORTER_OTLP_ENDPOINT:?set OTEL_EXPORTER_OTLP_ENDPOINT in .env}');
    for (const name of composeVariables(composeText).keys()) {
      if (name !== 'DOCKSTREAM_IMAGE') expect(Object.keys(example), name).toContain(name);
    }
  });

  it("config.yaml passes the agent's own validation with .env.example's values", () => {
    // What the container sees: compose passes these through `environment:`.
    const env = Object.fromEntries(Object.entries(svc.environment ?? {}).map(([k]) => [k, example[k] ?? '']));
    const config = parseConfig(readFileSync(join(DIR, 'config.yaml'), 'utf8'), 'config.yaml', BUILTIN_PLUGINS, env);
    expect(Object.keys(config.sources)).toEqual(['events', 'stats', 'df']);
    expect(config.sinks['kafka']).toMatchObject({ type: 'kafka', inputs: ['events', 'stats', 'df'], brokers: ['kafka-1.example.internal:9092'] });
    expect(config.sinks['otlp']).toMatchObject({ type: 'otlp', endpoint: 'http://otel-collector.example.internal:4318' });
    expect(config.state_dir).toBe('/var/lib/dockstream');
    expect(config.telemetry.listen).toBe('0.0.0.0:9323');
    // stop_grace_period must leave room for the drain.
    expect(config.shutdown_timeout).toBe(15_000);
  });

  it('config.yaml names the missing endpoint variables when they are not set', () => {
    let err: unknown;
    try {
      parseConfig(readFileSync(join(DIR, 'config.yaml'), 'utf8'), 'config.yaml', BUILTIN_PLUGINS, {});
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const message = (err as Error).message;
    expect(message).toMatch(/sinks\.kafka\.brokers\[0\]: environment variable KAFKA_BROKERS is not set/);
    expect(message).toMatch(/sinks\.otlp\.endpoint: environment variable OTEL_EXPORTER_OTLP_ENDPOINT is not set/);
  });
});
