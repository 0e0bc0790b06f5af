// A real OTLP receiver for tests: HTTP (/v1/logs, /v1/metrics; protobuf or
// JSON; gzip bodies) and gRPC (LogsService/Export, MetricsService/Export) on
// 127.0.0.1. Requests are decoded with the official opentelemetry-proto .proto
// files as shipped in the npm package @elastic/mockotlpserver (v1.4.0 of the
// schema), loaded with protobufjs: never with the project's or the exporters'
// own serializers. Failures can be scripted (503 / 400 / UNAVAILABLE ...).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import * as grpc from '@grpc/grpc-js';
import protobuf from 'protobufjs';
import { flattenLogs, flattenMetrics, type ReceivedLog, type ReceivedPoint } from './otlp-decoded.js';

export type { ReceivedLog, ReceivedPoint } from './otlp-decoded.js';
export type OtlpTransport = 'http' | 'grpc';
export type OtlpSignal = 'logs' | 'metrics';

/** An HTTP status (mapped to the matching gRPC code for gRPC requests), or explicit codes per transport. */
export type FailStatus = number | { readonly http?: number; readonly grpc?: number };

export interface ReceivedRequest {
  readonly transport: OtlpTransport;
  readonly signal: OtlpSignal;
  readonly contentType: string;
  readonly gzip: boolean;
  /** HTTP headers or gRPC metadata (lower-case keys; binary metadata left out). */
  readonly headers: Readonly<Record<string, string>>;
  /** HTTP status or gRPC code answered (200 / 0 = accepted). */
  readonly answered: number;
  readonly accepted: boolean;
  /** The decoded ExportLogsServiceRequest / ExportMetricsServiceRequest as a plain object (longs as strings, enums as names). */
  readonly decoded: Record<string, unknown> | null;
  /** For JSON requests: the body as parsed JSON, for fields newer than the schema (e.g. eventName). */
  readonly json: unknown;
  readonly decodeError: string | null;
}

const require = createRequire(import.meta.url);
const PROTO_DIR = dirname(require.resolve('@elastic/mockotlpserver/package.json'));
const TO_OBJECT: protobuf.IConversionOptions = { longs: String, enums: String, bytes: String, defaults: false, arrays: true, oneofs: false };

function loadSchema(): Record<OtlpSignal, protobuf.Type> {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : join(PROTO_DIR, target));
  root.loadSync(['opentelemetry/proto/collector/logs/v1/logs_service.proto', 'opentelemetry/proto/collector/metrics/v1/metrics_service.proto']);
  return {
    logs: root.lookupType('opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest'),
    metrics: root.lookupType('opentelemetry.proto.collector.metrics.v1.ExportMetricsServiceRequest'),
  };
}

// google.rpc.Status with a RetryInfo detail, for gRPC "retry after" answers.
const RPC = protobuf.Root.fromJSON({
  nested: {
    rpc: {
      nested: {
        Status: { fields: { code: { type: 'int32', id: 1 }, message: { type: 'string', id: 2 }, details: { rule: 'repeated', type: 'Any', id: 3 } } },
        Any: { fields: { type_url: { type: 'string', id: 1 }, value: { type: 'bytes', id: 2 } } },
        RetryInfo: { fields: { retry_delay: { type: 'Duration', id: 1 } } },
        Duration: { fields: { seconds: { type: 'int64', id: 1 }, nanos: { type: 'int32', id: 2 } } },
      },
    },
  },
});

function retryInfoStatus(code: number, seconds: number): Buffer {
  const retryInfo = RPC.lookupType('rpc.RetryInfo');
  const status = RPC.lookupType('rpc.Status');
  const value = retryInfo.encode(retryInfo.fromObject({ retry_delay: { seconds, nanos: 0 } })).finish();
  const msg = status.fromObject({ code, message: 'scripted failure', details: [{ type_url: 'type.googleapis.com/google.rpc.RetryInfo', value }] });
  return Buffer.from(status.encode(msg).finish());
}

const HTTP_TO_GRPC: Record<number, number> = { 400: 3, 401: 16, 403: 7, 404: 12, 413: 3, 429: 8, 500: 13, 502: 14, 503: 14, 504: 14 };

/** PEM server certificate and key: the receiver then speaks HTTPS and gRPC over TLS. */
export interface ReceiverTls {
  readonly cert: Buffer;
  readonly key: Buffer;
}

interface Failure {
  readonly status: FailStatus;
  readonly retryAfterSeconds: number | undefined;
}

export class OtlpReceiver {
  readonly requests: ReceivedRequest[] = [];
  private readonly schema = loadSchema();
  private failCount = 0;
  private failUntil = 0;
  private failure: Failure | null = null;
  private http!: Server;
  private grpcServer!: grpc.Server;
  httpUrl = '';
  grpcUrl = '';

  static async start(options: { tls?: ReceiverTls } = {}): Promise<OtlpReceiver> {
    const r = new OtlpReceiver();
    await r.listen(options.tls);
    return r;
  }

  /** The next `n` requests (any transport, any signal) fail with `status`. */
  failNext(n: number, status: FailStatus, retryAfterSeconds?: number): void {
    this.failCount = n;
    this.failUntil = 0;
    this.failure = { status, retryAfterSeconds };
  }

  /** Every request in the next `ms` fails with `status`. */
  failFor(ms: number, status: FailStatus, retryAfterSeconds?: number): void {
    this.failCount = 0;
    this.failUntil = Date.now() + ms;
    this.failure = { status, retryAfterSeconds };
  }

  /** Log records of accepted requests, one entry per record, with its resource and scope. */
  logs(): ReceivedLog[] {
    return this.requests.filter((r) => r.accepted && r.signal === 'logs').flatMap((r) => flattenLogs(r.decoded ?? {}, r.transport));
  }

  /** Data points of accepted requests, one entry per point, with metric, resource and scope. */
  points(): ReceivedPoint[] {
    return this.requests.filter((r) => r.accepted && r.signal === 'metrics').flatMap((r) => flattenMetrics(r.decoded ?? {}, r.transport));
  }

  reset(): void {
    this.requests.length = 0;
    this.failCount = 0;
    this.failUntil = 0;
    this.failure = null;
  }

  async close(): Promise<void> {
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
    await new Promise<void>((resolve) => this.grpcServer.tryShutdown(() => resolve()));
    this.grpcServer.forceShutdown();
  }

  /** The scripted failure for this request, if any (consumes one of failNext's). */
  private takeFailure(): Failure | null {
    if (!this.failure) return null;
    if (this.failCount > 0) {
      this.failCount--;
      return this.failure;
    }
    return Date.now() < this.failUntil ? this.failure : null;
  }

  private decode(signal: OtlpSignal, body: Buffer, json: boolean): { decoded: Record<string, unknown>; parsed: unknown } {
    const type = this.schema[signal];
    if (!json) return { decoded: type.toObject(type.decode(body), TO_OBJECT), parsed: undefined };
    const parsed: unknown = JSON.parse(body.toString('utf8'));
    const invalid = type.verify(type.fromObject(parsed as Record<string, unknown>));
    if (invalid) throw new Error(invalid);
    return { decoded: type.toObject(type.fromObject(parsed as Record<string, unknown>), TO_OBJECT), parsed };
  }

  private async listen(tls: ReceiverTls | undefined): Promise<void> {
    const onRequest = (req: IncomingMessage, res: ServerResponse) => void this.onHttp(req, res);
    this.http = tls ? createTlsServer({ cert: tls.cert, key: tls.key }, onRequest) : createServer(onRequest);
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    const scheme = tls ? 'https' : 'http';
    this.httpUrl = `${scheme}://127.0.0.1:${(this.http.address() as AddressInfo).port}`;

    this.grpcServer = new grpc.Server();
    for (const [signal, service] of [
      ['logs', 'logs.v1.LogsService'],
      ['metrics', 'metrics.v1.MetricsService'],
    ] as const) {
      const definition: grpc.ServiceDefinition = {
        Export: {
          path: `/opentelemetry.proto.collector.${service}/Export`,
          requestStream: false,
          responseStream: false,
          requestSerialize: (b: Buffer) => b,
          requestDeserialize: (b: Buffer) => b,
          responseSerialize: (b: Buffer) => b,
          responseDeserialize: (b: Buffer) => b,
        },
      };
      this.grpcServer.addService(definition, {
        Export: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => this.onGrpc(signal, call, cb),
      });
    }
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: tls.cert, private_key: tls.key }], false)
      : grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) =>
      this.grpcServer.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))),
    );
    this.grpcUrl = `${scheme}://127.0.0.1:${port}`;
  }

  private async onHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const signal: OtlpSignal | null = req.url === '/v1/logs' ? 'logs' : req.url === '/v1/metrics' ? 'metrics' : null;
    if (req.method !== 'POST' || signal === null) {
      res.writeHead(404).end();
      return;
    }
    const contentType = String(req.headers['content-type'] ?? '');
    const gzip = req.headers['content-encoding'] === 'gzip';
    const json = contentType.startsWith('application/json');
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
    const base = { transport: 'http' as const, signal, contentType, gzip, headers };
    const failure = this.takeFailure();
    if (failure) {
      const status = typeof failure.status === 'number' ? failure.status : (failure.status.http ?? 503);
      this.requests.push({ ...base, answered: status, accepted: false, decoded: null, json: undefined, decodeError: null });
      const answer: Record<string, string> = { 'content-type': 'text/plain' };
      if (failure.retryAfterSeconds !== undefined) answer['retry-after'] = String(failure.retryAfterSeconds);
      res.writeHead(status, answer).end('scripted failure');
      return;
    }
    try {
      const raw = Buffer.concat(chunks);
      const { decoded, parsed } = this.decode(signal, gzip ? gunzipSync(raw) : raw, json);
      this.requests.push({ ...base, answered: 200, accepted: true, decoded, json: parsed, decodeError: null });
      res.writeHead(200, { 'content-type': json ? 'application/json' : 'application/x-protobuf' }).end(json ? '{}' : Buffer.alloc(0));
    } catch (err) {
      this.requests.push({ ...base, answered: 400, accepted: false, decoded: null, json: undefined, decodeError: String(err) });
      res.writeHead(400, { 'content-type': 'text/plain' }).end(String(err));
    }
  }

  private onGrpc(signal: OtlpSignal, call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>): void {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(call.metadata.getMap())) if (typeof v === 'string') headers[k] = v;
    const base = { transport: 'grpc' as const, signal, contentType: 'application/grpc', gzip: headers['grpc-encoding'] === 'gzip', headers };
    const failure = this.takeFailure();
    if (failure) {
      const code = typeof failure.status === 'number' ? (HTTP_TO_GRPC[failure.status] ?? 2) : (failure.status.grpc ?? 14);
      this.requests.push({ ...base, answered: code, accepted: false, decoded: null, json: undefined, decodeError: null });
      const metadata = new grpc.Metadata();
      if (failure.retryAfterSeconds !== undefined) metadata.set('grpc-status-details-bin', retryInfoStatus(code, failure.retryAfterSeconds));
      cb({ code, details: 'scripted failure', metadata });
      return;
    }
    try {
      const { decoded } = this.decode(signal, call.request, false);
      this.requests.push({ ...base, answered: 0, accepted: true, decoded, json: undefined, decodeError: null });
      cb(null, Buffer.alloc(0));
    } catch (err) {
      this.requests.push({ ...base, answered: 3, accepted: false, decoded: null, json: undefined, decodeError: String(err) });
      cb({ code: grpc.status.INVALID_ARGUMENT, details: String(err) });
    }
  }
}
