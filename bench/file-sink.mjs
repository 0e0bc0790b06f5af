#!/usr/bin/env node
// Raw write throughput of the file sink: 100k typical event records in
// batches of 500, per fsync policy. Not a test: numbers depend on the disk.
//
//   node bench/file-sink.mjs [records] [batch]
//
// Compiles the sink's modules (tsc, no type check; bench/lib/compile.mjs) into bench/.out first.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileModules } from './lib/compile.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, 'bench', '.out');
const load = compileModules(out, ['src/sinks/file/plugin.ts', 'src/log.ts']);
const { createFileSink } = await load('src/sinks/file/plugin.js');
const { nullLogger } = await load('src/log.js');

const total = Number(process.argv[2] ?? 100_000);
const batchSize = Number(process.argv[3] ?? 500);
const host = { name: 'build-host-01', daemon_id: '4f1e6a7c-2b7d-4c1e-9a55-1d2a3b4c5d6e', engine: 'docker', version: '20.10.24+dfsg1', api_version: '1.41' };

/** A typical container event, as the events source emits it. */
function eventRecord(seq) {
  const id = seq.toString(16).padStart(12, '0').repeat(5).slice(0, 64);
  return {
    kind: 'event',
    schema: 1,
    time: '2024-05-01T10:40:00.123456789Z',
    host,
    type: 'container',
    action: 'start',
    action_detail: null,
    actor: {
      id,
      attributes: {
        image: 'registry.example.com/team/api:1.42.7',
        name: `api-${seq}`,
        'com.docker.compose.project': 'shop',
        'com.docker.compose.service': 'api',
        seq: String(seq),
      },
    },
    scope: 'local',
    time_nano: (1_714_560_000_000_000_000n + BigInt(seq)).toString(),
    container: { id, name: `api-${seq}`, image: 'registry.example.com/team/api:1.42.7' },
  };
}

const batches = [];
for (let i = 0; i < total; i += batchSize) batches.push(Array.from({ length: Math.min(batchSize, total - i) }, (_, j) => eventRecord(i + j)));
const bytes = batches.flat().reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0);

const cases = [
  { label: 'fsync never', opts: { fsync: 'never' } },
  { label: 'fsync interval 1s', opts: { fsync: 'interval', fsync_interval: 1000 } },
  { label: 'fsync batch', opts: { fsync: 'batch' } },
  { label: 'fsync never, rotate 8MiB', opts: { fsync: 'never', max_size: 8 * 1024 * 1024, max_files: 100 } },
  { label: 'fsync never, rotate 8MiB + gzip', opts: { fsync: 'never', max_size: 8 * 1024 * 1024, max_files: 100, compress: true } },
];

console.log(`${total} records (${(bytes / total).toFixed(0)} B each, ${(bytes / 1e6).toFixed(1)} MB), batches of ${batchSize}`);
for (const { label, opts } of cases) {
  const dir = mkdtempSync(join(tmpdir(), 'ds-bench-file-'));
  try {
    const sink = createFileSink(
      'bench',
      { path: join(dir, 'records.ndjson'), max_files: 5, compress: false, fsync_interval: 1000, mode: 0o640, ...opts },
      { log: nullLogger(), metrics: undefined, host: () => host },
    );
    await sink.start();
    const signal = new AbortController().signal;
    const t0 = performance.now();
    for (const batch of batches) await sink.send(batch, signal);
    const sendMs = performance.now() - t0;
    await sink.close();
    const closeMs = performance.now() - t0;
    console.log(
      `${label.padEnd(34)} ${Math.round(total / (sendMs / 1000))
        .toLocaleString('en')
        .padStart(
          10,
        )} records/s  ${(bytes / 1e6 / (sendMs / 1000)).toFixed(1).padStart(6)} MB/s  (send ${sendMs.toFixed(0)} ms, incl. close ${closeMs.toFixed(0)} ms)`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
