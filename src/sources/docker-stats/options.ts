import { z } from 'zod';
import { duration } from '../../options/units.js';

const patterns = z.array(z.string().min(1)).min(1);

const selectorSchema = z.strictObject({
  /** Globs on the container name (without the leading `/`). */
  names: patterns.optional(),
  /** Globs on the image the container was created from; `nginx*` also matches `docker.io/library/nginx:1`. */
  images: patterns.optional(),
  /** `key` (label present) or `key=value` (label equals value). */
  labels: z
    .array(z.string().regex(/^[^=]+(=.*)?$/, 'expected "key" or "key=value"'))
    .min(1)
    .optional(),
});

export const dockerStatsOptions = z.strictObject({
  /** One round (one sample of every selected running container) per interval. */
  interval: duration()
    .refine((ms) => ms >= 1000, 'interval must be at least 1s (the daemon samples once a second)')
    .default(10_000),
  /**
   * Stats requests in flight at once. Docker < 25 answers a one-shot call at
   * its next 1 s collection tick, so a round takes about ceil(N / concurrency)
   * ticks: keep it above the number of containers (measured with 100: 128 →
   * 1.5 s, 32 → 4.5 s). Podman and Docker >= 25 answer at once.
   */
  concurrency: z.number().int().min(1).max(1024).default(128),
  /** Per-container request timeout; a container that does not answer in time is skipped this round. */
  timeout: duration()
    .refine((ms) => ms >= 1000, 'timeout must be at least 1s')
    .default(5_000),
  /** How often the container list is taken again in full (events keep it current in between). */
  resync: duration()
    .refine((ms) => ms >= 1000, 'resync must be at least 1s')
    .default(60_000),
  include: selectorSchema.optional(),
  exclude: selectorSchema.optional(),
  /** Label keys copied into `container.labels` of every record. */
  labels: z.array(z.string().min(1)).default([]),
});

export type DockerStatsOptions = z.output<typeof dockerStatsOptions>;
