import { describe, expect, it } from 'vitest';
import type { EventRecord } from '../../../src/records.js';
import type { ListedContainer } from '../../../src/docker/containers.js';
import { ContainerSet } from '../../../src/sources/docker-stats/container-set.js';
import { containerSelector } from '../../../src/sources/docker-stats/selection.js';
import { eventRecord } from '../../harness/records.js';

function listed(id: string, name: string, extra: Partial<ListedContainer> = {}): ListedContainer {
  return { Id: id, Names: [`/${name}`], Image: 'local/busybox:1', Labels: { team: 'web' }, State: 'running', ...extra };
}

function event(action: string, id: string, type = 'container'): EventRecord {
  return eventRecord({ type, action, actor: { id, attributes: {} }, time_nano: '1735689600000000000' });
}

function newSet(exclude?: { names: string[] }): ContainerSet {
  return new ContainerSet(containerSelector(undefined, exclude), (c) => ({ id: c.id, name: c.name, image: c.image, labels: { team: c.labels['team'] ?? '' } }));
}

describe('ContainerSet', () => {
  it('takes running, selected containers from a list, with names without the slash', () => {
    const set = newSet({ names: ['skip-*'] });
    set.beginList();
    const res = set.applyList([listed('a', 'web'), listed('b', 'skip-me'), listed('c', 'paused', { State: 'paused' })]);
    expect(res).toEqual({ added: 1, removed: 0 });
    expect(set.list().map(([id, t]) => [id, t.ref])).toEqual([['a', { id: 'a', name: 'web', image: 'local/busybox:1', labels: { team: 'web' } }]]);
  });

  it('keeps the previous sample across a resync, drops containers no longer listed', () => {
    const set = newSet();
    set.beginList();
    set.applyList([listed('a', 'web'), listed('b', 'db')]);
    const a = set.get('a');
    if (!a) throw new Error('missing a');
    a.prev = { total_ns: 1, system_ns: 2 };
    set.beginList();
    expect(set.applyList([listed('a', 'web-renamed')])).toEqual({ added: 0, removed: 1 });
    expect(set.get('a')).toMatchObject({ prev: { total_ns: 1, system_ns: 2 }, ref: { name: 'web-renamed' } });
    expect(set.has('b')).toBe(false);
  });

  it('die, destroy and pause drop a container; other types and actions do nothing', () => {
    const set = newSet();
    set.beginList();
    set.applyList([listed('a', 'a'), listed('b', 'b'), listed('c', 'c'), listed('d', 'd')]);
    expect(set.onEvent(event('die', 'a'))).toBeNull();
    expect(set.onEvent(event('destroy', 'b'))).toBeNull();
    expect(set.onEvent(event('pause', 'c'))).toBeNull();
    expect(set.onEvent(event('exec_start', 'd'))).toBeNull();
    expect(set.onEvent(event('destroy', 'd', 'volume'))).toBeNull();
    expect(set.list().map(([id]) => id)).toEqual(['d']);
  });

  it('start asks for a lookup; the answer adds the container', () => {
    const set = newSet();
    const token = set.onEvent(event('start', 'n'));
    expect(token).not.toBeNull();
    set.finishLookup('n', token as symbol, listed('n', 'new'));
    expect(set.get('n')?.ref.name).toBe('new');
  });

  it('a die after a start wins over the start’s late lookup answer', () => {
    const set = newSet();
    const token = set.onEvent(event('start', 'n')) as symbol;
    set.onEvent(event('die', 'n'));
    set.finishLookup('n', token, listed('n', 'new'));
    expect(set.has('n')).toBe(false);
  });

  it('a list that was in flight does not undo events that arrived meanwhile', () => {
    const set = newSet();
    set.beginList();
    set.applyList([listed('old', 'old')]);
    set.beginList(); // list request goes out...
    set.onEvent(event('die', 'old')); // ...old dies...
    const token = set.onEvent(event('start', 'new')) as symbol; // ...new starts...
    set.finishLookup('new', token, listed('new', 'new'));
    set.applyList([listed('old', 'old')]); // ...the list answers from before both
    expect(set.list().map(([id]) => id)).toEqual(['new']);
    // The next list is authoritative again.
    set.beginList();
    set.applyList([listed('old', 'old')]);
    expect(set.list().map(([id]) => id)).toEqual(['old']);
  });

  it('a rename to an excluded name drops the container', () => {
    const set = newSet({ names: ['hidden-*'] });
    set.beginList();
    set.applyList([listed('a', 'web')]);
    const token = set.onEvent(event('rename', 'a')) as symbol;
    set.finishLookup('a', token, listed('a', 'hidden-web'));
    expect(set.has('a')).toBe(false);
  });
});
