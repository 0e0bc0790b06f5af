/**
 * The contract every sink keeps (docs/design.md §7), run by each sink against
 * its real peer: a small `<sink>/contract.test.ts` calls `sinkContract` with
 * a fixture that makes sinks and reads back what their peer received.
 *
 *  - start, check and send work, and the peer holds exactly the batch;
 *    close is idempotent;
 *  - send after close fails with a permanent SinkError and delivers nothing;
 *  - `reject` passes every sendable record and (where the sink has one) names
 *    the reason for a record it cannot send;
 *  - a send whose signal is aborted rejects with an abort error and delivers
 *    nothing; a send held by a peer that does not answer rejects promptly once
 *    its signal aborts;
 *  - check() on a peer that is not there throws.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DsError, isAbortError, SinkError } from '../../src/errors.js';
import type { Sink } from '../../src/pipeline/types.js';
import type { DsRecord } from '../../src/records.js';

/** A sink aimed at the live peer and the way to read back what it delivered there. */
export interface SinkUnderTest {
  readonly sink: Sink;
  /**
   * What the peer holds from this sink, in the form `expected` gives: waits
   * until there are at least `atLeast` items (or a deadline passes), then
   * long enough for more (duplicates) to show.
   */
  received(atLeast: number): Promise<unknown[]>;
}

/** A send the peer holds without answering, until `release`. */
export interface HeldSend {
  readonly sink: Sink;
  readonly batch: readonly DsRecord[];
  /** Resolves once the peer holds the send (its request arrived, its write blocks). */
  reached(): Promise<void>;
  /** Lets go of the send so that the sink can close. */
  release(): Promise<void>;
}

export interface SinkContractFixture {
  /** Starts the peer (once per suite). */
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
  /** A fresh sink on the live peer, delivering to a destination of its own. */
  create(): Promise<SinkUnderTest>;
  /** Records of every kind the sink delivers. */
  batch(): DsRecord[];
  /** What the peer must hold after `batch` was sent, read independently of the sink's code. */
  expected(batch: readonly DsRecord[]): unknown[];
  /** What check() says on the live peer. */
  readonly checkLine: RegExp;
  /** For sinks with per-record permanent failures: a record reject() must refuse, and why. */
  readonly unsendable?: { readonly record: () => DsRecord; readonly reason: RegExp };
  /** A send held by a peer that never answers (absent where a send cannot wait on anything). */
  held?(): Promise<HeldSend>;
  /** A sink aimed at a peer that is not there. */
  unreachable(): Promise<Sink>;
}

/** A total order on values by their JSON text, for comparing what a peer holds independently of the order it came in. */
export const byJson = (a: unknown, b: unknown): number => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1);

/**
 * A `received` for SinkUnderTest: polls `read` every `everyMs` until it holds
 * at least `atLeast` items or 10 s passed, then waits 200 ms more (for
 * duplicates to show) and reads once more.
 */
export async function receivedAtLeast(read: () => unknown[] | Promise<unknown[]>, atLeast: number, everyMs: number): Promise<unknown[]> {
  const deadline = Date.now() + 10_000;
  while ((await read()).length < atLeast && Date.now() < deadline) await sleep(everyMs);
  await sleep(200);
  return read();
}

/** Abort must settle a held send within this (it settles in milliseconds; the margin is for a loaded machine). */
const PROMPT_MS = 1_000;

/** What `promise` rejects with (it must reject). */
export const failure = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => Promise.reject(new Error('expected a rejection')),
    (err: unknown) => err,
  );

function expectPermanent(err: unknown): void {
  expect(err).toBeInstanceOf(SinkError);
  expect((err as SinkError).retryable).toBe(false);
}

export function sinkContract(name: string, fixture: SinkContractFixture): void {
  describe(`sink contract: ${name}`, () => {
    const signal = new AbortController().signal;
    const open: Sink[] = [];
    const create = async (): Promise<SinkUnderTest> => {
      const s = await fixture.create();
      open.push(s.sink);
      return s;
    };

    beforeAll(async () => {
      await fixture.setup?.();
    });
    afterAll(async () => {
      for (const s of open.splice(0)) await s.close();
      await fixture.teardown?.();
    });

    it('start, check and send work: the peer holds exactly the batch; close twice is fine', async () => {
      const { sink, received } = await create();
      await sink.start(signal);
      expect(await sink.check(signal)).toMatch(fixture.checkLine);
      const batch = fixture.batch();
      for (const r of batch) expect(sink.reject?.(r) ?? null).toBeNull();
      await sink.send(batch, signal);
      const want = fixture.expected(batch);
      expect(want.length).toBeGreaterThan(0);
      expect(await received(want.length)).toEqual(want);
      await sink.close();
      await sink.close();
      await Promise.all([sink.close(), sink.close()]);
    });

    it('send after close fails with a permanent SinkError and delivers nothing (started or not)', async () => {
      const started = await create();
      await started.sink.start(signal);
      await started.sink.close();
      expectPermanent(await failure(started.sink.send(fixture.batch(), signal)));
      const never = await create();
      await never.sink.close();
      expectPermanent(await failure(never.sink.send(fixture.batch(), signal)));
      expect(await Promise.all([started.received(0), never.received(0)])).toEqual([[], []]);
    });

    const { unsendable } = fixture;
    if (unsendable) {
      it('reject() names the reason for a record it cannot send, null for the others', async () => {
        const { sink, received } = await create();
        await sink.start(signal); // the pipeline asks only after start()
        const batch = fixture.batch();
        expect(sink.reject?.(unsendable.record())).toMatch(unsendable.reason);
        for (const r of batch) expect(sink.reject?.(r)).toBeNull();
        await sink.send(batch, signal);
        const want = fixture.expected(batch);
        expect(await received(want.length)).toEqual(want);
      });
    }

    it('a send with an aborted signal rejects with an abort error and delivers nothing', async () => {
      const { sink, received } = await create();
      await sink.start(signal);
      const err = await failure(sink.send(fixture.batch(), AbortSignal.abort()));
      expect(isAbortError(err), String(err)).toBe(true);
      expect(await received(0)).toEqual([]);
    });

    const { held } = fixture;
    if (held) {
      it('a send held by a peer that does not answer rejects promptly with an abort error once aborted', async () => {
        const h = await held();
        open.push(h.sink);
        try {
          const abort = new AbortController();
          let settled = false;
          const sending = h.sink.send(h.batch, abort.signal).finally(() => (settled = true));
          sending.catch(() => undefined);
          await h.reached();
          await new Promise((resolve) => setTimeout(resolve, 50));
          expect(settled).toBe(false);
          const t0 = Date.now();
          abort.abort();
          // Bounded wait, so that a send that ignores its signal fails the test instead of hanging it.
          const outcome = await Promise.race([
            sending.then(
              () => 'resolved',
              (err: unknown) => err,
            ),
            sleep(5 * PROMPT_MS).then(() => 'still pending'),
          ]);
          expect(Date.now() - t0).toBeLessThan(PROMPT_MS);
          expect(isAbortError(outcome), String(outcome)).toBe(true);
        } finally {
          await h.release();
        }
      });
    }

    it('check() on a peer that is not there throws', async () => {
      const sink = await fixture.unreachable();
      open.push(sink);
      const err = await failure(sink.check(AbortSignal.timeout(30_000)));
      expect(err).toBeInstanceOf(DsError);
      // It failed on its own, not because the test's signal gave up.
      expect(isAbortError(err), String(err)).toBe(false);
    });
  });
}
