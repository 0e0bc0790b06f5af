// The sink contract (test/sinks/contract.ts) for file, in a temp dir; a FIFO
// nobody reads stands in for a disk that stopped answering.
import { execFileSync } from 'node:child_process';
import { closeSync, constants, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { DsRecord } from '../../../src/records.js';
import { fileSinkPlugin } from '../../../src/sinks/file/plugin.js';
import { readRecords } from '../../harness/agent.js';
import { alertRecord, diskUsageRecord, eventRecord, gapRecord, inventoryRecord, sinkContext, statsRecord } from '../../harness/records.js';
import { sinkContract } from '../contract.js';

let dir = '';
let n = 0;

const fileSink = (path: string, options: Record<string, unknown> = {}) =>
  fileSinkPlugin.create('file', fileSinkPlugin.options.parse({ path, ...options }), sinkContext());

/** A FIFO with a reader that reads nothing: writes block once the pipe is full. */
function stalledFifo(path: string) {
  execFileSync('mkfifo', [path]);
  // Non-blocking: opening the read end does not wait for a writer, reading does not wait for data.
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  return {
    /** Resolves once the writer has written (the first bytes are in the pipe). */
    reached: async () => {
      for (;;) {
        try {
          if (readSync(reader, Buffer.alloc(1)) > 0) return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
        }
        await sleep(10);
      }
    },
    /** Closing the read end fails the blocked write (EPIPE). */
    release: async () => closeSync(reader),
  };
}

sinkContract('file', {
  setup: async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-file-contract-'));
  },
  teardown: async () => rmSync(dir, { recursive: true, force: true }),
  create: async () => {
    const sub = join(dir, `c${n++}`);
    return {
      sink: fileSink(join(sub, 'records.ndjson')),
      received: async () => readRecords(sub),
    };
  },
  batch: (): DsRecord[] => [eventRecord(), statsRecord(), diskUsageRecord(), gapRecord(), alertRecord(), inventoryRecord()],
  expected: (batch) => [...batch],
  checkLine: /^file \/.*\/records\.ndjson: writable \(0 bytes now, no rotation\)$/,
  held: async () => {
    const path = join(dir, `fifo${n++}`);
    const fifo = stalledFifo(path);
    // More than a pipe holds (64 KiB), so the write blocks part-way.
    const blob = 'x'.repeat(256 * 1024);
    return {
      sink: fileSink(path, { fsync: 'never' }),
      batch: [eventRecord({ actor: { id: 'c1', attributes: { blob } } })],
      reached: fifo.reached,
      release: fifo.release,
    };
  },
  unreachable: async () => {
    // A regular file where a directory of the path must be.
    const blocker = join(dir, `blocker${n++}`);
    writeFileSync(blocker, '');
    return fileSink(join(blocker, 'logs', 'records.ndjson'));
  },
});
