// Fault case 5: a fake daemon sends a malformed line and a truncated
// chunk: both are counted and skipped, and the stream continues.
import { afterEach, describe, expect, it } from 'vitest';
import { outSink, removeDir, startAgent, waitFor, type RunningAgent } from '../harness/agent.js';
import { eventLine, eventsRoute, startFakeDaemon, type FakeDaemon } from '../harness/fake-daemon.js';
import { ofKind } from '../harness/records.js';

describe('fault: malformed daemon input', () => {
  let daemon: FakeDaemon | undefined;
  let agent: RunningAgent | undefined;
  afterEach(async () => {
    await agent?.stop();
    if (agent) removeDir(agent.dir);
    await daemon?.close();
  });

  it('counts and skips a bad line and a truncated chunk, and keeps streaming', async () => {
    const base = BigInt(Date.now()) * 1_000_000n;
    const onEvents = eventsRoute((_req, res, connection) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (connection === -1) {
        // the resume check (since…until): the daemon still holds our last event
        res.end(eventLine('c3', 'start', base + 3n));
        return;
      }
      if (connection === 0) {
        res.write(eventLine('c1', 'start', base + 1n));
        res.write('{"Type":"container","Action":\n'); // invalid JSON
        res.write('["not","an","object"]\n');
        res.write(eventLine('c2', 'start', base + 2n).slice(0, 30) + eventLine('c2', 'start', base + 2n).slice(30)); // split write, one line
        res.write(eventLine('c3', 'start', base + 3n));
        res.write('{"Type":"container","Action":"die","Act'); // truncated: the connection dies mid-event
        setTimeout(() => res.socket?.destroy(), 50);
        return;
      }
      // after the reconnect: the boundary event is replayed, then new ones
      res.write(eventLine('c3', 'start', base + 3n));
      res.write(eventLine('c4', 'die', base + 4n));
      res.write(eventLine('c5', 'destroy', base + 5n));
    });
    daemon = await startFakeDaemon({ routes: { '/events': onEvents } });
    agent = startAgent(`
docker: { host: "${daemon.host}" }
state_dir: \${DIR}/state
sources:
  events:
    type: docker_events
    reconnect: { initial: 50ms, max: 200ms }
sinks:
${outSink(['events'], { linger: '10ms' })}
telemetry: { listen: false }
`);
    const a = agent;
    const events = () => ofKind(a.records(), 'event');
    await waitFor(() => events().length >= 5, 20_000, 'five events');
    await a.stop();
    expect(events().map((e) => `${e.actor.id}:${e.action}`)).toEqual(['c1:start', 'c2:start', 'c3:start', 'c4:die', 'c5:destroy']);
    const malformed = await a.agent.metrics.malformed.get();
    const byReason = Object.fromEntries(malformed.values.map((v) => [v.labels.reason, v.value]));
    expect(byReason).toEqual({ invalid_json: 1, not_an_object: 1, truncated: 1 });
    expect((await a.agent.metrics.reconnects.get()).values[0]?.value).toBe(1);
    // the resume asked for exactly the last event's instant
    const resume = daemon.requestsTo('/events').at(-1);
    expect(resume?.searchParams.get('since')).toBe(`${(base + 3n) / 1_000_000_000n}.${((base + 3n) % 1_000_000_000n).toString().padStart(9, '0')}`);
    expect(ofKind(a.records(), 'gap')).toEqual([]);
  });
});
