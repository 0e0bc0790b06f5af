// Secrets: a sentinel SASL password and OTLP header value, set through
// ${VAR}, never appear in the logs at any level (run with -D), in `check`
// output, in dead-letter files or in /metrics — while they are really in use
// (the receiver sees the header; the Kafka sink connects with SASL PLAIN to the
// librdkafka mock cluster; another Kafka sink loads a client key encrypted with
// the sentinel passphrase and tries TLS against the plaintext mock, failing).
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../harness/agent.js';
import { spawnAgent, type AgentProcess } from '../harness/agent-process.js';
import { dockerCli } from '../harness/dockerd.js';
import { startKafkaMock, type KafkaMock } from '../harness/kafka-mock.js';
import { OtlpReceiver } from '../harness/otlp-receiver.js';
import { volumeEventsToOtlp } from './otlp-config.js';

const MAIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist', 'src', 'main.js');
const SASL = 'sentinel-sasl-Zq81xw';
const TOKEN = 'sentinel-otlp-Hk27pd';
const PASSPHRASE = 'sentinel-keypass-Rt55mc';
const SENTINELS = [SASL, TOKEN, PASSPHRASE];

const config = (host: string, otlp: string, brokers: readonly string[], pki: string) =>
  volumeEventsToOtlp(host, otlp, {
    sink: ['headers: { authorization: "Bearer ${DS_TEST_OTLP_TOKEN}" }', 'retry: { initial: 100ms, max: 200ms }', 'batch: { linger: 20ms }'],
    top: ['telemetry: { listen: "127.0.0.1:0" }', 'shutdown_timeout: 2s'],
    sinks: `  kafka:
    type: kafka
    inputs: [events]
    brokers: [${brokers.map((b) => `"${b}"`).join(', ')}]
    sasl: { mechanism: plain, username: agent, password: "\${DS_TEST_SASL_PASSWORD}" }
    retry: { initial: 100ms, max: 200ms }
  kafkatls:
    type: kafka
    inputs: [events]
    brokers: [${brokers.map((b) => `"${b}"`).join(', ')}]
    tls: { cert: "${pki}/cert.pem", key: "${pki}/key-enc.pem", key_passphrase: "\${DS_TEST_KEY_PASSPHRASE}", verify: false }
    retry: { initial: 100ms, max: 200ms }
`,
  });

function leaks(where: string, text: string): string[] {
  return SENTINELS.filter((s) => text.includes(s)).map((s) => `${s} in ${where}`);
}

describe('secrets stay secret', () => {
  const host = inject('dockerHost');
  let receiver: OtlpReceiver;
  let kafka: KafkaMock;
  let dir: string;
  let agent: AgentProcess | undefined;
  const env = { DS_TEST_OTLP_TOKEN: TOKEN, DS_TEST_SASL_PASSWORD: SASL, DS_TEST_KEY_PASSPHRASE: PASSPHRASE };
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    kafka = await startKafkaMock({ brokers: 1 });
    dir = mkdtempSync(join(tmpdir(), 'ds-secrets-'));
    // A client certificate whose key is encrypted with the sentinel passphrase.
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-days', '2', '-subj', '/CN=agent',
      '-passout', `pass:${PASSPHRASE}`, '-keyout', join(dir, 'key-enc.pem'), '-out', join(dir, 'cert.pem'),
    ], { stdio: 'ignore' });
  });
  afterAll(async () => {
    await agent?.stop();
    await receiver?.close();
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never shows the SASL password or the OTLP header in logs (-D), check, dead letters or /metrics', async () => {
    const yaml = config(host, receiver.httpUrl, kafka.brokers, dir);
    receiver.failNext(1, 400); // the first export is dead-lettered
    const a = spawnAgent(dir, yaml, ['run', '-D'], env);
    agent = a;
    await waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'stream open');
    await dockerCli(host).dockerOk(['volume', 'create', 'secret-vol']);
    await dockerCli(host).dockerOk(['volume', 'rm', 'secret-vol']);
    const deadLetters = join(dir, 'state', 'dead-letter');
    await waitFor(() => receiver.logs().some((l) => l.attributes['docker.event.actor.id'] === 'secret-vol'), 20_000, 'delivered');
    // in use: the receiver got the header
    expect(receiver.requests.some((r) => r.headers['authorization'] === `Bearer ${TOKEN}`)).toBe(true);

    const listen = a.logs.find((l) => l.msg === 'telemetry endpoint listening')?.['listen'] as string;
    const metrics = await (await fetch(`http://${listen}/metrics`)).text();
    expect(metrics).toContain('dockstream_dead_lettered_records_total');
    expect(await a.stop()).toBe(0);
    agent = undefined;

    const check = await promisify(execFile)(process.execPath, [MAIN, 'check', '-D', '-c', join(dir, 'config.yaml')], {
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], DIR: dir, ...env },
    }).catch((err: { stdout: string; stderr: string }) => err);

    const dl = readdirSync(deadLetters).map((f) => readFileSync(join(deadLetters, f), 'utf8')).join('');
    expect(dl).toContain('"dead_letter":{"sink":"otel"'); // the first export (the inventory) was refused with 400
    const stderr = a.stderr();
    expect(a.logs.some((l) => l.level === 20)).toBe(true); // debug lines were there to leak
    expect(check.stdout).toContain('otel');
    expect([
      ...leaks('agent stderr', stderr),
      ...leaks('check stdout', check.stdout),
      ...leaks('check stderr', check.stderr),
      ...leaks('dead letters', dl),
      ...leaks('/metrics', metrics),
    ]).toEqual([]);
  }, 90_000);
});
