// The events source's reconnect loop against the fake daemon (test/harness/fake-daemon.ts): Podman's
// identity (a new /info ID per call, no ring), its filters and bounded
// queries, and the backoff after streams that end at once.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerClient } from '../../../src/docker/client.js';
import { resolveConnection } from '../../../src/docker/host.js';
import { DsError } from '../../../src/errors.js';
import type { DsRecord, HostInfo } from '../../../src/records.js';
import type { CursorState } from '../../../src/sources/docker-events/cursor.js';
import { dockerEventsOptions } from '../../../src/sources/docker-events/options.js';
import { DockerEventsSource } from '../../../src/sources/docker-events/source.js';
import { memoryLogger, waitFor } from '../../harness/agent.js';
import { ofKind } from '../../harness/records.js';
import { collectingContext } from '../../harness/source-context.js';
import { eventLine, eventsRoute, startFakeDaemon, type EventsHandler, type FakeDaemon } from '../../harness/fake-daemon.js';

const HOST: HostInfo = { name: '', daemon: 'local', daemon_id: '', engine: 'docker', version: '', api_version: '' };
const liveStreams = (d: FakeDaemon) => d.requestsTo('/events').filter((u) => !u.searchParams.has('until') && u.searchParams.get('stream') !== 'false');

/** A Podman-style event line (compat `/events` 4.3): `remove` on a volume has an empty actor id. */
const volumeLine = (action: string, name: string, timeNano: bigint) =>
  `{"status":"${action}","Type":"volume","Action":"${action}","Actor":{"ID":"","Attributes":{"containerExitCode":"0","image":"","name":"${name}","podId":""}},"scope":"local","time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}\n`;
const imageLine = (action: string, id: string, timeNano: bigint) =>
  `{"status":"${action}","id":"${id}","Type":"image","Action":"${action}","Actor":{"ID":"${id}","Attributes":{"containerExitCode":"0","image":"","name":"localhost/t:1","podId":""}},"scope":"local","time":${timeNano / 1_000_000_000n},"timeNano":${timeNano}}\n`;

describe('docker_events reconnects', () => {
  let daemon: FakeDaemon | undefined;
  let docker: DockerClient | undefined;
  let stop: AbortController | undefined;
  let running: Promise<unknown> | undefined;
  const cleanups: Array<() => void> = [];
  afterEach(async () => {
    stop?.abort();
    await running;
    for (const f of cleanups.splice(0)) f();
    await docker?.close();
    await daemon?.close();
    daemon = docker = stop = running = undefined;
  });

  /** Runs one events source (options as in config) against a fake daemon answering `/events` with `onEvents`. */
  async function start(onEvents: EventsHandler, engine: 'docker' | 'podman', options: Record<string, unknown>, once?: { sinceMs: number }) {
    daemon = await startFakeDaemon({ engine, routes: { '/events': eventsRoute(onEvents) } });
    const { log, entries } = memoryLogger('debug');
    docker = new DockerClient(resolveConnection({ host: daemon.host }), { timeoutMs: 5000, log });
    stop = new AbortController();
    const c = collectingContext(docker, HOST, stop.signal);
    const ctx = { ...c.ctx, log };
    const source = new DockerEventsSource('events', dockerEventsOptions.parse(options), once);
    const done = source.run(ctx);
    running = done.catch(() => undefined);
    return { records: c.records, logs: entries, done, ctx };
  }

  /** Runs one events source against a fake daemon whose state dir holds the cursor `daemonId` wrote just after c1's start at base + 2; its records, once the first new event is in. */
  async function resume(engine: 'docker' | 'podman', onEvents: EventsHandler, base: bigint, daemonId: string): Promise<DsRecord[]> {
    const persisted: CursorState = { time_nano: (base + 2n).toString(), keys: [`${base + 2n}|container|c1|start|`], daemon_id: daemonId, saved_at: '' };
    daemon = await startFakeDaemon({ engine, routes: { '/events': eventsRoute(onEvents) } });
    const { log } = memoryLogger('warn');
    docker = new DockerClient(resolveConnection({ host: daemon.host }), { timeoutMs: 5000, log });
    stop = new AbortController();
    const c = collectingContext(docker, HOST, stop.signal);
    const stateDir = mkdtempSync(join(tmpdir(), 'ds-reconnect-'));
    cleanups.push(() => rmSync(stateDir, { recursive: true, force: true }));
    mkdirSync(join(stateDir, 'cursor'));
    writeFileSync(join(stateDir, 'cursor', 'events.json'), JSON.stringify(persisted));
    running = new DockerEventsSource('events', dockerEventsOptions.parse({}), undefined).run({ ...c.ctx, log, stateDir }).catch(() => undefined);
    await waitFor(() => ofKind(c.records, 'event').length >= 1, 10_000, 'the new event');
    return c.records;
  }

  it('Podman: a reconnect resumes from its history without a gap, though /info says another ID each time', async () => {
    const base = BigInt(Date.now()) * 1_000_000n;
    const r = await start(
      (_req, res, connection) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        if (connection === 0) {
          res.write(eventLine('c1', 'create', base + 1n));
          res.write(eventLine('c1', 'start', base + 2n));
          setTimeout(() => res.socket?.destroy(), 50); // the service is killed
          return;
        }
        // The service's events log replays from `since` (inclusive), then goes on.
        res.write(eventLine('c1', 'start', base + 2n));
        res.write(eventLine('c1', 'die', base + 3n));
      },
      'podman',
      { reconnect: { initial: '20ms', max: '200ms' } },
    );

    await waitFor(() => ofKind(r.records, 'event').length >= 3, 10_000, 'three events');
    expect(ofKind(r.records, 'event').map((e) => `${e.actor.id}:${e.action}`)).toEqual(['c1:create', 'c1:start', 'c1:die']);
    expect(ofKind(r.records, 'event').every((e) => e.host.engine === 'podman')).toBe(true);
    const daemonIds = new Set(ofKind(r.records, 'inventory').map((i) => i.host.daemon_id));
    expect(ofKind(r.records, 'inventory').map((i) => i.reason)).toEqual(['start', 'reconnect']);
    expect(daemonIds.size).toBe(2); // a new random ID per /info call
    expect(ofKind(r.records, 'gap')).toEqual([]);
    // No ring check (a bounded `until` query) was asked: Podman has no ring.
    const d = daemon as FakeDaemon;
    expect(d.requestsTo('/events').map((u) => u.searchParams.has('until'))).toEqual([false, false]);
    expect(d.requestsTo('/events')[1]?.searchParams.get('since')).toBe(
      `${(base + 2n) / 1_000_000_000n}.${((base + 2n) % 1_000_000_000n).toString().padStart(9, '0')}`,
    );
  });

  it('Podman: resuming from a persisted cursor written under another /info ID is no gap either', async () => {
    const base = BigInt(Date.now()) * 1_000_000n;
    const onEvents: EventsHandler = (_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write(eventLine('c1', 'start', base + 2n));
      res.write(eventLine('c1', 'die', base + 3n));
    };
    const records = await resume('podman', onEvents, base, 'an-old-random-id');
    expect(ofKind(records, 'event').map((e) => e.action)).toEqual(['die']);
    expect(ofKind(records, 'gap')).toEqual([]);
    expect((daemon as FakeDaemon).requestsTo('/events').some((u) => u.searchParams.has('until'))).toBe(false);
  });

  it('Docker: resuming from a cursor another daemon wrote says so with one gap from `source:events`', async () => {
    const base = BigInt(Date.now()) * 1_000_000n;
    const onEvents: EventsHandler = (_req, res, connection) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      if (connection === -1) return void res.end(); // the ring check: our boundary is gone
      res.write(eventLine('c1', 'die', base + 3n));
    };
    const records = await resume('docker', onEvents, base, 'ANOTHER:DAEMON');
    expect(ofKind(records, 'gap').map((g) => [g.reason, g.component])).toEqual([['daemon_restarted', 'source:events']]);
  });

  it('Podman: event filters go out in Podman’s names, and what it matched beyond the ask is dropped', async () => {
    const base = BigInt(Date.now()) * 1_000_000n;
    const r = await start(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        // What Podman 4.3 answers to event=died,remove: its compat output says die, remove, and delete for images.
        res.write(eventLine('c1', 'die', base + 1n));
        res.write(eventLine('c1', 'remove', base + 2n));
        res.write(imageLine('delete', 'abc123', base + 3n));
        res.write(volumeLine('remove', 'v1', base + 4n));
      },
      'podman',
      { filters: { event: ['die', 'destroy'] } },
    );
    await waitFor(() => ofKind(r.records, 'event').length >= 3, 10_000, 'three events');
    const d = daemon as FakeDaemon;
    expect(JSON.parse(d.requestsTo('/events')[0]?.searchParams.get('filters') ?? '')).toEqual({ event: { died: true, remove: true } });
    expect(ofKind(r.records, 'event').map((e) => `${e.type}:${e.action}:${e.actor.id}`)).toEqual([
      'container:die:c1',
      'container:destroy:c1',
      'volume:destroy:v1',
    ]);
  });

  it('Podman: a filter key it cannot serve stops the source with CONFIG_INVALID before any /events request', async () => {
    const r = await start((_req, res) => res.end(), 'podman', { filters: { type: ['container'], network: ['n1'] } });
    const err = await r.done.then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(DsError);
    expect((err as DsError).code).toBe('CONFIG_INVALID');
    expect((err as DsError).details).toMatchObject({ keys: ['network'], paths: ['sources.events.filters.network'] });
    expect((daemon as FakeDaemon).requestsTo('/events')).toEqual([]);
    expect(r.records).toEqual([]);
    expect(r.logs.filter((l) => l.level >= 40)).toEqual([]); // no "retrying" warnings
  });

  it('Docker: the same filter is sent as it is', async () => {
    const r = await start(
      (_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(eventLine('c1', 'die', BigInt(Date.now()) * 1_000_000n));
      },
      'docker',
      { filters: { type: ['container'], network: ['n1'], event: ['die'] } },
    );
    await waitFor(() => ofKind(r.records, 'event').length >= 1, 10_000, 'one event');
    expect(JSON.parse((daemon as FakeDaemon).requestsTo('/events')[0]?.searchParams.get('filters') ?? '')).toEqual({
      type: { container: true },
      network: { n1: true },
      event: { die: true },
    });
  });

  it('`once` on Podman asks stream=false without until, and drops what came after the window', async () => {
    const r = await start(
      (_req, res, _n, url) => {
        // The window's end is /info's SystemTime; `since` is 60 s before it, to the nanosecond.
        const [sec = '0', frac = '0'] = (url.searchParams.get('since') ?? '').split('.');
        const until = BigInt(sec) * 1_000_000_000n + BigInt(frac.padEnd(9, '0')) + 60_000_000_000n;
        res.writeHead(200, { 'Content-Type': 'application/json' });
        res.write(volumeLine('create', 'in-1', until - 30_000_000_000n));
        res.write(volumeLine('create', 'in-2', until)); // both bounds are inclusive
        res.write(volumeLine('create', 'after-1', until + 1n));
        res.write(volumeLine('create', 'in-3', until - 1n)); // Podman's order is not time order
        res.write(volumeLine('create', 'after-2', until + 5_000_000_000n));
        res.end();
      },
      'podman',
      {},
      { sinceMs: 60_000 },
    );
    await r.done;
    const q = (daemon as FakeDaemon).requestsTo('/events')[0] as URL;
    expect(q.searchParams.get('stream')).toBe('false');
    expect(q.searchParams.has('until')).toBe(false);
    expect(ofKind(r.records, 'event').map((e) => e.actor.id)).toEqual(['in-1', 'in-2', 'in-3']);
  });

  it('backs off exponentially while streams end at once, and starts over after a stream that delivered', async () => {
    const initial = 40;
    const max = 320;
    const at: number[] = [];
    const r = await start(
      (_req, res: ServerResponse, connection) => {
        res.writeHead(200, { 'Content-Type': 'application/json' });
        if (connection === -1) {
          // the ring check after the stream that delivered: the boundary is still held
          res.end(eventLine('c1', 'start', 1795428000000000001n));
          return;
        }
        at.push(Date.now());
        // Streams 0-4 end at once (like Podman on a filter it rejects); stream 5 delivers one event.
        res.end(connection === 5 ? eventLine('c1', 'start', 1795428000000000001n) : undefined);
      },
      'docker',
      { reconnect: { initial: `${initial}ms`, max: `${max}ms` } },
    );
    await waitFor(() => liveStreams(daemon as FakeDaemon).length >= 8, 20_000, 'eight streams');
    stop?.abort();
    await r.done;

    const attempts = r.logs.filter((l) => l.msg === 'docker events stream ended without events; backing off').map((l) => l['attempt']);
    expect(attempts.slice(0, 7)).toEqual([1, 2, 3, 4, 5, 1, 2]);
    // Each wait is at least min(initial * 2^(attempt-1), max) (jitter only lengthens it); 5 ms for timer granularity.
    const waits = at.slice(1, 6).map((t, i) => t - (at[i] as number));
    const floors = [initial, 2 * initial, 4 * initial, max, max];
    waits.forEach((w, i) => expect(w, `wait ${i + 1}`).toBeGreaterThanOrEqual((floors[i] as number) - 5));
    // Each stream came with its inventory; ending at once is no gap.
    expect(ofKind(r.records, 'inventory').length).toBe(liveStreams(daemon as FakeDaemon).length);
    expect(ofKind(r.records, 'gap')).toEqual([]);
    expect(ofKind(r.records, 'event').map((e) => e.action)).toEqual(['start']);
  });
});
