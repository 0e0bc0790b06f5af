import { z } from 'zod';
import { duration } from '../../options/units.js';
import { labelOptions } from '../prometheus/series.js';

export const prometheusExporterOptions = z.object({
  /** host:port of the scrape endpoint (port 0: any free port). */
  listen: z.string().default('127.0.0.1:9324'),
  path: z.string().startsWith('/').default('/metrics'),
  /** Bound on stored series; a new series beyond it is dropped and counted. */
  max_series: z.number().int().positive().default(100_000),
  /** A series not updated for this long disappears (a container whose events were missed); keep it above the df interval. */
  expire_after: duration().default(3_600_000),
  ...labelOptions,
});
export type PrometheusExporterOptions = z.output<typeof prometheusExporterOptions>;
