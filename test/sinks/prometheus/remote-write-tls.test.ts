// prometheus_remote_write over HTTPS to a real Prometheus serving TLS
// (--web.config.file): the configured CA is trusted, an unknown one is not,
// `verify: false` skips the check.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SinkError } from '../../../src/errors.js';
import { remoteWriteSinkPlugin } from '../../../src/sinks/prometheus_remote_write/plugin.js';
import { memoryLogger, waitFor } from '../../harness/agent.js';
import { startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';
import { selfSignedCert } from '../../harness/self-signed.js';
import { diskUsageRecord, sinkContext } from '../../harness/records.js';

let dir: string;
let prom: PrometheusServer;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'dst-rw-tls-'));
  prom = await startPrometheus({ tls: selfSignedCert(dir) });
});
afterAll(async () => {
  await prom?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const send = (tls: Record<string, unknown> | undefined, time: string) => {
  const opts = remoteWriteSinkPlugin.options.parse({
    endpoint: `${prom.url}/api/v1/write`,
    labels: { case: String(tls?.verify ?? (tls ? 'ca' : 'none')) },
    ...(tls ? { tls } : {}),
  });
  const sink = remoteWriteSinkPlugin.create('rw', opts, sinkContext(memoryLogger().log));
  return sink.send([diskUsageRecord({ time: time })], AbortSignal.timeout(10_000));
};

describe('prometheus_remote_write over TLS', () => {
  it('trusts the configured CA, refuses an unknown certificate, and skips the check with verify: false', async () => {
    const t = new Date(Date.now() - 5000).toISOString();
    expect(prom.url.startsWith('https://127.0.0.1:')).toBe(true);
    await send({ ca: join(dir, 'cert.pem') }, t);
    const err = await send(undefined, t).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SinkError);
    expect((err as SinkError).retryable).toBe(true);
    expect(String((err as SinkError).details.err)).toMatch(/self[- ]signed certificate/);
    await send({ verify: false }, t);
    const stored = await waitFor(
      async () => {
        const r = await prom.query('docker_disk_reclaimable_bytes{docker_disk_object_type="volumes"}');
        return r.length === 2 ? r : null;
      },
      15_000,
      'both accepted writes',
    );
    expect(stored.map((x) => [x.metric.case, x.value[1]]).sort()).toEqual([
      ['ca', '2147483648'],
      ['false', '2147483648'],
    ]);
  });
});
