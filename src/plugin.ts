/**
 * The plugin contract: what a source or sink type declares, and the registry
 * the agent is built from. The core (config, pipeline, agent, commands) knows
 * plugins only through this file; `src/builtin-plugins.ts` lists the ones this
 * build ships. How to write one: docs/design.md §7.
 */
import type { z } from 'zod';
import { DsError } from './errors.js';
import type { BatchDefaults, Sink, SinkContext, Source } from './pipeline/types.js';
import { RECORD_KINDS, type Engine, type RecordKind } from './records.js';

/** `dockstream once`: one round instead of running. */
export interface SourceOnceOptions {
  /** `once --since`: how far back a source with a history (events) looks, in ms. */
  readonly sinceMs?: number;
}

/** Options schemas are zod objects: the config adds `type` (and, for sinks, the common keys) to them. */
type OptionsSchema<O> = z.ZodObject & z.ZodType<O>;

export interface SourcePlugin<O = unknown> {
  readonly type: string;
  /** The name `dockstream once --source NAME` knows it by (`events` for `docker_events`). */
  readonly alias: string;
  readonly options: OptionsSchema<O>;
  create(name: string, options: O, once?: SourceOnceOptions): Source;
  /**
   * What `check` can tell before running: options the engine will refuse.
   * Throws a DsError `CONFIG_INVALID` naming the option (exit 78).
   */
  checkAgainst?(options: O, engine: Engine, sourceName: string): void;
}

export interface SinkPlugin<O = unknown> {
  readonly type: string;
  readonly options: OptionsSchema<O>;
  readonly batchDefaults: BatchDefaults;
  /** The record kinds this sink can deliver; a config asking for another is refused at load. */
  readonly accepts: readonly RecordKind[];
  create(name: string, options: O, ctx: SinkContext): Sink;
}

/** Declares a source type; the options' type follows from the schema. */
export function defineSource<S extends z.ZodObject>(plugin: SourcePlugin<z.output<S>> & { readonly options: S }): SourcePlugin<z.output<S>> {
  return Object.freeze(plugin);
}

/** Declares a sink type; `accepts` defaults to every record kind. */
export function defineSink<S extends z.ZodObject>(
  plugin: Omit<SinkPlugin<z.output<S>>, 'accepts'> & { readonly options: S; readonly accepts?: readonly RecordKind[] },
): SinkPlugin<z.output<S>> {
  return Object.freeze({ ...plugin, accepts: plugin.accepts ?? RECORD_KINDS });
}

/** The source and sink types a build knows; a type or alias given twice is a programming error. */
export class PluginRegistry {
  readonly sources: readonly SourcePlugin[];
  readonly sinks: readonly SinkPlugin[];

  constructor(plugins: { sources: readonly SourcePlugin[]; sinks: readonly SinkPlugin[] }) {
    rejectDuplicates(
      'source type',
      plugins.sources.map((p) => p.type),
    );
    rejectDuplicates(
      'source alias',
      plugins.sources.map((p) => p.alias),
    );
    rejectDuplicates(
      'sink type',
      plugins.sinks.map((p) => p.type),
    );
    this.sources = plugins.sources;
    this.sinks = plugins.sinks;
  }

  source(type: string): SourcePlugin {
    const plugin = this.sources.find((p) => p.type === type);
    if (!plugin) throw new DsError('CONFIG_INVALID', `unknown source type ${type}`, { details: { type } });
    return plugin;
  }

  sink(type: string): SinkPlugin {
    const plugin = this.sinks.find((p) => p.type === type);
    if (!plugin) throw new DsError('CONFIG_INVALID', `unknown sink type ${type}`, { details: { type } });
    return plugin;
  }

  /** `once --source NAME`: by alias. */
  sourceByAlias(alias: string): SourcePlugin | undefined {
    return this.sources.find((p) => p.alias === alias);
  }
}

function rejectDuplicates(what: string, names: readonly string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw new DsError('PLUGIN_INVALID', `${what} "${name}" is registered twice`, { details: { name } });
    seen.add(name);
  }
}
