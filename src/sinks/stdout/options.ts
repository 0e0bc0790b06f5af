import { z } from 'zod';

export const stdoutSinkOptions = z.object({
  /** Indented JSON for humans instead of NDJSON (not for machines: a record spans lines). */
  pretty: z.boolean().default(false),
});
export type StdoutSinkOptions = z.output<typeof stdoutSinkOptions>;
