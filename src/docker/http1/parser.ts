/**
 * Reads an HTTP/1.x response as its bytes arrive: the head (status, headers,
 * keep-alive, framing), then the body. Scope, on purpose narrow: responses to
 * GET and HEAD, framed by Content-Length, chunked encoding or connection
 * close. Used by the pool and by streams; it knows nothing of sockets.
 */
import { Http1ProtocolError } from './errors.js';

/** Lower-case names; a repeated header becomes an array. */
export type ResponseHeaders = Record<string, string | string[] | undefined>;

/** Longest response head we accept: Docker's are a few hundred bytes. */
const MAX_HEAD_BYTES = 64 * 1024;
const CRLF = 0x0d0a;

export type BodyFraming = 'length' | 'chunked' | 'close';
/** 'head': no body (HEAD, 204, 304, Content-Length 0) or not read yet. */
export type Framing = 'head' | BodyFraming;

export interface Head {
  readonly status: number;
  readonly headers: ResponseHeaders;
  readonly keepAlive: boolean;
  readonly framing: Framing;
  /** Content-Length, when framed by it. */
  readonly length: number;
}

/** Parses a response head (without its blank line); null for an interim 1xx. */
function parseHead(head: string, method: 'GET' | 'HEAD'): Head | null {
  const lines = head.split('\r\n');
  const m = /^HTTP\/1\.([01]) (\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new Http1ProtocolError('not an HTTP/1.x response');
  const status = Number(m[2]);
  if (status >= 100 && status < 200) return null;
  const headers: ResponseHeaders = {};
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Http1ProtocolError('malformed response header');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const seen = headers[name];
    headers[name] = seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value];
  }
  const connection = String(headers['connection'] ?? '').toLowerCase();
  let keepAlive = m[1] === '1' ? !connection.includes('close') : connection.includes('keep-alive');
  const te = headers['transfer-encoding'];
  const cl = headers['content-length'];
  let framing: Framing;
  let length = 0;
  if (method === 'HEAD' || status === 204 || status === 304) {
    framing = 'head';
  } else if (te !== undefined) {
    if (!String(te).toLowerCase().endsWith('chunked')) throw new Http1ProtocolError('unsupported transfer-encoding');
    framing = 'chunked';
  } else if (cl !== undefined) {
    length = Array.isArray(cl) ? NaN : Number(cl);
    if (!Number.isSafeInteger(length) || length < 0) throw new Http1ProtocolError('invalid content-length');
    framing = length === 0 ? 'head' : 'length';
  } else {
    framing = 'close';
    keepAlive = false;
  }
  return { status, headers, keepAlive, framing, length };
}

/** Collects a response head across reads, skipping interim 1xx heads. */
export class HeadReader {
  private pending: Buffer | null = null;

  constructor(private readonly method: 'GET' | 'HEAD') {}

  /** The head and the bytes after it, once complete; null while it is not. */
  read(chunk: Buffer): { head: Head; rest: Buffer } | null {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    for (;;) {
      const end = buf.indexOf('\r\n\r\n', 0, 'latin1');
      if (end < 0) {
        if (buf.length > MAX_HEAD_BYTES) throw new Http1ProtocolError('response head too large');
        this.pending = buf;
        return null;
      }
      const head = parseHead(buf.toString('latin1', 0, end), this.method);
      buf = buf.subarray(end + 4);
      if (head !== null) return { head, rest: buf };
    }
  }
}

/**
 * A response body framed by Content-Length, chunked encoding (extensions
 * ignored, trailers skipped) or connection close, decoded as its bytes
 * arrive; each piece of content goes to `onPart`.
 */
export class BodyDecoder {
  /** More bytes than Content-Length announced arrived: the connection cannot be reused. */
  overflow = false;
  private remaining: number;
  private chunkState: 'size' | 'data' | 'data-end' | 'trailer' = 'size';
  private pending: Buffer | null = null;

  constructor(
    readonly framing: BodyFraming,
    length: number,
    private readonly onPart: (part: Buffer) => void,
  ) {
    this.remaining = length;
  }

  /** Feeds bytes; true once the body is complete (never for a close-delimited one). */
  write(buf: Buffer): boolean {
    if (this.framing === 'length') {
      if (buf.length > this.remaining) {
        // More than announced: take what was announced.
        buf = buf.subarray(0, this.remaining);
        this.overflow = true;
      }
      if (buf.length > 0) this.onPart(buf);
      this.remaining -= buf.length;
      return this.remaining === 0;
    }
    if (this.framing === 'chunked') return this.chunked(buf);
    this.onPart(buf);
    return false;
  }

  private chunked(input: Buffer): boolean {
    const buf = this.pending ? Buffer.concat([this.pending, input]) : input;
    this.pending = null;
    let at = 0;
    for (;;) {
      if (this.chunkState === 'data') {
        const take = Math.min(this.remaining, buf.length - at);
        if (take > 0) this.onPart(buf.subarray(at, at + take));
        at += take;
        this.remaining -= take;
        if (this.remaining > 0) return false;
        this.chunkState = 'data-end';
      }
      if (buf.length - at < 2) break;
      if (this.chunkState === 'data-end') {
        if (buf.readUInt16BE(at) !== CRLF) throw new Http1ProtocolError('malformed chunked body');
        at += 2;
        this.chunkState = 'size';
        continue;
      }
      if (this.chunkState === 'trailer') {
        // Either CRLF at once (no trailers) or trailer lines ending in an empty line.
        if (buf.readUInt16BE(at) === CRLF) return true;
        if (buf.indexOf('\r\n\r\n', at, 'latin1') < 0) break;
        return true;
      }
      const nl = buf.indexOf('\r\n', at, 'latin1');
      if (nl < 0) {
        if (buf.length - at > 1024) throw new Http1ProtocolError('malformed chunk size');
        break;
      }
      const line = buf.toString('latin1', at, nl);
      const semi = line.indexOf(';');
      const hex = (semi < 0 ? line : line.slice(0, semi)).trim();
      const size = /^[0-9a-fA-F]{1,12}$/.test(hex) ? parseInt(hex, 16) : NaN;
      if (Number.isNaN(size)) throw new Http1ProtocolError('malformed chunk size');
      at = nl + 2;
      if (size === 0) this.chunkState = 'trailer';
      else {
        this.remaining = size;
        this.chunkState = 'data';
      }
    }
    if (at < buf.length) this.pending = buf.subarray(at);
    return false;
  }
}
