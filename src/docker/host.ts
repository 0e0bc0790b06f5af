import { homedir } from 'node:os';
import { join } from 'node:path';
import { DsError } from '../errors.js';
import { readTlsFiles } from '../options/tls.js';
import { discoverDaemon } from './discovery.js';

export type ConnectionSpec =
  | { readonly kind: 'unix'; readonly socketPath: string; readonly display: string; readonly source: string }
  | {
      readonly kind: 'tcp';
      readonly origin: string;
      readonly display: string;
      /** Where the address came from (`-H`, `DOCKER_HOST`, a context, a well-known socket). */
      readonly source: string;
      readonly tls: { readonly ca?: Buffer; readonly cert?: Buffer; readonly key?: Buffer; readonly passphrase?: string; readonly verify: boolean } | null;
    };

type TlsFiles = NonNullable<Extract<ConnectionSpec, { kind: 'tcp' }>['tls']>;

/** `tls.connect` options for a TLS daemon connection (the http1 pool and streams). */
export function tlsConnectOptions(tls: TlsFiles): { ca?: Buffer; cert?: Buffer; key?: Buffer; passphrase?: string; rejectUnauthorized: boolean } {
  return {
    ...(tls.ca ? { ca: tls.ca } : {}),
    ...(tls.cert ? { cert: tls.cert } : {}),
    ...(tls.key ? { key: tls.key } : {}),
    ...(tls.passphrase === undefined ? {} : { passphrase: tls.passphrase }),
    rejectUnauthorized: tls.verify,
  };
}

/** TCP keepalive probes start after this idle time: a silent events stream is normal, a dead peer is not. */
export const TCP_KEEPALIVE_DELAY_MS = 30_000;

export interface HostSettings {
  /** `-H` on the command line: wins over everything. */
  readonly cliHost?: string | undefined;
  /** `docker.host` in the config: wins over DOCKER_HOST and contexts. */
  readonly host?: string | undefined;
  readonly tls?:
    | {
        readonly verify: boolean;
        readonly ca?: string | undefined;
        readonly cert?: string | undefined;
        readonly key?: string | undefined;
        readonly key_passphrase?: string | undefined;
      }
    | undefined;
}

/** Schemes the docker CLI accepts that an agent on a Linux host cannot use, with what to do instead. */
const REFUSED_SCHEMES: Readonly<Record<string, string>> = {
  ssh: 'ssh:// daemons are not supported: forward the remote socket (ssh -nNT -L /tmp/docker.sock:/var/run/docker.sock user@host) and use unix:///tmp/docker.sock, or expose the daemon with TLS and use tcp://host:2376',
  npipe: 'npipe:// (Windows named pipe) is not supported: dockstream runs on Linux; use unix:///var/run/docker.sock or tcp://host:2376',
  fd: 'fd:// is a dockerd listen address, not a client one: use unix:///var/run/docker.sock',
};

/** Resolve the daemon address the way the docker CLI does (see discoverDaemon; DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). */
export function resolveConnection(settings: HostSettings, env: NodeJS.ProcessEnv = process.env): ConnectionSpec {
  const address = discoverDaemon(settings, env);
  const raw = address.host;
  const origin = address.origin;
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(raw)?.[1]?.toLowerCase();
  const refused = scheme === undefined ? undefined : REFUSED_SCHEMES[scheme];
  if (refused !== undefined) throw new DsError('DOCKER_BAD_HOST', `${refused} (from ${origin})`, { details: { host: raw, origin } });
  // Like the CLI: any non-empty DOCKER_TLS_VERIFY enables TLS, even "0". A context brings its own TLS instead.
  const fromContext = address.contextTls !== undefined;
  const envTls = !fromContext && env['DOCKER_TLS_VERIFY'] !== undefined && env['DOCKER_TLS_VERIFY'] !== '';
  const certPath = env['DOCKER_CERT_PATH'] || join(env['HOME'] || homedir(), '.docker');

  if (raw.startsWith('unix://')) {
    const socketPath = raw.slice('unix://'.length);
    if (!socketPath) throw new DsError('DOCKER_BAD_HOST', `invalid docker host: ${raw} (from ${origin})`, { details: { host: raw, origin } });
    return { kind: 'unix', socketPath, display: raw, source: origin };
  }
  if (raw.startsWith('/')) return { kind: 'unix', socketPath: raw, display: `unix://${raw}`, source: origin };

  const m = /^(tcp|http|https):\/\/(\[[^\]]+\]|[^:/]+)?(?::(\d+))?\/?$/.exec(raw);
  if (!m) {
    throw new DsError('DOCKER_BAD_HOST', `invalid docker host: ${raw} (from ${origin}; expected unix:///path or tcp://host:port)`, {
      details: { host: raw, origin },
    });
  }
  const contextTls = settings.tls === undefined ? (address.contextTls ?? null) : null;
  const useTls = settings.tls !== undefined || contextTls !== null || envTls || m[1] === 'https';
  const hostname = m[2] ?? '127.0.0.1';
  const port = m[3] ?? (useTls ? '2376' : '2375');
  let tls: Extract<ConnectionSpec, { kind: 'tcp' }>['tls'] = null;
  if (useTls) {
    const files = settings.tls ??
      contextTls ?? {
        verify: true,
        ca: join(certPath, 'ca.pem'),
        cert: join(certPath, 'cert.pem'),
        key: join(certPath, 'key.pem'),
      };
    const passphrase = settings.tls?.key_passphrase;
    tls = { verify: files.verify, ...readTlsFiles(files, 'docker'), ...(passphrase === undefined ? {} : { passphrase }) };
  }
  const url = `${useTls ? 'https' : 'http'}://${hostname}:${port}`;
  return { kind: 'tcp', origin: url, display: `tcp://${hostname}:${port}`, source: origin, tls };
}
