// The stats source inside a whole agent, beside the real events source: the
// container set follows the daemon's own lifecycle events through the pipeline.
import { randomBytes } from 'node:crypto';
import { describe, expect, inject, it } from 'vitest';
import type { DsRecord, StatsRecord } from '../../../src/records.js';
import { removeDir, startAgent, waitFor } from '../../harness/agent.js';
import { BUSYBOX_IMAGE, dockerCli } from '../../harness/dockerd.js';
import { ofKind } from '../../harness/records.js';

const config = (host: string, tag: string) => `
docker:
  host: ${host}
state_dir: \${DIR}/state
shutdown_timeout: 5s
telemetry: { listen: false }
sources:
  events:
    type: docker_events
  stats:
    type: docker_stats
    interval: 1s
    resync: 10m
    include: { labels: ["suite=${tag}"] }
sinks:
  out:
    type: file
    inputs: [events, stats]
    kinds: [stats]
    path: \${DIR}/out/records.ndjson
    fsync: never
    batch: { linger: 20ms }
`;

const stats = (rs: readonly DsRecord[], id: string): StatsRecord[] => ofKind(rs, 'stats').filter((r) => r.container.id === id);

describe('docker_stats in an agent with docker_events', () => {
  const host = inject('dockerHost');
  const cli = dockerCli(host);

  it('a container started later is sampled from the next round on; once removed it is gone, with no warning', async () => {
    const tag = `stats-agent-${randomBytes(4).toString('hex')}`;
    const created: string[] = [];
    const run = async (name: string) => {
      const id = await cli.runContainer(['--name', `${tag}-${name}`, '--label', `suite=${tag}`, BUSYBOX_IMAGE, 'sleep', '3600']);
      created.push(id);
      return id;
    };
    const a = startAgent(config(host, tag));
    try {
      const anchor = await run('anchor');
      await waitFor(() => stats(a.records(), anchor).length >= 2, 20_000, 'anchor sampled twice');

      const late = await run('late');
      const startedAt = Date.parse(await cli.dockerOk(['inspect', '-f', '{{.State.StartedAt}}', late]));
      await waitFor(() => stats(a.records(), late).length >= 1, 10_000, 'late container sampled');
      const first = Date.parse((stats(a.records(), late)[0] as StatsRecord).time);
      // Rounds are visible as the anchor's samples. The round running when the start event came
      // may miss the new container; the next one (one interval later) must have it.
      const roundsBetween = stats(a.records(), anchor).filter((r) => Date.parse(r.time) > startedAt && Date.parse(r.time) < first).length;
      expect(roundsBetween).toBeLessThanOrEqual(1);

      await cli.dockerOk(['rm', '-f', late]);
      const removedAt = Date.now();
      await waitFor(() => stats(a.records(), anchor).filter((r) => Date.parse(r.time) > removedAt).length >= 3, 15_000, 'three rounds after removal');
      expect(stats(a.records(), late).filter((r) => Date.parse(r.time) > removedAt)).toEqual([]);
      const fromStats = a.logs.filter((l) => l.component === 'source:stats');
      expect(fromStats.filter((l) => l.level >= 40)).toEqual([]);
    } finally {
      await a.stop();
      removeDir(a.dir);
      if (created.length > 0) await cli.docker(['rm', '-f', ...created]);
    }
  });
});
