// Shutdown: the first SIGTERM drains within shutdown_timeout (here 5 min,
// with a sink answering 503, it would wait); a second SIGTERM aborts the
// drain at once. What was not delivered stays in the disk spool and is
// delivered by the next start.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { waitFor } from '../harness/agent.js';
import { spawnAgent, type AgentProcess } from '../harness/agent-process.js';
import { dockerCli } from '../harness/dockerd.js';
import { OtlpReceiver } from '../harness/otlp-receiver.js';
import { volumeEventsToOtlp } from './otlp-config.js';

const config = (host: string, endpoint: string) =>
  volumeEventsToOtlp(host, endpoint, {
    source: 'cursor_interval: 100ms',
    sink: ['timeout: 2s', 'buffer: { type: disk, max_size: 8MiB }', 'retry: { initial: 100ms, max: 200ms }', 'batch: { linger: 20ms }'],
    top: ['shutdown_timeout: 5m', 'telemetry: { listen: false }'],
  });

describe('fault: a second signal during the drain', () => {
  const host = inject('dockerHost');
  const cli = dockerCli(host);
  let receiver: OtlpReceiver;
  let dir: string;
  const agents: AgentProcess[] = [];
  beforeAll(async () => {
    receiver = await OtlpReceiver.start();
    dir = mkdtempSync(join(tmpdir(), 'ds-second-signal-'));
  });
  afterAll(async () => {
    for (const a of agents) await a.stop();
    await receiver?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('aborts the drain at once; the undelivered records stay spooled and arrive after the next start', async () => {
    receiver.failFor(600_000, 503);
    const a = spawnAgent(dir, config(host, receiver.httpUrl));
    agents.push(a);
    await waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'stream open');
    for (const n of ['sig-a', 'sig-b']) await cli.dockerOk(['volume', 'create', n]);
    await waitFor(() => a.logs.some((l) => l.msg === 'sink delivery failed; retrying'), 20_000, 'delivery failing');

    a.kill('SIGTERM');
    await waitFor(() => a.logs.some((l) => l.msg === 'stopping'), 10_000, 'stopping');
    // Still draining: the sink keeps being retried after the first signal.
    const retriesAtStop = receiver.requests.length;
    await waitFor(() => receiver.requests.length >= retriesAtStop + 3, 20_000, 'retries during the drain');
    expect(a.child.exitCode).toBeNull();

    a.kill('SIGTERM');
    expect(await a.exited).toBe(0);
    const msgs = a.logs.map((l) => l.msg);
    expect(msgs).toContain('second stop request; aborting drain');
    const left = a.logs.find((l) => l.msg === 'undelivered records stay in the disk spool for the next start');
    expect(Number(left?.['records'])).toBeGreaterThanOrEqual(2);
    expect(msgs.at(-1)).toBe('stopped');
    expect(receiver.logs()).toEqual([]);

    receiver.reset(); // the receiver is back
    const b = spawnAgent(dir, config(host, receiver.httpUrl));
    agents.push(b);
    const ids = () =>
      receiver
        .logs()
        .filter((l) => l.attributes['docker.event.type'] === 'volume')
        .map((l) => String(l.attributes['docker.event.actor.id']));
    await waitFor(() => ids().includes('sig-b'), 30_000, 'spooled records delivered');
    expect(
      ids()
        .filter((i) => i.startsWith('sig-'))
        .sort(),
    ).toEqual(['sig-a', 'sig-b']);
    await b.stop();
    for (const n of ['sig-a', 'sig-b']) await cli.dockerOk(['volume', 'rm', n]);
  }, 90_000);
});
