// Secrets: a sentinel SASL password, TLS key passphrase and OTLP header value,
// set through ${VAR}, never appear in the logs at any level (run with -D), in
// `check` output, in dead-letter files or in /metrics — while all three are
// really in use: the OTLP receiver sees the header; one Kafka sink
// authenticates with SASL PLAIN and another presents a client certificate
// whose key is encrypted with the passphrase, each through
// test/harness/kafka-auth-proxy.ts in front of the librdkafka mock cluster
// (which speaks neither SASL nor TLS itself), and both deliver.
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../harness/agent.js';
import { spawnAgent, type AgentProcess } from '../harness/agent-process.js';
import { dockerCli } from '../harness/dockerd.js';
import { startKafkaAuthProxy, type KafkaAuthProxy } from '../harness/kafka-auth-proxy.js';
import { startKafkaMock, type KafkaMock } from '../harness/kafka-mock.js';
import { OtlpReceiver } from '../harness/otlp-receiver.js';
import { selfSignedCert } from '../harness/self-signed.js';
import { consumeUntil, type Consumed } from '../sinks/kafka/consume.js';
import { volumeEventsToOtlp } from './otlp-config.js';

const MAIN = join(fileURLToPath(new URL('../..', import.meta.url)), 'dist', 'src', 'main.js');
const SASL = 'sentinel-sasl-Zq81xw';
const TOKEN = 'sentinel-otlp-Hk27pd';
const PASSPHRASE = 'sentinel-keypass-Rt55mc';
const SENTINELS = [SASL, TOKEN, PASSPHRASE];

const config = (host: string, otlp: string, saslBrokers: readonly string[], tlsBrokers: readonly string[], pki: string) =>
  volumeEventsToOtlp(host, otlp, {
    sink: ['headers: { authorization: "Bearer ${DS_TEST_OTLP_TOKEN}" }', 'retry: { initial: 100ms, max: 200ms }', 'batch: { linger: 20ms }'],
    top: ['telemetry: { listen: "127.0.0.1:0" }', 'shutdown_timeout: 2s'],
    sinks: `  kafka:
    type: kafka
    inputs: [events]
    brokers: [${saslBrokers.map((b) => `"${b}"`).join(', ')}]
    topic: "sasl.{kind}"
    sasl: { mechanism: plain, username: agent, password: "\${DS_TEST_SASL_PASSWORD}" }
    retry: { initial: 100ms, max: 200ms }
  kafkatls:
    type: kafka
    inputs: [events]
    brokers: [${tlsBrokers.map((b) => `"${b}"`).join(', ')}]
    topic: "tls.{kind}"
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
  let saslProxy: KafkaAuthProxy;
  let tlsProxy: KafkaAuthProxy;
  let dir: string;
  let agent: AgentProcess | undefined;
  const env = { DS_TEST_OTLP_TOKEN: TOKEN, DS_TEST_SASL_PASSWORD: SASL, DS_TEST_KEY_PASSPHRASE: PASSPHRASE };
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    kafka = await startKafkaMock({ brokers: 1 });
    dir = mkdtempSync(join(tmpdir(), 'ds-secrets-'));
    // A client certificate whose key is encrypted with the sentinel passphrase.
    const client = selfSignedCert(dir, { cn: 'agent', passphrase: PASSPHRASE, keyFile: 'key-enc.pem' });
    // The TLS proxy's own certificate (the sink does not verify it) and key.
    const server = selfSignedCert(dir, { certFile: 'server-cert.pem', keyFile: 'server-key.pem' });
    // SASL PLAIN accepting only user agent with the sentinel password; mutual TLS accepting only a client certificate signed by cert.pem.
    saslProxy = await startKafkaAuthProxy(kafka.brokers, { sasl: { username: 'agent', password: SASL } });
    tlsProxy = await startKafkaAuthProxy(kafka.brokers, {
      tls: { key: readFileSync(server.key), cert: readFileSync(server.cert), ca: readFileSync(client.cert) },
    });
  });
  afterAll(async () => {
    await agent?.stop();
    await receiver?.close();
    await saslProxy?.close();
    await tlsProxy?.close();
    await kafka?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('never shows the SASL password, the TLS key passphrase or the OTLP header in logs (-D), check, dead letters or /metrics, while all three are in use', async () => {
    const yaml = config(host, receiver.httpUrl, saslProxy.brokers, tlsProxy.brokers, dir);
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
    // in use: both Kafka sinks delivered the volume's events through their proxies (read back from the mock itself).
    const volumeActions = (got: readonly Consumed[], topic: string): string[] =>
      got
        .filter((m) => m.topic === topic && (m.value as { actor?: { id?: string } }).actor?.id === 'secret-vol')
        .map((m) => (m.value as { action: string }).action);
    const delivered = (got: readonly Consumed[]): boolean => ['sasl.event', 'tls.event'].every((t) => volumeActions(got, t).includes('destroy'));
    const got = await consumeUntil(kafka.brokers, ['sasl.event', 'tls.event'], delivered, { timeoutMs: 30_000 });
    expect(volumeActions(got, 'sasl.event')).toEqual(['create', 'destroy']);
    expect(volumeActions(got, 'tls.event')).toEqual(['create', 'destroy']);
    // The SASL sink authenticated with exactly the sentinel password (the proxy refuses any other) and produced.
    expect(saslProxy.saslAttempts.length).toBeGreaterThan(0);
    expect(new Set(saslProxy.saslAttempts.map((x) => JSON.stringify(x)))).toEqual(
      new Set([JSON.stringify({ mechanism: 'PLAIN', username: 'agent', password: SASL, ok: true })]),
    );
    expect(saslProxy.produceRequests()).toBeGreaterThan(0);
    // The TLS sink completed handshakes with its client certificate: its key was decrypted with the sentinel passphrase.
    expect(tlsProxy.tlsClients.length).toBeGreaterThan(0);
    expect(new Set(tlsProxy.tlsClients)).toEqual(new Set(['agent']));
    expect(tlsProxy.produceRequests()).toBeGreaterThan(0);

    const listen = a.logs.find((l) => l.msg === 'telemetry endpoint listening')?.['listen'] as string;
    const metrics = await (await fetch(`http://${listen}/metrics`)).text();
    expect(metrics).toContain('dockstream_dead_lettered_records_total');
    expect(await a.stop()).toBe(0);
    agent = undefined;

    const check = await promisify(execFile)(process.execPath, [MAIN, 'check', '-D', '-c', join(dir, 'config.yaml')], {
      env: { PATH: process.env['PATH'], HOME: process.env['HOME'], DIR: dir, ...env },
    }).catch((err: { stdout: string; stderr: string }) => err);

    const dl = readdirSync(deadLetters)
      .map((f) => readFileSync(join(deadLetters, f), 'utf8'))
      .join('');
    expect(dl).toContain('"dead_letter":{"sink":"otel"'); // the first export (the inventory) was refused with 400
    const stderr = a.stderr();
    expect(a.logs.some((l) => l.level === 20)).toBe(true); // debug lines were there to leak
    expect(check.stdout).toContain('otel');
    // check authenticates too: SASL and the client certificate through the proxies.
    expect(check.stdout).toMatch(/^ok +sink:kafka +kafka: kafka cluster \S+: 1 brokers reachable/m);
    expect(check.stdout).toMatch(/^ok +sink:kafkatls +kafka: kafka cluster \S+: 1 brokers reachable/m);
    expect([
      ...leaks('agent stderr', stderr),
      ...leaks('check stdout', check.stdout),
      ...leaks('check stderr', check.stderr),
      ...leaks('dead letters', dl),
      ...leaks('/metrics', metrics),
    ]).toEqual([]);
  }, 90_000);
});
