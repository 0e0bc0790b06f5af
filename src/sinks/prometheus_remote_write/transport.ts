/**
 * One remote-write POST over node:http / node:https (TLS files, verify
 * switch), resolving with the status, Retry-After and the start of the body.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { tlsConnectionOptions } from '../../options/tls.js';
import { httpAuthHeaders } from '../../options/http-auth.js';
import { VERSION } from '../../version.js';
import type { RemoteWriteOptions } from './options.js';

export interface WriteResponse {
  readonly status: number;
  readonly retryAfter: string | undefined;
  readonly body: string;
}

const MAX_BODY = 512;

/** Static request settings: headers (auth included) and TLS material, read once. */
export function requestSettings(opts: RemoteWriteOptions): { headers: Record<string, string>; tls: RequestOptions } {
  const headers: Record<string, string> = {
    ...httpAuthHeaders(opts, 'prometheus_remote_write'),
    'Content-Type': 'application/x-protobuf',
    'Content-Encoding': 'snappy',
    'X-Prometheus-Remote-Write-Version': '0.1.0',
    'User-Agent': `dockstream/${VERSION}`,
  };
  return { headers, tls: tlsConnectionOptions(opts.tls, 'prometheus_remote_write') ?? {} };
}

export function postWrite(
  url: URL,
  body: Uint8Array,
  settings: { headers: Record<string, string>; tls: RequestOptions },
  timeoutMs: number,
  signal: AbortSignal,
): Promise<WriteResponse> {
  const request = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: { ...settings.headers, 'Content-Length': String(body.byteLength) },
        signal,
        timeout: timeoutMs,
        ...(url.protocol === 'https:' ? settings.tls : {}),
      },
      (res: IncomingMessage) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          if (text.length < MAX_BODY) text += chunk;
        });
        res.on('end', () => {
          const retryAfter: string | string[] | undefined = res.headers['retry-after'];
          resolve({
            status: res.statusCode ?? 0,
            retryAfter: typeof retryAfter === 'object' ? retryAfter[0] : retryAfter,
            body: text.slice(0, MAX_BODY).trim(),
          });
        });
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** Retry-After as milliseconds: delay-seconds or an HTTP date. */
export function retryAfterMs(value: string | undefined, nowMs = Date.now()): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - nowMs);
}
