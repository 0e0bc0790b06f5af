import { z } from 'zod';
import { httpAuthShape } from '../../options/http-auth.js';
import { tlsFilesSchema } from '../../options/tls.js';
import { duration } from '../../options/units.js';
import { labelOptions } from '../prometheus/series.js';

export const remoteWriteOptions = z.object({
  /** The receiver's write URL, e.g. http://prometheus:9090/api/v1/write. */
  endpoint: z.url({ protocol: /^https?$/ }),
  ...httpAuthShape,
  timeout: duration().default(30_000),
  tls: tlsFilesSchema.optional(),
  ...labelOptions,
});
export type RemoteWriteOptions = z.output<typeof remoteWriteOptions>;
