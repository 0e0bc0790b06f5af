import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { DsError } from '../errors.js';

/** A client TLS block of a sink (Kafka, remote write): PEM file paths, read when the sink is created. */
export const tlsFilesSchema = z
  .strictObject({
    /** CA to trust. */
    ca: z.string().optional(),
    /** Client certificate and key (mTLS). */
    cert: z.string().optional(),
    key: z.string().optional(),
    /** Passphrase of an encrypted `key` (use `${VAR}`; redacted from logs). */
    key_passphrase: z.string().optional(),
    /** Verify the server's certificate (turn off only for tests). */
    verify: z.boolean().default(true),
  })
  .refine((t) => (t.cert === undefined) === (t.key === undefined), { message: 'cert and key go together' });
export type TlsFiles = z.output<typeof tlsFilesSchema>;

function readOption(component: string, option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new DsError('CONFIG_INVALID', `cannot read a ${component} TLS file`, { cause, details: { option, path } });
  }
}

/** node:tls options of a TLS block; throws CONFIG_INVALID naming the option whose file cannot be read. */
export function tlsConnectionOptions(tls: TlsFiles | undefined, component: string): ConnectionOptions | undefined {
  if (tls === undefined) return undefined;
  return {
    rejectUnauthorized: tls.verify,
    ...(tls.ca === undefined ? {} : { ca: [readOption(component, 'tls.ca', tls.ca)] }),
    ...(tls.cert === undefined ? {} : { cert: readOption(component, 'tls.cert', tls.cert) }),
    ...(tls.key === undefined ? {} : { key: readOption(component, 'tls.key', tls.key) }),
    ...(tls.key_passphrase === undefined ? {} : { passphrase: tls.key_passphrase }),
  };
}
