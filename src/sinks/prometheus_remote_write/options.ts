import { z } from 'zod';
import { tlsFilesSchema } from '../../config/tls.js';
import { duration } from '../../util/option-types.js';
import { labelOptions } from '../prometheus/series.js';

export const remoteWriteOptions = z.object({
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
export type RemoteWriteOptions = z.output<typeof remoteWriteOptions>;
