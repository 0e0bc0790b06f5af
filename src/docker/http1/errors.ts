/** The errors of the http1 client (pool and streams). */

/** No complete response within the request's timeout. */
export class Http1TimeoutError extends Error {
  constructor() {
    super('no complete response within the timeout');
    this.name = 'Http1TimeoutError';
  }
}

/** The peer answered something that is not HTTP/1.x as we read it. */
export class Http1ProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'Http1ProtocolError';
  }
}

/** The connection failed or closed before the response was complete. */
export class Http1ConnectionError extends Error {
  constructor(message: string, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
    this.name = 'Http1ConnectionError';
  }
}

/** What an aborted request or stream rejects with: an AbortError, as `fetch` rejects with. */
export function abortError(): Error {
  return new DOMException('This operation was aborted', 'AbortError');
}
