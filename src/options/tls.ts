import { readFileSync } from 'node:fs';
import type { ConnectionOptions } from 'node:tls';
import { z } from 'zod';
import { DsError } from '../errors.js';

/** The keys of every client TLS block (Docker daemon, Kafka, remote write, OTLP): PEM file paths, read when the client is made. */
export const tlsShape = {
  /** CA to trust. */
  ca: z.string().optional(),
  /** Client certificate and key (mTLS). */
  cert: z.string().optional(),
  key: z.string().optional(),
  /** Passphrase of an encrypted `key` (use `${VAR}`; redacted from logs). */
  key_passphrase: z.string().optional(),
  /** Verify the server's certificate (turn off only for tests). */
  verify: z.boolean().default(true),
};

/** Refinement of every TLS block: a client certificate needs its key. */
export const certWithKey = [
  (t: { readonly cert?: string | undefined; readonly key?: string | undefined }) => (t.cert === undefined) === (t.key === undefined),
  { message: 'cert and key go together' },
] as const;

/** A client TLS block; a client that adds keys (OTLP: `insecure`) spreads `tlsShape` and refines with `certWithKey`. */
export const tlsFilesSchema = z.strictObject(tlsShape).refine(...certWithKey);
export type TlsFiles = z.output<typeof tlsFilesSchema>;

function readOption(component: string, option: string, path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (cause) {
    throw new DsError('CONFIG_INVALID', `${component}: cannot read TLS file ${path} (${option})`, { cause, details: { option, path } });
  }
}

/** The PEM files of a TLS block, read; throws CONFIG_INVALID naming the option whose file cannot be read. */
export function readTlsFiles(tls: Pick<TlsFiles, 'ca' | 'cert' | 'key'>, component: string): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  return {
    ...(tls.ca === undefined ? {} : { ca: readOption(component, 'tls.ca', tls.ca) }),
    ...(tls.cert === undefined ? {} : { cert: readOption(component, 'tls.cert', tls.cert) }),
    ...(tls.key === undefined ? {} : { key: readOption(component, 'tls.key', tls.key) }),
  };
}

/** node:tls options of a TLS block; throws CONFIG_INVALID naming the option whose file cannot be read. */
export function tlsConnectionOptions(tls: TlsFiles | undefined, component: string): ConnectionOptions | undefined {
  if (tls === undefined) return undefined;
  const files = readTlsFiles(tls, component);
  return {
    rejectUnauthorized: tls.verify,
    ...(files.ca === undefined ? {} : { ca: [files.ca] }),
    ...(files.cert === undefined ? {} : { cert: files.cert }),
    ...(files.key === undefined ? {} : { key: files.key }),
    ...(tls.key_passphrase === undefined ? {} : { passphrase: tls.key_passphrase }),
  };
}
