import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors.js';
import { createStdoutSink, stdoutSinkPlugin } from '../../../src/sinks/stdout/plugin.js';
import { events, ndjson, sinkContext } from '../file/fixtures.js';
import { collect, gatedStream } from './fixtures.js';

const signal = new AbortController().signal;

const settle = () => new Promise((r) => setImmediate(r));

describe('stdout sink', () => {
  it('parses its options', () => {
    expect(stdoutSinkPlugin.options.parse({})).toEqual({ pretty: false });
    expect(stdoutSinkPlugin.options.parse({ pretty: true })).toEqual({ pretty: true });
  });

  it('writes exactly one JSON line per record, each batch as one write', async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    let writes = 0;
    const write = stream.write.bind(stream);
    stream.write = ((...args: Parameters<typeof write>) => {
      writes++;
      return write(...args);
    }) as typeof stream.write;
    const sink = createStdoutSink('out', { pretty: false }, sinkContext(), stream);
    await sink.start(signal);
    const a = events(0, 3);
    const b = events(3, 500);
    await sink.send(a, signal);
    await sink.send([], signal);
    await sink.send(b, signal);
    expect(writes).toBe(2);
    expect(text()).toBe(ndjson([...a, ...b]));
    expect(text().split('\n')).toHaveLength(504);
    await sink.close();
  });

  it('pretty prints indented JSON for humans', async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    const sink = createStdoutSink('out', { pretty: true }, sinkContext(), stream);
    const batch = events(0, 2);
    await sink.send(batch, signal);
    expect(text()).toBe(batch.map((r) => JSON.stringify(r, null, 2) + '\n').join(''));
    expect(text()).toContain('\n  "kind": "event",\n');
  });

  it('resolves a send only once the stream has taken the batch (backpressure)', async () => {
    const { stream, written, release } = gatedStream();
    const sink = createStdoutSink('out', { pretty: false }, sinkContext(), stream);
    let resolved = false;
    const sending = sink.send(events(0, 10), signal).then(() => {
      resolved = true;
    });
    for (let i = 0; i < 5; i++) await settle();
    expect(written).toHaveLength(1);
    expect(resolved).toBe(false);
    release();
    await sending;
    expect(resolved).toBe(true);
  });

  it('turns a closed reader (EPIPE) into one permanent, clear error', async () => {
    // A real pipe, like `dockstream once | head -n 1`: a FIFO read by head,
    // written through a net.Socket (the kind of stream process.stdout is for a pipe).
    const dir = mkdtempSync(join(tmpdir(), 'ds-stdout-'));
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const head = spawn('head', ['-n', '1', fifo], { stdio: ['ignore', 'pipe', 'ignore'] });
    let socket: Socket | undefined;
    try {
      const out = collect(head.stdout as PassThrough);
      socket = new Socket({ fd: openSync(fifo, 'w'), readable: false, writable: true });
      const sink = createStdoutSink('out', { pretty: false }, sinkContext(), socket);
      const first = events(0, 1);
      await sink.send(first, signal);
      await once(head, 'close');
      expect(out()).toBe(ndjson(first));

      const err = await sink.send(events(1, 1), signal).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SinkError);
      expect((err as SinkError).retryable).toBe(false);
      expect((err as SinkError).message).toContain('EPIPE');
      // Later batches fail fast the same way, and check() reports it.
      const again = await sink.send(events(2, 1), signal).catch((e: unknown) => e);
      expect((again as SinkError).message).toContain('EPIPE');
      await expect(sink.check(signal)).rejects.toThrow(/EPIPE/);
      await sink.close();
      await sink.close();
    } finally {
      socket?.destroy();
      head.kill();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('check() describes the stream; close is idempotent and later sends fail', async () => {
    const stream = new PassThrough();
    collect(stream);
    const sink = createStdoutSink('out', { pretty: false }, sinkContext(), stream);
    expect(await sink.check(signal)).toMatch(/^stdout: writable \(pipe or file, NDJSON\)$/);
    await Promise.all([sink.close(), sink.close()]);
    const err = await sink.send(events(0, 1), signal).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(false);
  });
});
