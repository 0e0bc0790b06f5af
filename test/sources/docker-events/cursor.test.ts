import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DsError } from '../../../src/errors.js';
import { nullLogger } from '../../../src/log.js';
import { Settlement } from '../../../src/pipeline/settlement.js';
import { EventsCursor, loadCursor } from '../../../src/sources/docker-events/cursor.js';
import { eventKey } from '../../../src/sources/docker-events/normalize.js';
import { event, HOST } from '../../pipeline/fixtures.js';

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function cursorPath(): string {
  const d = mkdtempSync(join(tmpdir(), 'ds-cursor-'));
  dirs.push(d);
  return join(d, 'cursor', 'events.json');
}

/** A cursor fed by a settlement over `sinks`, as the events source wires them. */
function cursorOver(path: string, sinks: readonly string[], flushMs = 10_000) {
  const cursor = new EventsCursor(path, flushMs, nullLogger(), null);
  const settlement = new Settlement();
  settlement.listen((records) => cursor.advance(records));
  return { cursor, settlement, track: (e: ReturnType<typeof event>) => settlement.follow(e, sinks) };
}

describe('events cursor', () => {
  it('advances only to what every events-consuming sink settled', async () => {
    const path = cursorPath();
    const { cursor: c, settlement, track } = cursorOver(path, ['kafka', 'file']);
    const evs = [1, 2, 3, 4, 5].map((n) => event(n));
    for (const e of evs) track(e);
    settlement.settled('kafka', evs.slice(0, 4));
    expect(c.current).toBeNull();
    settlement.settled('file', evs.slice(0, 2));
    expect(c.current?.time_nano).toBe(evs[1]?.time_nano);
    settlement.settled('file', evs.slice(2, 5));
    expect(c.current?.time_nano).toBe(evs[3]?.time_nano);
    await c.flush();
    const saved = loadCursor(path);
    expect(saved).toMatchObject({ time_nano: evs[3]?.time_nano, keys: [eventKey(evs[3]!)], daemon_id: HOST.daemon_id });
    // nothing left behind by the atomic write
    expect(() => readFileSync(`${path}.tmp`)).toThrow();
  });

  it('keeps every settled event of the boundary instant, so a resume drops exactly those', async () => {
    const path = cursorPath();
    const { cursor: c, settlement, track } = cursorOver(path, ['out']);
    const same = '1800000000000000777';
    const a = event(1, { timeNano: same, id: 'a' });
    const b = event(2, { timeNano: same, id: 'b' });
    const x = event(3, { timeNano: same, id: 'x' });
    for (const e of [a, b, x]) track(e);
    settlement.settled('out', [a, b]);
    await c.flush();
    expect(loadCursor(path)?.keys).toEqual([eventKey(a), eventKey(b)]);
  });

  it('writes at most once per interval, and at flush', async () => {
    const path = cursorPath();
    const { settlement, track } = cursorOver(path, ['out'], 200);
    const e = event(1);
    track(e);
    settlement.settled('out', [e]);
    expect(loadCursor(path)).toBeNull();
    await new Promise((r) => setTimeout(r, 400));
    expect(loadCursor(path)?.time_nano).toBe(e.time_nano);
  });

  it('with no sink taking events, the cursor follows emission', () => {
    const { cursor: c, track } = cursorOver(cursorPath(), []);
    const e = event(7);
    track(e);
    expect(c.current?.time_nano).toBe(e.time_nano);
  });

  it('reads no cursor as null and rejects a file that is not a cursor', () => {
    const path = cursorPath();
    expect(loadCursor(path)).toBeNull();
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, '{"time_nano":12.5}');
    expect(() => loadCursor(path)).toThrow(/not a cursor/);
    // A wrong shape, not JSON at all, or JSON null: one coded error (the parser's complaint as its cause).
    for (const text of ['{"time_nano":12.5}', '{"time_nano":"12', 'null']) {
      writeFileSync(path, text);
      let err: unknown;
      try {
        loadCursor(path);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DsError);
      expect(err).toMatchObject({ code: 'STATE_CORRUPT', message: `cursor file ${path} is not a cursor`, details: { path } });
      if (text === '{"time_nano":"12') expect((err as Error).cause).toBeInstanceOf(SyntaxError);
    }
  });
});
