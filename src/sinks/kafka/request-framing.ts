/**
 * A drop-in for KafkaJS's request framing (kafkajs 2.2.x,
 * `src/protocol/request.js`), writing the same bytes. KafkaJS copies every
 * request twice more into zero-filled, power-of-two-sized buffers (2 MiB
 * zero-filled per 500-record produce request); this writes the header and
 * copies the payload once. Installed by `kafkajs-internals.ts`.
 */
import type { EncoderLike } from './produce-types.js';
import { asEncoder } from './wire.js';

/** What KafkaJS's connection passes to its request framing. */
export interface FramingArgs {
  readonly correlationId: number;
  readonly clientId?: string | null;
  readonly request: { readonly apiKey: number; readonly apiVersion: number; readonly encode: () => Promise<EncoderLike> };
}

/** Size, api key, version, correlation id, client id, payload: KafkaJS's framing in one allocation. */
export function createRequestFraming(encoderProto: object): (args: FramingArgs) => Promise<EncoderLike> {
  return async ({ correlationId, clientId, request: { apiKey, apiVersion, encode } }) => {
    const payload = await encode();
    if (payload == null || !Buffer.isBuffer(payload.buf)) throw new Error('value should be an instance of Encoder');
    const body = payload.buffer;
    const clientIdLength = clientId == null ? -1 : Buffer.byteLength(clientId, 'utf8');
    const size = 2 + 2 + 4 + 2 + Math.max(clientIdLength, 0) + body.length;
    const buf = Buffer.allocUnsafe(4 + size);
    let at = buf.writeInt32BE(size, 0);
    at = buf.writeInt16BE(apiKey, at);
    at = buf.writeInt16BE(apiVersion, at);
    at = buf.writeInt32BE(correlationId, at);
    at = buf.writeInt16BE(clientIdLength, at);
    if (clientId != null) at += buf.write(clientId, at, clientIdLength, 'utf8');
    at += body.copy(buf, at);
    if (at !== 4 + size) throw new Error(`kafka request framing wrote ${at} of ${4 + size} bytes`);
    return asEncoder(encoderProto, buf, at);
  };
}
