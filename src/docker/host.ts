import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DsError } from '../errors.js';

export type ConnectionSpec =
  | { readonly kind: 'unix'; readonly socketPath: string; readonly display: string }
  | {
      readonly kind: 'tcp';
      readonly origin: string;
      readonly display: string;
      readonly tls: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer; readonly verify: boolean } | null;
    };

type TlsFiles = NonNullable<Extract<ConnectionSpec, { kind: 'tcp' }>['tls']>;

/** `tls.connect` options for a TLS daemon connection (the http1 pool and streams). */
export function tlsConnectOptions(tls: TlsFiles): { ca?: Buffer; cert?: Buffer; key?: Buffer; rejectUnauthorized: boolean } {
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    rejectUnauthorized: tls.verify,
  };
}

/** TCP keepalive probes start after this idle time: a silent events stream is normal, a dead peer is not. */
export const TCP_KEEPALIVE_DELAY_MS = 30_000;

export interface HostSettings {
  /** `-H` on the command line wins over config, config over DOCKER_HOST. */
  readonly host?: string | undefined;
  readonly tls?: { readonly verify: boolean; readonly ca?: string | undefined; readonly cert?: string | undefined; readonly key?: string | undefined } | undefined;
}

export const DEFAULT_DOCKER_HOST = 'unix:///var/run/docker.sock';

/** Resolve the daemon address the way the docker CLI does (DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
export function resolveConnection(settings: HostSettings, env: NodeJS.ProcessEnv = process.env): ConnectionSpec {
  const raw = settings.host ?? (env['DOCKER_HOST'] || DEFAULT_DOCKER_HOST);
  // Like the CLI: any non-empty DOCKER_TLS_VERIFY enables TLS, even "0".
  const envTls = env['DOCKER_TLS_VERIFY'] !== undefined && env['DOCKER_TLS_VERIFY'] !== '';
  const certPath = env['DOCKER_CERT_PATH'] || join(homedir(), '.docker');

  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (!socketPath) throw new DsError('DOCKER_BAD_HOST', `invalid docker host: ${raw}`, { details: { host: raw } });
    return { kind: 'unix', socketPath, display: raw };
  }
  if (raw.startsWith('/')) return { kind: 'unix', socketPath: raw, display: `unix://${raw}` };

  const m = /^(tcp|http|https):\/\/(\[[^\]]+\]|[^:/]+)?(?::(\d+))?\/?$/.exec(raw);
  if (!m) {
    throw new DsError('DOCKER_BAD_HOST', `invalid docker host: ${raw} (expected unix:///path or tcp://host:port)`, { details: { host: raw } });
  }
  const useTls = settings.tls !== undefined || envTls || m[1] === 'https';
  const hostname = m[2] ?? '127.0.0.1';
  const port = m[3] ?? (useTls ? '2376' : '2375');
  let tls: Extract<ConnectionSpec, { kind: 'tcp' }>['tls'] = null;
  if (useTls) {
    const files = settings.tls ?? {
      verify: true,
      ca: join(certPath, 'ca.pem'),
      cert: join(certPath, 'cert.pem'),
      key: join(certPath, 'key.pem'),
    };
    tls = {
      verify: files.verify,
      ...(files.ca ? { ca: readPem(files.ca) } : {}),
      ...(files.cert ? { cert: readPem(files.cert) } : {}),
      ...(files.key ? { key: readPem(files.key) } : {}),
    };
  }
  const origin = `${useTls ? 'https' : 'http'}://${hostname}:${port}`;
  return { kind: 'tcp', origin, display: `tcp://${hostname}:${port}`, tls };
}

function readPem(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw new DsError('DOCKER_BAD_HOST', `cannot read TLS file ${path}`, { cause: err, details: { path } });
  }
}
