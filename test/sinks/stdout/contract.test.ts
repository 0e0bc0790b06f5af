// The sink contract (test/sinks/contract.ts) for stdout, on a captured stream.
import { PassThrough } from 'node:stream';
import type { DsRecord } from '../../../src/records.js';
import { createStdoutSink } from '../../../src/sinks/stdout/plugin.js';
import { alertRecord, diskUsageRecord, eventRecord, gapRecord, inventoryRecord, sinkContext, statsRecord } from '../../harness/records.js';
import { sinkContract } from '../contract.js';
import { collect, gatedStream } from './fixtures.js';

sinkContract('stdout', {
  create: async () => {
    const stream = new PassThrough();
    const text = collect(stream);
    return {
      sink: createStdoutSink('out', { pretty: false }, sinkContext(), stream),
      received: async () =>
        text()
          .split('\n')
          .filter((l) => l.length > 0)
          .map((l) => JSON.parse(l) as unknown),
    };
  },
  batch: (): DsRecord[] => [eventRecord(), statsRecord(), diskUsageRecord(), gapRecord(), alertRecord(), inventoryRecord()],
  expected: (batch) => [...batch],
  checkLine: /^stdout: writable \(pipe or file, NDJSON\)$/,
  held: async () => {
    // A reader that stopped reading: the write's callback never comes until released.
    const { stream, reached, release } = gatedStream();
    return {
      sink: createStdoutSink('out', { pretty: false }, sinkContext(), stream),
      batch: [eventRecord()],
      reached: () => reached,
      release: async () => release(),
    };
  },
  unreachable: async () => {
    const gone = new PassThrough();
    gone.destroy();
    return createStdoutSink('out', { pretty: false }, sinkContext(), gone);
  },
});
