// Streams for the stdout sink's tests (stdout.test.ts, contract.test.ts).
import { Writable, type PassThrough } from 'node:stream';

/** Collects what `stream` emits; the returned function gives the text so far. */
export function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

/**
 * A stream whose writes complete only when the test says so (a stalled
 * reader): `written` holds the chunks it took, `reached` resolves at the
 * first write, `release` completes the writes waiting so far.
 */
export function gatedStream() {
  const pending: Array<() => void> = [];
  const written: string[] = [];
  let wrote: () => void = () => undefined;
  const reached = new Promise<void>((resolve) => (wrote = resolve));
  const stream = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, cb) {
      written.push(chunk.toString('utf8'));
      pending.push(() => cb());
      wrote();
    },
  });
  return { stream, written, reached, release: () => pending.splice(0).forEach((cb) => cb()) };
}
