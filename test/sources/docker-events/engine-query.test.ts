import { describe, expect, it } from 'vitest';
import { DsError } from '../../../src/errors.js';
import type { EventRecord } from '../../../src/records.js';
import { boundedEventsQuery, eventActionFilter, eventFiltersParam } from '../../../src/sources/docker-events/engine-query.js';
import { eventRecord, host } from '../../harness/records.js';

const podman = host({ engine: 'podman', version: '4.3.1' });
const record = (action: string, from?: string): EventRecord =>
  eventRecord({
    host: podman,
    action,
    actor: { id: 'c1', attributes: {} },
    time_nano: '1795428000000000001',
    ...(from ? { normalized_from: { action: from } } : {}),
  });

describe('event filters per engine', () => {
  it('sends Docker filters as they are, as the daemon’s key → set JSON', () => {
    expect(eventFiltersParam({ event: ['die', 'destroy'], type: ['container'], network: ['n1'] }, 'docker', 'events')).toBe(
      '{"event":{"die":true,"destroy":true},"type":{"container":true},"network":{"n1":true}}',
    );
    expect(eventFiltersParam(undefined, 'docker', 'events')).toBeUndefined();
    expect(eventFiltersParam({ label: [] }, 'podman', 'events')).toBeUndefined();
  });

  it('translates event names to the ones Podman’s filter matches', () => {
    expect(
      JSON.parse(eventFiltersParam({ event: ['die', 'destroy', 'delete', 'exec_start', 'exec_die', 'start', 'health_status'] }, 'podman', 'events') ?? ''),
    ).toEqual({
      event: { died: true, remove: true, exec: true, exec_died: true, start: true, health_status: true },
    });
    // Podman's own names and the keys it serves pass through.
    expect(
      JSON.parse(eventFiltersParam({ event: ['died'], type: ['container'], label: ['a=b'], image: ['i'], container: ['c'] }, 'podman', 'events') ?? ''),
    ).toEqual({
      event: { died: true },
      type: { container: true },
      label: { 'a=b': true },
      image: { i: true },
      container: { c: true },
    });
  });

  it('refuses on Podman the keys it cannot serve, with a stable code and the config paths', () => {
    let err: unknown;
    try {
      eventFiltersParam({ type: ['container'], network: ['n1'], scope: ['local'] }, 'podman', 'ev');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DsError);
    expect((err as DsError).code).toBe('CONFIG_INVALID');
    expect((err as DsError).message).toBe('Podman cannot filter events by network, scope: remove these keys from sources.ev.filters');
    expect((err as DsError).details).toMatchObject({
      keys: ['network', 'scope'],
      engine: 'podman',
      paths: ['sources.ev.filters.network', 'sources.ev.filters.scope'],
    });
    for (const key of ['config', 'daemon', 'node', 'plugin', 'secret', 'service', 'volume']) {
      expect(() => eventFiltersParam({ [key]: ['x'] }, 'podman', 'ev')).toThrow(
        `Podman cannot filter events by ${key}: remove this key from sources.ev.filters`,
      );
    }
  });
});

describe('event action filter on our side', () => {
  it('is not needed on Docker or without an event filter', () => {
    expect(eventActionFilter({ event: ['destroy'] }, 'docker')).toBeNull();
    expect(eventActionFilter({ type: ['container'] }, 'podman')).toBeNull();
  });

  it('drops what Podman matched beyond the ask (its `remove` is also an image delete)', () => {
    const keep = eventActionFilter({ event: ['destroy', 'die'] }, 'podman');
    expect(keep?.(record('destroy', 'remove'))).toBe(true);
    expect(keep?.(record('die'))).toBe(true);
    expect(keep?.(record('delete', 'remove'))).toBe(false);
  });

  it('keeps what a filter in Podman’s own names asked for, under its Docker name', () => {
    const keep = eventActionFilter({ event: ['died', 'remove', 'exec', 'exec_died', 'init'] }, 'podman');
    for (const [action, from] of [['die'], ['destroy', 'remove'], ['delete', 'remove'], ['exec_start', 'exec'], ['exec_die', 'exec_died'], ['init']] as const) {
      expect(keep?.(record(action, from)), action).toBe(true);
    }
    expect(keep?.(record('start'))).toBe(false);
  });
});

describe('bounded event queries', () => {
  it('Docker: since and until, bounded by the daemon', () => {
    expect(boundedEventsQuery('docker', '1795428000000000001', '1795428060123456789')).toEqual({
      query: { since: '1795428000.000000001', until: '1795428060.123456789' },
      keepUntilNano: null,
    });
  });
  it('Podman: stream=false without until (a wall-clock deadline there); the bound applies on our side', () => {
    expect(boundedEventsQuery('podman', '1795428000000000001', '1795428060123456789')).toEqual({
      query: { since: '1795428000.000000001', stream: 'false' },
      keepUntilNano: 1795428060123456789n,
    });
  });
});
