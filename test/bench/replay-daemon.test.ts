// Keeps the benchmark's replay daemon honest: the agent, tailing it, must
// write exactly the events the daemon sent, in order, with the right fields.
// (bench/events*.mjs measure against it; if it drifted from the Docker API,
// the numbers would silently stop meaning anything.)
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventRecord } from '../../src/records.js';
import { removeDir, startAgent, waitFor, type RunningAgent } from '../harness/agent.js';
import { ofKind } from '../harness/records.js';

const EVENTS = 2000;
const DAEMON = join(import.meta.dirname, '..', '..', 'bench', 'replay-daemon.mjs');

interface Control {
  readonly ready?: boolean;
  readonly stream?: 'open' | 'done';
  readonly events?: number;
}

interface SentEvent {
  readonly Type: string;
  readonly Action: string;
  readonly Actor: { readonly ID: string; readonly Attributes: Record<string, string> };
  readonly scope: string;
}

describe('bench replay daemon → agent', () => {
  let dir = '';
  let daemon: ChildProcess | null = null;
  let agent: RunningAgent | null = null;
  const control: Control[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ds-replay-'));
    daemon = spawn(process.execPath, [DAEMON, '--socket', join(dir, 'r.sock'), '--events', String(EVENTS), '--record', join(dir, 'sent.ndjson')], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    createInterface({ input: daemon.stdout! }).on('line', (line) => control.push(JSON.parse(line) as Control));
    await waitFor(() => control.some((c) => c.ready), 20_000, 'replay daemon ready');
  });

  afterAll(async () => {
    await agent?.stop();
    if (agent) removeDir(agent.dir);
    if (daemon && daemon.exitCode === null) {
      const exited = new Promise((r) => daemon!.once('exit', r));
      daemon.kill('SIGTERM');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers exactly the events sent, in order, with their fields', async () => {
    agent = startAgent(
      [
        'docker:',
        '  host: unix://${SOCK}',
        'state_dir: ${DIR}/state',
        'sources:',
        '  events:',
        '    type: docker_events',
        'sinks:',
        '  out:',
        '    type: file',
        '    inputs: [events]',
        '    path: ${DIR}/out/records.ndjson',
        '',
      ].join('\n'),
      { SOCK: join(dir, 'r.sock') },
    );
    const events = (): EventRecord[] => ofKind(agent!.records(), 'event');
    await waitFor(() => control.some((c) => c.stream === 'done' && c.events === EVENTS), 30_000, 'replay daemon done');
    await waitFor(() => events().length >= EVENTS, 30_000, `${EVENTS} events in the file`);

    const sentLines = readFileSync(join(dir, 'sent.ndjson'), 'utf8').split('\n').filter(Boolean);
    expect(sentLines).toHaveLength(EVENTS);
    const got = events();
    expect(got).toHaveLength(EVENTS);
    expect(agent.records()[0]?.kind).toBe('inventory');
    const types = new Set<string>();
    sentLines.forEach((line, i) => {
      const sent = JSON.parse(line) as SentEvent;
      const r = got[i] as EventRecord;
      const colon = sent.Action.indexOf(': ');
      types.add(sent.Type);
      expect(r.time_nano).toBe(/"timeNano":(\d+)}$/.exec(line)?.[1]);
      expect(r.type).toBe(sent.Type);
      expect(r.action).toBe(colon < 0 ? sent.Action : sent.Action.slice(0, colon));
      expect(r.action_detail).toBe(colon < 0 ? null : sent.Action.slice(colon + 2));
      expect(r.actor).toEqual({ id: sent.Actor.ID, attributes: sent.Actor.Attributes });
      expect(r.scope).toBe(sent.scope);
      // Compose labels among a container event's attributes give its Compose identity.
      const attrs = sent.Actor.Attributes;
      const number = attrs['com.docker.compose.container-number'];
      const compose =
        attrs['com.docker.compose.project'] !== undefined && attrs['com.docker.compose.service'] !== undefined
          ? {
              compose: {
                project: attrs['com.docker.compose.project'],
                service: attrs['com.docker.compose.service'],
                number: number === undefined ? null : Number(number),
              },
            }
          : {};
      expect(r.container).toEqual(sent.Type === 'container' ? { id: sent.Actor.ID, name: attrs['name'], image: attrs['image'], ...compose } : undefined);
      expect(r.host).toMatchObject({ name: 'replay-host', engine: 'docker', api_version: '1.41' });
    });
    // The mix the benchmark relies on: container, network, volume and image events.
    expect([...types].sort()).toEqual(['container', 'image', 'network', 'volume']);
    // Strictly increasing timeNano: the agent's de-duplication must not drop any of them.
    for (let i = 1; i < got.length; i++) expect(BigInt((got[i] as EventRecord).time_nano) > BigInt((got[i - 1] as EventRecord).time_nano)).toBe(true);
  });
});
