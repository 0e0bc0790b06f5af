/**
 * The running, selected containers the stats source samples, with each one's
 * previous CPU sample. Kept from lifecycle events between periodic full lists.
 * Pure bookkeeping: the source does the daemon calls and feeds results in.
 */
import type { ListedContainer } from '../../docker/containers.js';
import type { ContainerRef, EventRecord } from '../../records.js';
import type { CpuSample } from './raw.js';
import type { ContainerFacts } from './selection.js';

export interface Tracked {
  ref: ContainerRef;
  /** The previous sample of this container, for CPU %. */
  prev: CpuSample | null;
}

/** Events that add a container (after a lookup) or drop it. */
const LOOKUP_ACTIONS = new Set(['start', 'unpause', 'rename']);
const REMOVE_ACTIONS = new Set(['die', 'destroy', 'pause']);

export function factsOf(c: ListedContainer): ContainerFacts & { id: string } {
  const first = c.Names?.[0] ?? '';
  return { id: c.Id, name: first.startsWith('/') ? first.slice(1) : first, image: c.Image ?? '', labels: c.Labels ?? {} };
}

export class ContainerSet {
  private readonly entries = new Map<string, Tracked>();
  /** In-flight single-container lookups; a later event for the id invalidates the token. */
  private readonly pending = new Map<string, symbol>();
  /** Ids events changed while a full list was in flight: the (older) list must not overrule them. */
  private touched: Set<string> | null = null;

  constructor(
    private readonly select: (c: ContainerFacts) => boolean,
    private readonly refOf: (c: ContainerFacts & { id: string }) => ContainerRef,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** A snapshot for one round. */
  list(): Array<[string, Tracked]> {
    return [...this.entries];
  }

  get(id: string): Tracked | undefined {
    return this.entries.get(id);
  }

  remove(id: string): boolean {
    this.touched?.add(id);
    this.pending.delete(id);
    return this.entries.delete(id);
  }

  /**
   * Applies a lifecycle event. Returns a lookup token when the source should
   * fetch the container (start, unpause, rename) and hand the answer to
   * `finishLookup`; null otherwise.
   */
  onEvent(event: EventRecord): symbol | null {
    if (event.type !== 'container') return null;
    const id = event.actor.id;
    if (REMOVE_ACTIONS.has(event.action)) {
      this.remove(id);
      return null;
    }
    if (!LOOKUP_ACTIONS.has(event.action)) return null;
    this.touched?.add(id);
    const token = Symbol(id);
    this.pending.set(id, token);
    return token;
  }

  /** The answer to a lookup: the container as listed while running, or undefined when it is not running. */
  finishLookup(id: string, token: symbol, listed: ListedContainer | undefined): void {
    if (this.pending.get(id) !== token) return; // a newer event decided already
    this.pending.delete(id);
    this.touched?.add(id);
    if (listed) this.upsert(listed);
    else this.entries.delete(id);
  }

  /** Call before a full list request; events arriving until `applyList` win over it. */
  beginList(): void {
    this.touched = new Set();
  }

  /** Replaces the set with a full list of running containers; returns how many were added and removed. */
  applyList(listed: readonly ListedContainer[]): { added: number; removed: number } {
    const touched = this.touched ?? new Set<string>();
    this.touched = null;
    let added = 0;
    let removed = 0;
    const seen = new Set<string>();
    for (const c of listed) {
      seen.add(c.Id);
      if (touched.has(c.Id) || this.pending.has(c.Id)) continue;
      const had = this.entries.has(c.Id);
      const kept = this.upsert(c);
      if (kept && !had) added++;
      if (!kept && had) removed++;
    }
    for (const id of [...this.entries.keys()]) {
      if (!seen.has(id) && !touched.has(id) && !this.pending.has(id)) {
        this.entries.delete(id);
        removed++;
      }
    }
    return { added, removed };
  }

  /** Adds or refreshes a running container if selected (keeping its previous sample); drops it otherwise. */
  private upsert(c: ListedContainer): boolean {
    if (c.State !== undefined && c.State !== 'running') {
      this.entries.delete(c.Id);
      return false;
    }
    const facts = factsOf(c);
    if (!this.select(facts)) {
      this.entries.delete(c.Id);
      return false;
    }
    const existing = this.entries.get(c.Id);
    if (existing) existing.ref = this.refOf(facts);
    else this.entries.set(c.Id, { ref: this.refOf(facts), prev: null });
    return true;
  }
}
