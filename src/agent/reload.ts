import type { Config } from '../config/schema.js';
import type { DockerClient } from '../docker/client.js';
import type { Logger } from '../log.js';
import type { Pipeline } from '../pipeline/pipeline.js';
import type { Source } from '../pipeline/types.js';
import type { PluginRegistry } from '../plugin.js';
import type { SinkParts } from './components.js';
import { createSources } from './components.js';
import { planReload } from './reload-plan.js';

/** What a reload works on: the running agent. */
export interface ReloadTarget {
  config: Config;
  readonly log: Logger;
  readonly pipeline: Pipeline;
  readonly plugins: PluginRegistry;
  readonly isStopping: boolean;
  createSink(name: string, sc: Config['sinks'][string]): SinkParts;
  /** A daemon's settings changed: a new client (returns the old one to close). */
  relinkDaemon(name: string): DockerClient | null;
  /** A daemon no source reads any more (returns its client to close). */
  unlinkDaemon(name: string): DockerClient | null;
  /** Stops a source and returns what it hands over to its replacement. */
  stopSource(name: string): Promise<unknown>;
  startSource(source: Source, handover?: unknown): void;
}

/**
 * SIGHUP: apply a validated config. A changed sink gets a new instance behind
 * the same buffer (queued records go to it); a changed source is replaced and
 * the replacement continues where the old one stopped (the events source
 * without a duplicate or a gap). Settings that need a restart are kept.
 */
export async function applyReload(agent: ReloadTarget, requested: Config): Promise<void> {
  if (agent.isStopping) return;
  const before = agent.config;
  const plan = planReload(before, requested);
  if (plan.needsRestart.length > 0) agent.log.warn({ settings: plan.needsRestart }, 'these settings change at the next restart; keeping the current values');
  const next: Config = { ...requested, state_dir: before.state_dir, telemetry: before.telemetry };
  agent.log.level = next.log_level;

  const handovers = new Map<string, unknown>();
  await Promise.all(
    [...plan.sources.restart, ...plan.sources.remove].map(async (name) => {
      handovers.set(name, await agent.stopSource(name));
    }),
  );
  for (const name of plan.sources.remove) agent.pipeline.forgetSource(name);
  agent.config = next;
  const oldClients = plan.daemons.changed.map((d) => agent.relinkDaemon(d));

  const deadline = AbortSignal.timeout(next.shutdown_timeout);
  await Promise.all(plan.sinks.remove.map((name) => agent.pipeline.removeSink(name, deadline)));
  for (const name of plan.sinks.add) {
    const { sink, defaults, config } = agent.createSink(name, next.sinks[name] as Config['sinks'][string]);
    await agent.pipeline.addSink(sink, config, defaults);
  }
  await Promise.all(
    plan.sinks.replace.map(async (name) => {
      const runner = agent.pipeline.runners.find((r) => r.name === name);
      const { sink, defaults, config } = agent.createSink(name, next.sinks[name] as Config['sinks'][string]);
      await runner?.replace(sink, config, defaults);
    }),
  );
  agent.pipeline.setRoutes(next);

  for (const source of createSources(next, agent.plugins, undefined, [...plan.sources.add, ...plan.sources.restart])) {
    agent.startSource(source, handovers.get(source.name));
  }
  // After the new sources linked their daemons: the agent always has one (sink gaps take their host from the first).
  oldClients.push(...plan.daemons.remove.map((d) => agent.unlinkDaemon(d)));
  await Promise.all(oldClients.flatMap((c) => (c ? [c.close()] : [])));
  agent.log.info({ sinks: plan.sinks, sources: plan.sources, daemons: plan.daemons }, 'configuration reloaded');
}
