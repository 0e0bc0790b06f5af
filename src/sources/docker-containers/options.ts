import { z } from 'zod';
import { duration } from '../../options/units.js';

export const dockerContainersOptions = z.strictObject({
  /**
   * How often every container is listed again: what events did not tell
   * (a missed event, a failing streak that grows without a status change,
   * no events source on this daemon) is caught up then.
   */
  resync: duration()
    .refine((ms) => ms >= 1000, 'resync must be at least 1s')
    .default(30_000),
  /** Inspect requests in flight at once: churn never becomes a burst on the daemon. */
  concurrency: z.number().int().min(1).max(64).default(4),
  /** Label keys copied into `container.labels` of every record. */
  labels: z.array(z.string().min(1)).default([]),
});

export type DockerContainersOptions = z.output<typeof dockerContainersOptions>;
