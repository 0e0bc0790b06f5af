import { z } from 'zod';
import { tlsFilesSchema } from '../../config/tls.js';
import { duration } from '../../config/types.js';
import type { SinkPlugin } from '../../pipeline/types.js';
import { labelOptions } from '../prometheus/series.js';
import { lazySink } from '../../pipeline/lazy-sink.js';

const options = z.object({
  /** The receiver's write URL, e.g. http://prometheus:9090/api/v1/write. */
  endpoint: z.url({ protocol: /^https?$/ }),
  /** Extra HTTP headers (e.g. `X-Scope-OrgID` for Mimir); values may use ${VAR}. */
  headers: z.record(z.string(), z.string()).optional(),
  basic_auth: z.strictObject({ username: z.string(), password: z.string() }).optional(),
  /** Sent as `Authorization: Bearer <token>`. */
  bearer_token: z.string().min(1).optional(),
  timeout: duration().default(30_000),
  tls: tlsFilesSchema.optional(),
  ...labelOptions,
});
export type RemoteWriteOptions = z.output<typeof options>;

export const remoteWriteSinkPlugin: SinkPlugin<RemoteWriteOptions> = {
  type: 'prometheus_remote_write',
  options,
  // About Prometheus's own max_samples_per_send (2000): a stats record is ~32 samples.
  batchDefaults: { maxRecords: 64, lingerMs: 1000 },
  // protobufjs and snappyjs load only when a remote-write sink is configured.
  create: (name, opts, ctx) => lazySink(name, 'prometheus_remote_write', async () => new (await import('./sink.js')).RemoteWriteSink(name, opts, ctx)),
};
