import { z } from 'zod';
import { duration } from '../../config/types.js';
import type { SourceOnceOptions, SourcePlugin } from '../../pipeline/types.js';
import { DockerEventsSource } from './source.js';

/**
 * Filter keys the daemon understands for `/events`. The daemon silently ignores
 * unknown keys (and returns everything), so unknown keys are a config error here.
 */
export const EVENT_FILTER_KEYS = [
  'config',
  'container',
  'daemon',
  'event',
  'image',
  'label',
  'network',
  'node',
  'plugin',
  'scope',
  'secret',
  'service',
  'type',
  'volume',
] as const;

export const EVENT_TYPES = ['builder', 'config', 'container', 'daemon', 'image', 'network', 'node', 'plugin', 'secret', 'service', 'volume'] as const;

const stringList = z.union([z.string(), z.array(z.string()).min(1)]).transform((v) => (typeof v === 'string' ? [v] : v));

const filtersSchema = z
  .strictObject(
    Object.fromEntries(EVENT_FILTER_KEYS.map((k) => [k, stringList.optional()])) as Record<
      (typeof EVENT_FILTER_KEYS)[number],
      z.ZodOptional<typeof stringList>
    >,
  )
  .superRefine((f, ctx) => {
    f.type?.forEach((t, i) => {
      if (!(EVENT_TYPES as readonly string[]).includes(t)) {
        ctx.addIssue({ code: 'custom', path: ['type', i], message: `unknown event type "${t}" (one of ${EVENT_TYPES.join(', ')})` });
      }
    });
    f.scope?.forEach((s, i) => {
      if (s !== 'local' && s !== 'swarm') ctx.addIssue({ code: 'custom', path: ['scope', i], message: 'scope is "local" or "swarm"' });
    });
  });

export const dockerEventsOptions = z.strictObject({
  /** Daemon-side filters: same key ORs, different keys AND. */
  filters: filtersSchema.optional(),
  reconnect: z
    .strictObject({
      initial: duration().default(500),
      max: duration().default(30_000),
    })
    .prefault({}),
});

export type DockerEventsOptions = z.output<typeof dockerEventsOptions>;

export const dockerEventsPlugin: SourcePlugin<DockerEventsOptions> = {
  type: 'docker_events',
  options: dockerEventsOptions,
  create(name: string, options: DockerEventsOptions, once?: SourceOnceOptions) {
    return new DockerEventsSource(name, options, once);
  },
};
