import { describe, expect, it } from 'vitest';
import { EventBoundary } from '../../../src/sources/docker-events/boundary.js';
import { extractTimeNano, MalformedEventError, normalizeEvent, parseEventLine, splitAction } from '../../../src/sources/docker-events/normalize.js';
import { host as hostInfo } from '../../harness/records.js';

const host = hostInfo();

// A real dockerd 20.10 line (legacy fields included).
const DIE =
  '{"status":"die","id":"0f1c","from":"local/busybox:1","Type":"container","Action":"die","Actor":{"ID":"0f1c","Attributes":{"exitCode":"137","image":"local/busybox:1","name":"web","signal":"9"}},"scope":"local","time":1795424608,"timeNano":1795424608911313377}';

describe('event normalisation', () => {
  it('keeps the exact timeNano digits that JSON.parse would round', () => {
    const { raw, timeNano } = parseEventLine(DIE);
    expect(timeNano).toBe('1795424608911313377');
    expect(String((raw as { timeNano: number }).timeNano)).not.toBe('1795424608911313377');
    const r = normalizeEvent(raw, timeNano, host);
    expect(r.time_nano).toBe('1795424608911313377');
    expect(r.time).toBe('2026-11-23T09:03:28.911313377Z');
  });

  it('fills container, actor and scope', () => {
    const { raw, timeNano } = parseEventLine(DIE);
    const r = normalizeEvent(raw, timeNano, host);
    expect(r).toMatchObject({
      kind: 'event',
      schema: 1,
      type: 'container',
      action: 'die',
      action_detail: null,
      scope: 'local',
      actor: { id: '0f1c', attributes: { exitCode: '137', signal: '9' } },
      container: { id: '0f1c', name: 'web', image: 'local/busybox:1' },
      host,
    });
  });

  it('ignores a timeNano-looking text inside an attribute value', () => {
    const line = '{"Type":"container","Action":"start","Actor":{"ID":"x","Attributes":{"note":"\\"timeNano\\":1"}},"time":1,"timeNano":1000000001000000002}';
    expect(extractTimeNano(line)).toBe('1000000001000000002');
  });

  it('finds timeNano whatever the spacing and whatever follows it, and keeps time in step with it', () => {
    expect(extractTimeNano('{"time":1,"timeNano": 1000000001000000002 }')).toBe('1000000001000000002');
    expect(extractTimeNano('{"timeNano":1000000001000000003,"Actor":{"Attributes":{"timeNano":"9"}}}')).toBe('1000000001000000003');
    expect(extractTimeNano('{"time":1}')).toBeNull();
    const at = (t: string) => normalizeEvent({ Type: 'container', Action: 'start', Actor: { ID: 'x', Attributes: {} } }, t, host).time;
    expect(at('1795424608999999999')).toBe('2026-11-23T09:03:28.999999999Z');
    expect(at('1795424609000000001')).toBe('2026-11-23T09:03:29.000000001Z');
    expect(at('1795424608000000000')).toBe('2026-11-23T09:03:28.000000000Z');
    expect(at('5000000000')).toBe('1970-01-01T00:00:05.000000000Z');
  });

  it('splits exec_start and health_status suffixes', () => {
    expect(splitAction('exec_start: sh -c echo a: b')).toEqual({ action: 'exec_start', detail: 'sh -c echo a: b' });
    expect(splitAction('health_status: healthy')).toEqual({ action: 'health_status', detail: 'healthy' });
    expect(splitAction('destroy')).toEqual({ action: 'destroy', detail: null });
  });

  it('puts prune reclaimed bytes on the record as a number', () => {
    const line =
      '{"Type":"container","Action":"prune","Actor":{"ID":"","Attributes":{"reclaimed":"2097152"}},"scope":"local","time":1,"timeNano":1000000000000000001}';
    const { raw, timeNano } = parseEventLine(line);
    expect(normalizeEvent(raw, timeNano, host).reclaimed_bytes).toBe(2097152);
  });

  it("maps Podman's vocabulary to Docker's and says so", () => {
    const podman = hostInfo({ engine: 'podman' });
    const died = parseEventLine(
      '{"Type":"container","Action":"died","Actor":{"ID":"p1","Attributes":{"name":"a","image":"i"}},"time":1,"timeNano":1000000000000000003}',
    );
    const r = normalizeEvent(died.raw, died.timeNano, podman);
    expect(r.action).toBe('die');
    expect(r.normalized_from).toEqual({ action: 'died' });
    const health = parseEventLine(
      '{"Type":"container","Action":"health_status","Actor":{"ID":"p1","Attributes":{"health_status":"unhealthy"}},"time":1,"timeNano":1000000000000000004}',
    );
    expect(normalizeEvent(health.raw, health.timeNano, podman).action_detail).toBe('unhealthy');
  });

  it('rejects malformed lines with a reason', () => {
    expect(() => parseEventLine('{"Type":')).toThrow(MalformedEventError);
    expect(() => parseEventLine('[1,2]')).toThrow(/not_an_object/);
    const noAction = parseEventLine('{"Type":"container","time":5}');
    expect(noAction.timeNano).toBe('5000000000');
    expect(() => normalizeEvent(noAction.raw, noAction.timeNano, host)).toThrow(/no_type_or_action/);
  });

  // Found by the fuzz test in CI: a `time` of 2^64 made Date throw a RangeError, uncounted.
  it('rejects a time RFC 3339 cannot say', () => {
    const line = (time: string) => `{"Type":"container","Action":"start","Actor":{"ID":"c1"},${time}}`;
    expect(() => parseEventLine(line('"time":18446744073709552000'))).toThrow(/time_out_of_range/);
    expect(() => parseEventLine(line('"time":-1'))).toThrow(/time_out_of_range/);
    expect(() => parseEventLine(line('"time":1,"timeNano":253402300800000000000'))).toThrow(/time_out_of_range/);
    expect(() => parseEventLine(line('"time":1,"timeNano":1253402300799999999999'))).toThrow(/time_out_of_range/);
    const last = parseEventLine(line('"time":1,"timeNano":253402300799999999999'));
    expect(normalizeEvent(last.raw, last.timeNano, host).time).toBe('9999-12-31T23:59:59.999999999Z');
    expect(parseEventLine(line('"time":0,"timeNano":0')).timeNano).toBe('0');
  });
});

describe('resume boundary', () => {
  const ev = (t: string, id: string, action = 'start') => {
    const { raw, timeNano } = parseEventLine(`{"Type":"container","Action":"${action}","Actor":{"ID":"${id}","Attributes":{}},"time":1,"timeNano":${t}}`);
    return normalizeEvent(raw, timeNano, host);
  };

  it('drops replayed events at the boundary instant, keeps new ones at the same instant', () => {
    const b = new EventBoundary();
    expect(b.admit(ev('100', 'a'))).toBe(true);
    expect(b.admit(ev('200', 'b'))).toBe(true);
    expect(b.admit(ev('200', 'c'))).toBe(true);
    // resume with since=200: the daemon replays b and c, then sends d at the same instant
    expect(b.admit(ev('200', 'b'))).toBe(false);
    expect(b.admit(ev('200', 'c'))).toBe(false);
    expect(b.admit(ev('200', 'd'))).toBe(true);
    expect(b.admit(ev('300', 'b'))).toBe(true);
    expect(b.timeNano).toBe('300');
  });

  it('lets a slightly out-of-order live event through', () => {
    const b = new EventBoundary();
    b.admit(ev('200', 'a'));
    expect(b.admit(ev('199', 'z'))).toBe(true);
    expect(b.timeNano).toBe('200');
  });

  it('restores from a snapshot', () => {
    const b = new EventBoundary();
    b.admit(ev('500', 'a'));
    const snap = b.snapshot();
    const c = new EventBoundary();
    c.restore(snap!.timeNano, snap!.keys);
    expect(c.admit(ev('500', 'a'))).toBe(false);
    expect(c.admit(ev('500', 'a', 'die'))).toBe(true);
  });
});
