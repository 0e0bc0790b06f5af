// TLS to the endpoint: a CA file from config, verification on by default, `verify: false` for tests.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { SinkError } from '../../../src/errors.js';
import { createOtlpSink } from '../../../src/sinks/otlp/create.js';
import { otlpOptions, type OtlpProtocol } from '../../../src/sinks/otlp/options.js';
import type { OtlpSink } from '../../../src/sinks/otlp/sink.js';
import { OtlpReceiver } from '../../harness/otlp-receiver.js';
import { selfSignedCert } from '../../harness/self-signed.js';
import { sinkContext } from '../../harness/records.js';
import { events } from './fixtures.js';

const ctx = sinkContext();
const signal = new AbortController().signal;
let dir: string;
let receiver: OtlpReceiver;
const sinks: OtlpSink[] = [];

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dst-otlp-tls-'));
  const pem = selfSignedCert(dir);
  receiver = await OtlpReceiver.start({ tls: { cert: readFileSync(pem.cert), key: readFileSync(pem.key) } });
  // The same key encrypted, for tls.key_passphrase.
  execFileSync('openssl', ['pkey', '-in', pem.key, '-aes256', '-passout', 'pass:s3cret-phrase', '-out', join(dir, 'key-enc.pem')], { stdio: 'ignore' });
});
afterEach(async () => {
  await Promise.all(sinks.splice(0).map((s) => s.close()));
  receiver.reset();
});
afterAll(async () => {
  await receiver?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each(['http/protobuf', 'grpc'] as OtlpProtocol[])('%s over TLS', (protocol) => {
  const sink = (tls: Record<string, unknown> | undefined) => {
    const endpoint = protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl;
    const s = createOtlpSink('otlp-tls', otlpOptions.parse({ protocol, endpoint, tls, timeout: '5s' }), ctx);
    sinks.push(s);
    return s;
  };

  test('with the CA from config the export is accepted', async () => {
    expect(receiver.httpUrl.startsWith('https://')).toBe(true);
    await sink({ ca: join(dir, 'cert.pem') }).send(events().slice(0, 2), signal);
    expect(receiver.logs()).toHaveLength(2);
  });

  test('an unknown CA is refused (retryable: fix the trust and the queue drains); verify: false accepts', async () => {
    const err = await sink(undefined)
      .send(events().slice(0, 1), signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect(receiver.requests).toHaveLength(0);
    await sink({ verify: false }).send(events().slice(0, 1), signal);
    expect(receiver.logs()).toHaveLength(1);
  });

  test('an encrypted client key is unlocked by key_passphrase; a wrong one fails the sink', async () => {
    const tls = (passphrase: string) => ({ ca: join(dir, 'cert.pem'), cert: join(dir, 'cert.pem'), key: join(dir, 'key-enc.pem'), key_passphrase: passphrase });
    await sink(tls('s3cret-phrase')).send(events().slice(0, 1), signal);
    expect(receiver.logs()).toHaveLength(1);
    const wrong = sink(tls('not-it'));
    const err = await wrong
      .start(signal)
      .then(() => wrong.send(events().slice(0, 1), signal))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect(receiver.requests).toHaveLength(1);
  });

  test('an unreadable CA file is a permanent configuration error', async () => {
    const err = await sink({ ca: join(dir, 'missing.pem') })
      .start(signal)
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(false);
  });
});
