// SIGHUP: a broken config keeps the old pipeline running; a changed sink
// switches without losing a queued record.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { volumeEventsConfig, waitFor } from '../harness/agent.js';
import { spawnAgent, type AgentProcess } from '../harness/agent-process.js';
import { dockerCli } from '../harness/dockerd.js';
import { OtlpReceiver } from '../harness/otlp-receiver.js';

/** The OTLP sink `otel` into `endpoint`; `extra`: more lines of its options. */
const otelSink = (endpoint: string, extra: string) => `
  otel:
    type: otlp
    inputs: [events]
    endpoint: ${endpoint}
    timeout: 2s
    retry: { initial: 100ms, max: 300ms }
    batch: { linger: 10ms }
${extra}`;

const config = (host: string, endpoint: string, extra = '') => `${volumeEventsConfig(host, otelSink(endpoint, extra))}telemetry: { listen: false }\n`;

const volumeIds = (r: OtlpReceiver) =>
  r
    .logs()
    .filter((l) => l.attributes['docker.event.type'] === 'volume')
    .map((l) => `${String(l.attributes['docker.event.actor.id'])}:${String(l.attributes['docker.event.action'])}`);

describe('SIGHUP reload', () => {
  const host = inject('dockerHost');
  const cli = dockerCli(host);
  let oldReceiver: OtlpReceiver;
  let newReceiver: OtlpReceiver;
  let dir: string;
  let agent: AgentProcess | undefined;
  beforeAll(async () => {
    [oldReceiver, newReceiver] = await Promise.all([OtlpReceiver.start(), OtlpReceiver.start()]);
    dir = mkdtempSync(join(tmpdir(), 'ds-reload-'));
  });
  afterAll(async () => {
    await agent?.stop();
    await Promise.all([oldReceiver?.close(), newReceiver?.close()]);
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps running on a broken config, and moves queued records to the changed sink', async () => {
    oldReceiver.failFor(600_000, 503); // records queue up behind the old endpoint
    const a = spawnAgent(dir, config(host, oldReceiver.httpUrl));
    agent = a;
    await waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'stream open');
    for (let i = 0; i < 3; i++) {
      await cli.dockerOk(['volume', 'create', `rl-${i}`]);
      await cli.dockerOk(['volume', 'rm', `rl-${i}`]);
    }
    await waitFor(() => a.logs.some((l) => l.msg === 'sink delivery failed; retrying'), 10_000, 'queued behind a failing sink');

    // 1. a broken config: logged with its path, the old pipeline keeps going
    writeFileSync(join(dir, 'config.yaml'), config(host, oldReceiver.httpUrl, '    colour: blue'));
    a.kill('SIGHUP');
    const refused = await waitFor(() => a.logs.find((l) => l.msg === 'new configuration is invalid; keeping the running one'), 10_000, 'refusal');
    expect(String((refused as { problems?: string[] }).problems?.[0])).toMatch(/sinks\.otel\.colour: unknown key/);
    await cli.dockerOk(['volume', 'create', 'rl-3']);
    await cli.dockerOk(['volume', 'rm', 'rl-3']);
    expect(a.child.exitCode).toBeNull();

    // 2. the sink now points at a working receiver: everything queued goes there
    writeFileSync(join(dir, 'config.yaml'), config(host, newReceiver.httpUrl));
    a.kill('SIGHUP');
    await waitFor(() => a.logs.some((l) => l.msg === 'configuration reloaded'), 10_000, 'reloaded');
    await cli.dockerOk(['volume', 'create', 'rl-4']);
    await cli.dockerOk(['volume', 'rm', 'rl-4']);
    const want = [0, 1, 2, 3, 4].flatMap((i) => [`rl-${i}:create`, `rl-${i}:destroy`]);
    await waitFor(() => want.every((w) => volumeIds(newReceiver).includes(w)), 20_000, 'all records at the new endpoint');
    expect(await a.stop()).toBe(0);
    agent = undefined;
    expect(
      volumeIds(newReceiver)
        .filter((v) => v.startsWith('rl-'))
        .sort(),
    ).toEqual(want.sort());
    expect(oldReceiver.logs()).toEqual([]);
  }, 90_000);
});
