/**
 * SASL PLAIN and mutual TLS in front of the librdkafka mock cluster, which
 * speaks neither (its ApiVersions lists no SaslHandshake; KafkaJS then fails
 * with KafkaJSServerDoesNotSupportApiKey before sending a password). One
 * listener per mock broker on 127.0.0.1; each connection is forwarded to its
 * broker once authenticated:
 *
 * - `sasl`: ApiVersions answers gain SaslHandshake (17) and SaslAuthenticate
 *   (36) v0–1; the proxy answers those two itself, accepting PLAIN with
 *   exactly the configured username and password (others get
 *   SASL_AUTHENTICATION_FAILED) and records every attempt; any other request
 *   before a successful authentication closes the connection, as a broker does.
 * - `tls`: the listener is a TLS server that requires a client certificate
 *   signed by `ca` (the handshake needs the client's private key); the
 *   subject CN of every accepted client certificate is recorded.
 *
 * Metadata answers have their broker ports rewritten to the proxy's, so
 * clients stay behind it. Kafka framing only (non-flexible versions, which
 * are all KafkaJS 2.2 uses): int32 size, then the request header (int16 api
 * key, int16 version, int32 correlation id, ...) or the response's int32
 * correlation id.
 */
import { createServer as createNetServer, connect, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';

const API = { Produce: 0, Metadata: 3, SaslHandshake: 17, ApiVersions: 18, SaslAuthenticate: 36 } as const;
const ERR = { NONE: 0, UNSUPPORTED_SASL_MECHANISM: 33, SASL_AUTHENTICATION_FAILED: 58 } as const;

export interface SaslAttempt {
  readonly mechanism: string;
  readonly username: string;
  readonly password: string;
  readonly ok: boolean;
}

export interface KafkaAuthProxy {
  /** `127.0.0.1:port` per mock broker, in the mock's order. */
  readonly brokers: string[];
  /** Every SASL authentication attempt, in order. */
  readonly saslAttempts: SaslAttempt[];
  /** Subject CN of every client certificate a TLS handshake accepted. */
  readonly tlsClients: string[];
  /** Produce requests forwarded (all on authenticated connections). */
  produceRequests(): number;
  close(): Promise<void>;
}

export interface KafkaAuthProxyOptions {
  readonly sasl?: { readonly username: string; readonly password: string };
  readonly tls?: { readonly key: string | Buffer; readonly cert: string | Buffer; readonly ca: string | Buffer };
}

/** Splits a byte stream into size-prefixed Kafka frames (each returned with its size prefix). */
function framer(onFrame: (frame: Buffer) => void): (chunk: Buffer) => void {
  let pending: Buffer = Buffer.alloc(0);
  return (chunk) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    while (pending.length >= 4) {
      const size = pending.readInt32BE(0);
      if (pending.length < 4 + size) break;
      onFrame(pending.subarray(0, 4 + size));
      pending = pending.subarray(4 + size);
    }
  };
}

function frame(correlationId: number, body: Buffer): Buffer {
  const out = Buffer.alloc(8 + body.length);
  out.writeInt32BE(4 + body.length, 0);
  out.writeInt32BE(correlationId, 4);
  body.copy(out, 8);
  return out;
}

function kafkaString(s: string | null): Buffer {
  if (s === null) return Buffer.from([0xff, 0xff]);
  const bytes = Buffer.from(s, 'utf8');
  const len = Buffer.alloc(2);
  len.writeInt16BE(bytes.length);
  return Buffer.concat([len, bytes]);
}

interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  /** Offset of the body within the frame (after the client id). */
  readonly bodyAt: number;
}

function requestHeader(f: Buffer): RequestHeader {
  const clientIdLen = f.readInt16BE(12);
  return { apiKey: f.readInt16BE(4), apiVersion: f.readInt16BE(6), correlationId: f.readInt32BE(8), bodyAt: 14 + Math.max(clientIdLen, 0) };
}

/** ApiVersions v0–2 answer plus SaslHandshake and SaslAuthenticate v0–1. */
function withSaslApis(f: Buffer): Buffer {
  const correlationId = f.readInt32BE(4);
  const errorCode = f.readInt16BE(8);
  if (errorCode !== ERR.NONE) return f;
  const count = f.readInt32BE(10);
  const entries: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const at = 14 + i * 6;
    const key = f.readInt16BE(at);
    if (key !== API.SaslHandshake && key !== API.SaslAuthenticate) entries.push(f.subarray(at, at + 6));
  }
  for (const key of [API.SaslHandshake, API.SaslAuthenticate]) {
    const e = Buffer.alloc(6);
    e.writeInt16BE(key, 0);
    e.writeInt16BE(0, 2);
    e.writeInt16BE(1, 4);
    entries.push(e);
  }
  const head = Buffer.alloc(6);
  head.writeInt16BE(errorCode, 0);
  head.writeInt32BE(entries.length, 2);
  const rest = f.subarray(14 + count * 6); // throttle time (v1+)
  return frame(correlationId, Buffer.concat([head, ...entries, rest]));
}

/** Metadata v0–6 answer with each broker's port replaced by the proxy's (in place). */
function rewritePorts(f: Buffer, version: number, ports: ReadonlyMap<number, number>): Buffer {
  const out = Buffer.from(f);
  let at = 8 + (version >= 3 ? 4 : 0);
  const brokers = out.readInt32BE(at);
  at += 4;
  for (let i = 0; i < brokers; i++) {
    at += 4; // node id
    at += 2 + out.readInt16BE(at); // host
    const port = out.readInt32BE(at);
    const mapped = ports.get(port);
    if (mapped === undefined) throw new Error(`metadata names an unknown broker port ${port}`);
    out.writeInt32BE(mapped, at);
    at += 4;
    if (version >= 1) {
      const rack = out.readInt16BE(at);
      at += 2 + Math.max(rack, 0);
    }
  }
  return out;
}

export async function startKafkaAuthProxy(upstream: readonly string[], options: KafkaAuthProxyOptions): Promise<KafkaAuthProxy> {
  const saslAttempts: SaslAttempt[] = [];
  const tlsClients: string[] = [];
  const sockets = new Set<Socket>();
  const servers: Server[] = [];
  const portMap = new Map<number, number>();
  let produce = 0;

  const handle = (client: Socket, target: string): void => {
    const [host, port] = target.split(':') as [string, string];
    const broker = connect(Number(port), host);
    sockets.add(client);
    sockets.add(broker);
    let authenticated = options.sasl === undefined;
    const pending = new Map<number, { apiKey: number; apiVersion: number }>();
    const end = (): void => {
      client.destroy();
      broker.destroy();
      sockets.delete(client);
      sockets.delete(broker);
    };
    client.on('error', end).on('close', end);
    broker.on('error', end).on('close', end);

    client.on(
      'data',
      framer((f) => {
        const h = requestHeader(f);
        if (!authenticated) {
          if (h.apiKey === API.SaslHandshake) {
            const mechanism = f.subarray(h.bodyAt + 2, h.bodyAt + 2 + f.readInt16BE(h.bodyAt)).toString('utf8');
            const head = Buffer.alloc(2);
            head.writeInt16BE(mechanism === 'PLAIN' ? ERR.NONE : ERR.UNSUPPORTED_SASL_MECHANISM);
            const list = Buffer.alloc(4);
            list.writeInt32BE(1);
            client.write(frame(h.correlationId, Buffer.concat([head, list, kafkaString('PLAIN')])));
            return;
          }
          if (h.apiKey === API.SaslAuthenticate) {
            const len = f.readInt32BE(h.bodyAt);
            const [, username = '', password = ''] = f
              .subarray(h.bodyAt + 4, h.bodyAt + 4 + len)
              .toString('utf8')
              .split('\0');
            const ok = username === options.sasl?.username && password === options.sasl.password;
            saslAttempts.push({ mechanism: 'PLAIN', username, password, ok });
            authenticated = ok;
            const head = Buffer.alloc(2);
            head.writeInt16BE(ok ? ERR.NONE : ERR.SASL_AUTHENTICATION_FAILED);
            const parts = [head, kafkaString(ok ? null : 'Authentication failed: invalid credentials'), Buffer.alloc(4)];
            if (h.apiVersion >= 1) parts.push(Buffer.alloc(8)); // session lifetime: 0, unlimited
            client.write(frame(h.correlationId, Buffer.concat(parts)));
            return;
          }
          if (h.apiKey !== API.ApiVersions) {
            end(); // a broker closes an unauthenticated connection that asks for anything else
            return;
          }
        }
        if (h.apiKey === API.Produce) produce++;
        if (h.apiKey === API.ApiVersions || h.apiKey === API.Metadata) pending.set(h.correlationId, h);
        broker.write(f);
      }),
    );
    broker.on(
      'data',
      framer((f) => {
        const correlationId = f.readInt32BE(4);
        const req = pending.get(correlationId);
        pending.delete(correlationId);
        if (req?.apiKey === API.ApiVersions && options.sasl !== undefined) client.write(withSaslApis(f));
        else if (req?.apiKey === API.Metadata) client.write(rewritePorts(f, req.apiVersion, portMap));
        else client.write(f);
      }),
    );
  };

  for (const target of upstream) {
    const server: Server = options.tls
      ? createTlsServer(
          { key: options.tls.key, cert: options.tls.cert, ca: options.tls.ca, requestCert: true, rejectUnauthorized: true },
          (socket: TLSSocket) => {
            const cn = socket.getPeerCertificate().subject?.CN;
            tlsClients.push(Array.isArray(cn) ? cn.join(',') : String(cn));
            handle(socket, target);
          },
        )
      : createNetServer((socket) => handle(socket, target));
    server.on('tlsClientError', () => undefined); // a refused handshake: nothing recorded
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    servers.push(server);
    portMap.set(Number(target.split(':')[1]), (server.address() as { port: number }).port);
  }

  return {
    brokers: upstream.map((t) => `127.0.0.1:${portMap.get(Number(t.split(':')[1]))}`),
    saslAttempts,
    tlsClients,
    produceRequests: () => produce,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}
