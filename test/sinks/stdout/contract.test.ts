// The sink contract (test/sinks/contract.ts) for stdout, on a captured stream.
import { PassThrough, Writable } from 'node:stream';
import type { DsRecord } from '../../../src/records.js';
import { createStdoutSink } from '../../../src/sinks/stdout/plugin.js';
import { alertRecord, diskUsageRecord, eventRecord, gapRecord, inventoryRecord, sinkContext, statsRecord } from '../../harness/records.js';
import { sinkContract } from '../contract.js';

function captured() {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  const lines = () =>
    Buffer.concat(chunks)
      .toString('utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as unknown);
  return { stream, lines };
}

sinkContract('stdout', {
  create: async () => {
    const { stream, lines } = captured();
    return { sink: createStdoutSink('out', { pretty: false }, sinkContext(), stream), received: async () => lines() };
  },
  batch: (): DsRecord[] => [eventRecord(), statsRecord(), diskUsageRecord(), gapRecord(), alertRecord(), inventoryRecord()],
  expected: (batch) => [...batch],
  checkLine: /^stdout: writable \(pipe or file, NDJSON\)$/,
  held: async () => {
    // A reader that stopped reading: the write's callback never comes until released.
    const waiting: (() => void)[] = [];
    let wrote: () => void = () => undefined;
    const reached = new Promise<void>((resolve) => (wrote = resolve));
    const stream = new Writable({
      highWaterMark: 16,
      write(_chunk, _encoding, callback) {
        waiting.push(() => callback());
        wrote();
      },
    });
    return {
      sink: createStdoutSink('out', { pretty: false }, sinkContext(), stream),
      batch: [eventRecord()],
      reached: () => reached,
      release: async () => waiting.splice(0).forEach((cb) => cb()),
    };
  },
  unreachable: async () => {
    const gone = new PassThrough();
    gone.destroy();
    return createStdoutSink('out', { pretty: false }, sinkContext(), gone);
  },
});
