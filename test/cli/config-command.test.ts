// `dockstream config`: the effective config as YAML after ${VAR} substitution
// and defaults, secrets redacted, itself a valid config (printing it again
// gives the same text).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli } from '../harness/cli-run.js';

const dir = mkdtempSync(join(tmpdir(), 'ds-config-cmd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SECRETS = {
  KAFKA_PASSWORD: 'kafka-pw-3f9a1c',
  OTLP_TOKEN: 'otlp-token-77d0e2',
  KEY_PASS: 'key-pass-5b2e90',
  RW_TOKEN: 'rw-token-c41d07',
  RW_PASSWORD: 'rw-pw-9e6a3f',
};

describe('dockstream config', () => {
  it('redacts a SASL password, a TLS key passphrase, remote-write credentials and an OTLP header set through ${VAR}; substitutes and fills defaults; prints a valid config', async () => {
    const file = join(dir, 'secrets.yaml');
    writeFileSync(
      file,
      `state_dir: ${dir}/state
sources:
  events: { type: docker_events }
  stats:
    type: docker_stats
    interval: \${STATS_EVERY:-30s}
sinks:
  kafka:
    type: kafka
    inputs: [events, stats]
    brokers: ["\${KAFKA_BROKER}"]
    sasl: { mechanism: scram-sha-512, username: agent, password: "\${KAFKA_PASSWORD}" }
    tls: { key_passphrase: "\${KEY_PASS}" }
  rw:
    type: prometheus_remote_write
    inputs: [stats]
    endpoint: http://127.0.0.1:9090/api/v1/write
    bearer_token: "\${RW_TOKEN}"
  rw_basic:
    type: prometheus_remote_write
    inputs: [stats]
    endpoint: http://127.0.0.1:9090/api/v1/write
    basic_auth: { username: agent, password: "\${RW_PASSWORD}" }
  otel:
    type: otlp
    inputs: [events]
    endpoint: http://127.0.0.1:4318
    headers: { authorization: "Bearer \${OTLP_TOKEN}", x-tenant: platform }
telemetry: { listen: false }
`,
    );
    const env = { PATH: process.env['PATH'], HOME: dir, KAFKA_BROKER: '127.0.0.1:19092', ...SECRETS };
    const r = await runCli(['config', '-c', file], { env });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const secret of Object.values(SECRETS)) expect(r.stdout).not.toContain(secret);
    const out = parse(r.stdout) as {
      sources: { stats: { interval: string } };
      sinks: { kafka: Record<string, unknown> & { sasl: Record<string, string>; buffer: Record<string, unknown> }; otel: { headers: Record<string, string> } };
    };
    expect(out.sinks.kafka.sasl).toEqual({ mechanism: 'scram-sha-512', username: 'agent', password: '<redacted>' });
    expect(out.sinks.otel.headers).toEqual({ authorization: '<redacted>', 'x-tenant': '<redacted>' });
    expect((out.sinks.kafka['tls'] as Record<string, unknown>)['key_passphrase']).toBe('<redacted>');
    const sinks = out.sinks as unknown as Record<string, Record<string, unknown>>;
    expect(sinks['rw']?.['bearer_token']).toBe('<redacted>');
    expect(sinks['rw_basic']?.['basic_auth']).toEqual({ username: 'agent', password: '<redacted>' });
    // Substitution and defaults, in the config's own notation.
    expect(out.sinks.kafka['brokers']).toEqual(['127.0.0.1:19092']);
    expect(out.sources.stats.interval).toBe('30s');
    expect(out.sinks.kafka['acks']).toBe('all');
    expect(out.sinks.kafka.buffer).toEqual({ type: 'memory', max_records: 10_000, max_size: '64MiB', when_full: 'drop_newest' });

    // The output is a config the agent accepts, and prints back unchanged.
    const again = join(dir, 'printed.yaml');
    writeFileSync(again, r.stdout);
    const r2 = await runCli(['config', '-c', again], { env: { PATH: process.env['PATH'], HOME: dir } });
    expect(r2.code).toBe(0);
    expect(r2.stdout.split('\n').slice(1).join('\n')).toBe(r.stdout.split('\n').slice(1).join('\n'));
  });

  it('a bad config: the same problem lines and exit 78 as run and check', async () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'sources: {}\nsinks:\n  out: { type: stdout, inputs: [ghost] }\n');
    const r = await runCli(['config', '-c', file], { env: { PATH: process.env['PATH'], HOME: dir } });
    expect(r.code).toBe(78);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`${file}:3: sinks.out.inputs[0]: unknown source "ghost"`);
  });
});
