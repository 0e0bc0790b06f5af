import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { DsError } from '../errors.js';

/**
 * The docker CLI's context store, read-only: `<config dir>/config.json`
 * (`currentContext`), `contexts/meta/<sha256(name)>/meta.json` (the endpoint)
 * and `contexts/tls/<sha256(name)>/docker/{ca,cert,key}.pem` (its TLS files).
 * The config dir is `DOCKER_CONFIG`, else `~/.docker`, as for the CLI.
 */
export interface DockerContext {
  readonly name: string;
  readonly host: string;
  /** Files present in the context's TLS store; null when it has none. */
  readonly tls: { readonly verify: boolean; readonly ca?: string; readonly cert?: string; readonly key?: string } | null;
}

export function dockerConfigDir(env: NodeJS.ProcessEnv): string {
  return env['DOCKER_CONFIG'] || join(env['HOME'] || homedir(), '.docker');
}

/** `currentContext` from config.json; undefined when unset, "default", or no config.json. */
export function currentContextName(env: NodeJS.ProcessEnv): string | undefined {
  const file = join(dockerConfigDir(env), 'config.json');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  let name: unknown;
  try {
    name = (JSON.parse(text) as { currentContext?: unknown }).currentContext;
  } catch (err) {
    throw new DsError('DOCKER_BAD_HOST', `cannot parse docker CLI config ${file}`, { cause: err, details: { file } });
  }
  return typeof name === 'string' && name !== '' && name !== 'default' ? name : undefined;
}

interface MetaFile {
  readonly Endpoints?: { readonly docker?: { readonly Host?: unknown; readonly SkipTLSVerify?: unknown } };
}

/** A named context's docker endpoint. Throws (like the CLI) when it does not exist. */
export function readContext(name: string, env: NodeJS.ProcessEnv): DockerContext {
  const dir = dockerConfigDir(env);
  const id = createHash('sha256').update(name).digest('hex');
  const metaFile = join(dir, 'contexts', 'meta', id, 'meta.json');
  let meta: MetaFile;
  try {
    meta = JSON.parse(readFileSync(metaFile, 'utf8')) as MetaFile;
  } catch (err) {
    const missing = (err as NodeJS.ErrnoException).code === 'ENOENT';
    throw new DsError(
      'DOCKER_BAD_HOST',
      missing ? `docker context "${name}" does not exist (looked in ${dir}/contexts)` : `cannot read docker context "${name}" (${metaFile})`,
      {
        cause: err,
        details: { context: name, file: metaFile },
      },
    );
  }
  const endpoint = meta.Endpoints?.docker;
  if (typeof endpoint?.Host !== 'string' || endpoint.Host === '') {
    throw new DsError('DOCKER_BAD_HOST', `docker context "${name}" has no docker endpoint host`, { details: { context: name, file: metaFile } });
  }
  const tlsDir = join(dir, 'contexts', 'tls', id, 'docker');
  const file = (f: string): Record<string, string> => (existsSync(join(tlsDir, f)) ? { [f.slice(0, -'.pem'.length)]: join(tlsDir, f) } : {});
  const files = { ...file('ca.pem'), ...file('cert.pem'), ...file('key.pem') };
  const tls = Object.keys(files).length > 0 || endpoint.SkipTLSVerify === true ? { verify: endpoint.SkipTLSVerify !== true, ...files } : null;
  return { name, host: endpoint.Host, tls };
}
