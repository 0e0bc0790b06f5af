// basic_auth and bearer_token (the HTTP auth block the OTLP and remote-write
// sinks share) reach a real OTLP receiver as `Authorization`, on every protocol.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { describeError, isPermanentError } from '../../../src/errors.js';
import { createOtlpSink } from '../../../src/sinks/otlp/create.js';
import { otlpOptions, type OtlpProtocol } from '../../../src/sinks/otlp/options.js';
import { OtlpReceiver } from '../../harness/otlp-receiver.js';
import { sinkContext } from '../../harness/records.js';
import { events } from './fixtures.js';

const ctx = sinkContext();

describe.each<OtlpProtocol>(['http/protobuf', 'http/json', 'grpc'])('otlp sink auth over %s', (protocol) => {
  let receiver: OtlpReceiver;
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
  });
  afterAll(async () => {
    await receiver.close();
  });

  const cases: Array<[string, Record<string, unknown>, string]> = [
    ['bearer_token', { bearer_token: 's3cret-token' }, 'Bearer s3cret-token'],
    ['basic_auth', { basic_auth: { username: 'agent', password: 'pa:ss' } }, `Basic ${Buffer.from('agent:pa:ss').toString('base64')}`],
  ];
  test.each(cases)('%s is sent as Authorization, beside the other headers', async (_name, auth, expected) => {
    receiver.reset();
    const endpoint = protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl;
    const sink = createOtlpSink('otlp-auth', otlpOptions.parse({ protocol, endpoint, timeout: '5s', headers: { 'x-tenant': 'shop' }, ...auth }), ctx);
    try {
      await sink.start(AbortSignal.timeout(5000));
      await sink.send(events(), AbortSignal.timeout(5000));
      expect(receiver.requests.map((r) => [r.headers['authorization'], r.headers['x-tenant'], r.accepted])).toEqual([[expected, 'shop', true]]);
    } finally {
      await sink.close();
    }
  });

  test('basic_auth and bearer_token together are refused', async () => {
    const endpoint = protocol === 'grpc' ? receiver.grpcUrl : receiver.httpUrl;
    const options = otlpOptions.parse({ protocol, endpoint, bearer_token: 't', basic_auth: { username: 'u', password: 'p' } });
    const sink = createOtlpSink('otlp-auth', options, ctx);
    try {
      const err = await sink.start(AbortSignal.timeout(5000)).then(
        () => null,
        (e: unknown) => e,
      );
      expect(describeError(err)).toBe('otlp: cannot create exporters: otlp: basic_auth and bearer_token are exclusive');
      expect(isPermanentError(err)).toBe(true);
    } finally {
      await sink.close();
    }
  });
});
