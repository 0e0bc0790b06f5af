import { z } from 'zod';
import { backoff, duration } from '../../options/units.js';
import { parseDuration } from '../../util/units.js';

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
  /**
   * Where to start when the agent starts: `cursor` (default) resumes after the
   * last event every sink acknowledged, or starts now when there is none;
   * `now` ignores the cursor; `-10m` resumes from the cursor, or starts 10
   * minutes back when there is none.
   */
  start_from: z
    .string()
    .default('cursor')
    .transform((v, ctx) => {
      if (v === 'cursor' || v === 'now') return { mode: v } as const;
      const ms = v.startsWith('-') ? parseDuration(v.slice(1)) : null;
      if (ms === null) {
        ctx.addIssue({ code: 'custom', message: 'start_from is "cursor", "now" or a negative duration like "-10m"' });
        return z.NEVER;
      }
      return { mode: 'back' as const, ms };
    }),
  /** How often the events cursor may be written (also at shutdown). */
  cursor_interval: duration().default(1000),
  reconnect: backoff(),
});

export type DockerEventsOptions = z.output<typeof dockerEventsOptions>;
