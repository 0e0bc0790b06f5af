// Fault case 6: the state directory is unwritable (a clear error at start),
// or the disk fills up at run time (a gap and counted drops, the cursor kept,
// no crash).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadCursor } from '../../src/sources/docker-events/cursor.js';
import type { GapRecord } from '../../src/records.js';
import { removeDir, startAgent, waitFor } from '../harness/agent.js';
import { spawnAgent } from '../harness/agent-process.js';
import { dockerCli } from '../harness/dockerd.js';
import { OtlpReceiver } from '../harness/otlp-receiver.js';
import { startChurn } from './churn.js';

describe('fault: state directory', () => {
  const host = inject('dockerHost');

  it('refuses to start with a clear one-line error when the state dir cannot be written', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ds-state-'));
    try {
      writeFileSync(join(dir, 'a-file'), 'x');
      // Tests run as root, so permissions would not stop us: a path under a regular file does.
      const a = spawnAgent(
        dir,
        `
docker: { host: "${host}" }
state_dir: \${DIR}/a-file/state
sources: { events: { type: docker_events } }
sinks: { out: { type: stdout, inputs: [events] } }
telemetry: { listen: false }
`,
      );
      expect(await a.exited).toBe(73);
      const lines = a
        .stderr()
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('{'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^dockstream: state directory ${dir}/a-file/state is not writable \\(ENOTDIR\\); set state_dir to a writable directory`),
      );
      expect(lines[0]).toMatch(/ \[STATE_DIR\]$/); // the error's stable code ends the line
      expect(a.stderr()).not.toMatch(/\n\s+at /); // no stack trace
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describe('disk full at run time (a 1 MiB tmpfs)', () => {
    let mountPoint: string;
    let receiver: OtlpReceiver;
    beforeAll(async () => {
      mountPoint = mkdtempSync(join(tmpdir(), 'ds-tmpfs-'));
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', mountPoint]);
      receiver = await OtlpReceiver.start();
    });
    afterAll(async () => {
      await receiver?.close();
      if (mountPoint) {
        execFileSync('umount', [mountPoint]);
        rmSync(mountPoint, { recursive: true, force: true });
      }
    });

    it('drops and counts what does not fit, announces a gap, keeps the cursor, and recovers', async () => {
      mkdirSync(join(mountPoint, 'state'));
      receiver.failFor(600_000, 503);
      const a = startAgent(`
docker: { host: "${host}" }
state_dir: ${mountPoint}/state
sources:
  events:
    type: docker_events
    filters: { type: [volume] }
    cursor_interval: 100ms
sinks:
  otel:
    type: otlp
    inputs: [events]
    endpoint: ${receiver.httpUrl}
    buffer: { type: disk, max_size: 64MiB }
    retry: { initial: 100ms, max: 500ms }
    batch: { linger: 10ms }
telemetry: { listen: false }
`);
      try {
        await waitFor(() => a.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'stream open');
        // Fill the tmpfs behind the agent's back, leaving a little room.
        writeFileSync(join(mountPoint, 'filler'), Buffer.alloc(1024 * 1024 - 64 * 1024));
        const churn = startChurn(dockerCli(host), 'full-', { maxSteps: 150 });
        await waitFor(async () => ((await a.agent.metrics.dropped.get()).values[0]?.value ?? 0) > 0, 60_000, 'drops counted');
        await churn.done;
        const dropped = (await a.agent.metrics.dropped.get()).values;
        expect(dropped[0]?.labels).toEqual({ component: 'sink:otel', kind: 'event', reason: 'spool_full' });
        const lost = a.logs.find((l) => l.msg === 'spool write failed; records dropped');
        expect(lost).toMatchObject({ sink: 'otel', err: { type: 'DsError', code: 'STATE_WRITE', details: { errno: 'ENOSPC' } } });
        expect((lost?.['err'] as { message: string }).message).toMatch(/^cannot append to the spool in .*: ENOSPC/);
        // the cursor file is intact (atomic writes never leave half a file)
        const cursorPath = join(mountPoint, 'state', 'cursor', 'events.json');
        expect(loadCursor(cursorPath)?.time_nano).toMatch(/^\d{19}$/);

        // Space comes back and the receiver recovers: the gap record is delivered.
        rmSync(join(mountPoint, 'filler'));
        receiver.reset();
        await startChurn(dockerCli(host), 'after-full-', { maxSteps: 3 }).done;
        const gap = await waitFor(() => receiver.logs().find((l) => l.attributes['event.name'] === 'dockstream.gap'), 30_000, 'gap delivered');
        const body = gap.body as Partial<GapRecord> | string;
        const parsed = (typeof body === 'string' ? JSON.parse(body) : body) as Partial<GapRecord>;
        // Counted now, not when the churn ended: records still on their way to the full spool were dropped after it.
        const total = (await a.agent.metrics.dropped.get()).values.reduce((n, v) => n + v.value, 0);
        expect(parsed).toMatchObject({ kind: 'gap', reason: 'spool_full', component: 'sink:otel' });
        // (the receiver decodes int64 as strings)
        expect(Number(parsed.dropped)).toBeGreaterThan(0);
        expect(Number(parsed.dropped)).toBeLessThanOrEqual(total);
        // The events after the outage arrive too (maybe in a later batch than the gap).
        await waitFor(() => receiver.logs().some((l) => l.attributes['docker.event.actor.id'] === 'after-full-2'), 30_000, 'after-full-2 delivered');
      } finally {
        await a.stop();
        removeDir(a.dir);
      }
    }, 120_000);
  });
});
