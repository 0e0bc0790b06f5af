/**
 * A stream such as `/events` on a connection of its own: an open stream holds
 * its connection, so it cannot share the pool's (design gotcha 1). Its body
 * is a Readable that pauses the socket when its reader falls behind, with no
 * timeout once the head arrived: a body timeout would kill a quiet stream
 * (design gotcha 2).
 */
import { Readable } from 'node:stream';
import type { ConnectionSpec } from '../host.js';
import { requestHead, socketFactory } from './connect.js';
import { abortError, Http1ConnectionError, Http1TimeoutError } from './errors.js';
import { BodyDecoder, HeadReader, type ResponseHeaders } from './parser.js';

/** A streamed response: its body is read as it arrives, with no timeout. */
export interface Http1Stream {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** Ends with the response; errors when the connection is cut or the signal fires. Destroy it to close the connection. */
  readonly body: Readable;
}

export interface Http1StreamOptions {
  /** The response head must arrive within this; 0: wait as long as it takes (Podman sends it with the first event). */
  readonly headersTimeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly userAgent: string;
}

/** Bytes a stream's body buffers before the socket is paused. */
const STREAM_HIGH_WATER_MARK = 64 * 1024;

/**
 * GET `path` on a connection of its own, for a long-lived response such as
 * `/events`. Resolves once the head arrived; the connection closes when the
 * body ends or is destroyed.
 */
export function openStream(spec: ConnectionSpec, path: string, opts: Http1StreamOptions): Promise<Http1Stream> {
  return new Promise<Http1Stream>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(abortError());
      return;
    }
    const { connect, hostHeader } = socketFactory(spec);
    const socket = connect();
    const headReader = new HeadReader('GET');
    let body: Readable | null = null;
    let decoder: BodyDecoder | null = null;
    let ended = false;
    let socketError: Error | undefined;
    const timer = opts.headersTimeoutMs > 0 ? setTimeout(() => fail(new Http1TimeoutError()), opts.headersTimeoutMs) : null;
    const onAbort = (): void => fail(abortError());
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = (): void => {
      if (timer) clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown): void => {
      if (ended) return;
      ended = true;
      cleanup();
      socket.destroy();
      const error = err instanceof Error ? err : new Error(String(err));
      if (body === null) reject(error);
      else body.destroy(error);
    };
    const end = (): void => {
      if (ended) return;
      ended = true;
      cleanup();
      (body as Readable).push(null);
      socket.destroy();
    };
    socket.on('error', (err) => {
      socketError ??= err;
    });
    socket.on('close', () => {
      if (decoder?.framing === 'close' && socketError === undefined) end();
      else fail(new Http1ConnectionError(body === null ? 'connection closed before a response' : 'connection closed mid-response', socketError));
    });
    socket.on('data', (chunk: Buffer) => {
      if (ended) return;
      try {
        if (body === null) {
          const taken = headReader.read(chunk);
          if (taken === null) return;
          if (timer) clearTimeout(timer);
          const stream = new Readable({
            highWaterMark: STREAM_HIGH_WATER_MARK,
            read: () => {
              socket.resume();
            },
            destroy: (err, callback) => {
              // The reader is done with it (or it failed): the connection goes too.
              ended = true;
              cleanup();
              socket.destroy();
              callback(err);
            },
          });
          // Errors reach the reader through its reads; one before the first read must not go uncaught.
          stream.on('error', () => undefined);
          body = stream;
          resolve({ status: taken.head.status, headers: taken.head.headers, body: stream });
          if (taken.head.framing === 'head') {
            end();
            return;
          }
          decoder = new BodyDecoder(taken.head.framing, taken.head.length, (part) => {
            if (!stream.push(part)) socket.pause();
          });
          chunk = taken.rest;
          if (chunk.length === 0) return;
        }
        if ((decoder as BodyDecoder).write(chunk)) end();
      } catch (err) {
        fail(err);
      }
    });
    socket.write(requestHead('GET', path, hostHeader, opts.userAgent), 'latin1');
  });
}
