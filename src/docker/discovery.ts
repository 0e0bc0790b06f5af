import { statSync } from 'node:fs';
import { join } from 'node:path';
import { currentContextName, dockerConfigDir, readContext, type DockerContext } from './context.js';

/** Where the daemon address came from, for `check` and the start log. */
export interface DaemonAddress {
  readonly host: string;
  readonly origin: string;
  /** TLS files of a docker context (a context's TLS replaces DOCKER_TLS_VERIFY / DOCKER_CERT_PATH). */
  readonly contextTls?: DockerContext['tls'];
}

export interface AddressSettings {
  /** `-H` on the command line. */
  readonly cliHost?: string | undefined;
  /** `docker.host` in the config. */
  readonly host?: string | undefined;
}

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

function isSocket(path: string): boolean {
  try {
    return statSync(path).isSocket();
  } catch {
    return false;
  }
}

/** The local sockets tried in order when nothing names a daemon: rootful docker, rootless docker, Podman. */
export function wellKnownSockets(env: NodeJS.ProcessEnv): ReadonlyArray<{ readonly path: string; readonly origin: string }> {
  const runtime = env['XDG_RUNTIME_DIR'];
  return [
    { path: DEFAULT_DOCKER_SOCKET, origin: 'default socket' },
    ...(runtime ? [{ path: join(runtime, 'docker.sock'), origin: 'rootless docker socket ($XDG_RUNTIME_DIR)' }] : []),
    ...(runtime ? [{ path: join(runtime, 'podman', 'podman.sock'), origin: 'rootless podman socket ($XDG_RUNTIME_DIR)' }] : []),
    { path: '/run/podman/podman.sock', origin: 'podman socket' },
  ];
}

/**
 * The daemon address the way the docker CLI finds it: `-H` > config
 * `docker.host` > DOCKER_HOST > DOCKER_CONTEXT > the current context in the
 * CLI's config.json > the first local socket that exists (docker, rootless
 * docker, Podman) > /var/run/docker.sock.
 */
export function discoverDaemon(settings: AddressSettings, env: NodeJS.ProcessEnv, socketExists: (path: string) => boolean = isSocket): DaemonAddress {
  if (settings.cliHost) return { host: settings.cliHost, origin: '-H' };
  if (settings.host) return { host: settings.host, origin: 'config docker.host' };
  if (env['DOCKER_HOST']) return { host: env['DOCKER_HOST'], origin: 'DOCKER_HOST' };
  const named = env['DOCKER_CONTEXT'];
  // DOCKER_CONTEXT=default means "no context", as for the CLI: skip config.json too.
  if (named && named !== 'default') return fromContext(readContext(named, env), `DOCKER_CONTEXT=${named}`);
  if (!named) {
    const current = currentContextName(env);
    if (current) return fromContext(readContext(current, env), `current docker context "${current}" (${join(dockerConfigDir(env), 'config.json')})`);
  }
  for (const candidate of wellKnownSockets(env)) {
    if (socketExists(candidate.path)) return { host: `unix://${candidate.path}`, origin: candidate.origin };
  }
  return { host: `unix://${DEFAULT_DOCKER_SOCKET}`, origin: 'default (no local socket found)' };
}

function fromContext(context: DockerContext, origin: string): DaemonAddress {
  return { host: context.host, origin, contextTls: context.tls };
}
