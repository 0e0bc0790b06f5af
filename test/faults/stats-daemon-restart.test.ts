// Fault: dockerd restarts while the stats source polls. The pooled keep-alive
// connections point at the dead daemon; polling must report the outage once,
// come back on fresh connections by itself, and say so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DsRecord, StatsRecord } from '../../src/records.js';
import { outSink, removeDir, startAgent, waitFor } from '../harness/agent.js';
import { BUSYBOX_IMAGE, startDockerd, type PrivateDockerd } from '../harness/dockerd.js';
import { ofKind } from '../harness/records.js';

const config = (host: string) => `
docker:
  host: ${host}
  timeout: 3s
state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
  stats:
    type: docker_stats
    interval: 1s
    timeout: 2s
    resync: 10m
sinks:
${outSink(['stats'], { fsync: 'never' })}
`;

const statsOf = (rs: readonly DsRecord[], id: string): StatsRecord[] => ofKind(rs, 'stats').filter((r) => r.container.id === id);

describe('fault: dockerd restarts under the stats source', () => {
  let d: PrivateDockerd;
  beforeAll(async () => {
    d = await startDockerd({ name: 'stats-restart' });
  });
  afterAll(async () => {
    await d?.stop();
  });

  it('warns once while the daemon is down, resumes on fresh connections, and says it recovered', async () => {
    // Restarted by the daemon itself when it comes back, with the same id.
    const id = await d.runContainer(['--restart', 'always', BUSYBOX_IMAGE, 'sleep', '3600']);
    const a = startAgent(config(d.host));
    try {
      await waitFor(() => statsOf(a.records(), id).length >= 3, 20_000, 'three samples before the restart');
      await d.stopDaemon();
      const downAt = Date.now();
      await new Promise((r) => setTimeout(r, 3000)); // three ticks against a dead socket
      await d.startDaemon();
      const upAt = Date.now();
      await waitFor(() => statsOf(a.records(), id).filter((r) => Date.parse(r.time) > upAt).length >= 3, 30_000, 'three samples after the restart');

      const samples = statsOf(a.records(), id);
      // Nothing was sampled while the daemon was down.
      expect(samples.filter((r) => Date.parse(r.time) > downAt + 500 && Date.parse(r.time) < upAt - 500)).toEqual([]);
      // The container's CPU counters restarted with it: a sample right after may have no CPU %, never a negative one.
      for (const r of samples) if (r.cpu.percent !== null) expect(r.cpu.percent).toBeGreaterThanOrEqual(0);
      expect(samples.filter((r) => Date.parse(r.time) > upAt).some((r) => r.cpu.percent !== null)).toBe(true);

      const fromStats = a.logs.filter((l) => l.source === 'stats');
      const warns = fromStats.filter((l) => l.level === 40);
      expect(warns).toHaveLength(1);
      expect(fromStats.filter((l) => l.level >= 50)).toEqual([]);
      expect(fromStats.filter((l) => l.msg === 'stats polling recovered')).toHaveLength(1);
      // Which call meets the dead daemon first depends on timing: the list, or a sample of the round in flight.
      expect(['cannot list containers for stats; retrying next interval', 'some stats requests failed']).toContain(warns[0]?.msg);
      expect(warns[0]?.time as number).toBeGreaterThanOrEqual(downAt - 1000);
    } finally {
      await a.stop();
      removeDir(a.dir);
      await d.docker(['rm', '-f', id]);
    }
  });
});
