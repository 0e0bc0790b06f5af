// SIGHUP reloads that change the daemons the agent reads while one of them
// has not answered yet: the reload does not wait for it, the sources go on
// with the new settings, and the old address is let go of (no more attempts
// to reach it). A daemon no source reads any more is let go of even when it
// was the only one before.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_PLUGINS } from '../../src/builtin-plugins.js';
import { parseConfig } from '../../src/config/load.js';
import { outSink, removeDir, startAgent, waitFor, type LogEntry, type RunningAgent } from '../harness/agent.js';

const RETRYING = 'docker daemon unreachable; retrying';

/** Sources `events` (on `local`) and, when `bSource`, `events_b` (on daemons.b); `local` at `localHost`, b at `bHost`. */
const config = (localHost: string, opts: { bHost?: string; localSource?: boolean; bSource?: boolean }) => {
  const sources = [...(opts.localSource === false ? [] : ['events']), ...(opts.bSource ? ['events_b'] : [])];
  return `
docker: { host: "${localHost}", timeout: 2s }
${opts.bHost === undefined ? '' : `daemons:\n  b: { host: "${opts.bHost}", timeout: 2s }\n`}state_dir: \${DIR}/state
shutdown_timeout: 5s
sources:
${opts.localSource === false ? '' : '  events: { type: docker_events, filters: { type: [volume] } }\n'}${opts.bSource ? '  events_b: { type: docker_events, daemon: b, filters: { type: [volume] } }\n' : ''}sinks:
${outSink(sources)}
telemetry:
  listen: 127.0.0.1:0
`;
};

/**
 * Long enough for a few more attempts of a wait that went on: the reload comes
 * within a second of the first failed one, and the backoff starts at 0.5–1 s.
 */
const settle = () => new Promise((r) => setTimeout(r, 5000));

/** Retry warnings about the daemon at `display` logged after entry `from`. */
const retriesOf = (logs: readonly LogEntry[], display: string, from = 0) => logs.slice(from).filter((l) => l.msg === RETRYING && l.host === display);

describe('reloads that change the daemons read', () => {
  const host = inject('dockerHost');
  let scratch: string;
  let absent: string;
  beforeAll(() => {
    scratch = mkdtempSync(join(tmpdir(), 'ds-relink-'));
    absent = `unix://${join(scratch, 'absent.sock')}`; // nothing ever listens here
  });
  afterAll(() => removeDir(scratch));

  /** Applies `yaml` to the running agent as SIGHUP does; resolves once it was applied. */
  const reload = async (agent: RunningAgent, yaml: string): Promise<number> => {
    const from = agent.logs.length;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('the reload did not finish within 15 s')), 15_000);
    });
    await Promise.race([agent.agent.reload(parseConfig(yaml, 'test.yaml', BUILTIN_PLUGINS, { DIR: agent.dir })), late]).finally(() => clearTimeout(timer));
    expect(agent.logs.slice(from).some((l) => l.msg === 'configuration reloaded')).toBe(true);
    return from;
  };

  it('applies a changed docker.host while the old address never answered', async () => {
    const agent = startAgent(config(absent, {}));
    try {
      await waitFor(() => retriesOf(agent.logs, absent).length > 0, 20_000, 'retries against the absent socket');
      const from = await reload(agent, config(host, {}));
      await waitFor(() => agent.logs.slice(from).some((l) => l.msg === 'docker events stream open'), 20_000, 'events from the new address');
      await settle();
      expect(retriesOf(agent.logs, absent, from)).toEqual([]);
    } finally {
      await agent.stop();
      removeDir(agent.dir);
    }
  }, 60_000);

  it('drops a daemon that never answered once no source reads it', async () => {
    const agent = startAgent(config(host, { bHost: absent, bSource: true }));
    try {
      await waitFor(() => retriesOf(agent.logs, absent).length > 0, 20_000, "retries against b's absent socket");
      const from = await reload(agent, config(host, { bHost: absent }));
      expect([...agent.agent.daemons.keys()]).toEqual(['local']);
      await settle();
      expect(retriesOf(agent.logs, absent, from)).toEqual([]);
    } finally {
      await agent.stop();
      removeDir(agent.dir);
    }
  }, 60_000);

  it('lets go of the local daemon once every source moved to another', async () => {
    const agent = startAgent(config(host, {}));
    try {
      const t = await waitFor(() => agent.agent.telemetry, 20_000, 'telemetry endpoint');
      await waitFor(() => agent.logs.some((l) => l.msg === 'docker events stream open'), 20_000, 'events from local');
      const from = await reload(agent, config(host, { bHost: host, localSource: false, bSource: true }));
      await waitFor(() => agent.logs.slice(from).some((l) => l.msg === 'docker events stream open'), 20_000, 'events from b');
      expect([...agent.agent.daemons.keys()]).toEqual(['b']);
      expect([...t.probe.states.keys()]).toEqual(['b']);
      expect(agent.agent.hostInfo.daemon).toBe('b');
    } finally {
      await agent.stop();
      removeDir(agent.dir);
    }
  }, 60_000);
});
