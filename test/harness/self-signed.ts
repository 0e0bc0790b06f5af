// Self-signed certificates that double as their own CA, for TLS tests.
import { execFileSync } from 'node:child_process';
import { isIP } from 'node:net';
import { join } from 'node:path';

export interface SelfSignedOptions {
  /** Subject common name (default 127.0.0.1); an IP address is also put in subjectAltName. */
  cn?: string;
  /** Encrypts the key with this passphrase (default: an unencrypted key). */
  passphrase?: string;
  /** File names inside the folder (default cert.pem and key.pem). */
  certFile?: string;
  keyFile?: string;
}

/** Writes a certificate and its key into `dir` (openssl, EC P-256, valid 2 days); returns their paths. */
export function selfSignedCert(dir: string, opts: SelfSignedOptions = {}): { cert: string; key: string } {
  const { cn = '127.0.0.1', passphrase } = opts;
  const cert = join(dir, opts.certFile ?? 'cert.pem');
  const key = join(dir, opts.keyFile ?? 'key.pem');
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      ...(passphrase === undefined ? ['-nodes'] : ['-passout', `pass:${passphrase}`]),
      '-days',
      '2',
      '-subj',
      `/CN=${cn}`,
      ...(isIP(cn) ? ['-addext', `subjectAltName=IP:${cn}`] : []),
      '-keyout',
      key,
      '-out',
      cert,
    ],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
