import { existsSync } from 'node:fs';
import type { PluginRegistry } from '../plugin.js';
import type { Config } from './schema.js';
import { BUILTIN_CONFIG_YAML } from './builtin.js';
import { parseConfigInput, readConfigFile } from './load.js';

/** The system-wide config file (the image and the systemd unit install it there). */
export const SYSTEM_CONFIG_FILE = '/etc/dockstream/config.yaml';
/** What the built-in default is called in messages. */
export const BUILTIN_CONFIG_NAME = '<built-in default>';

/** Which config is in use and why: shown by the start log, `check` and `config`. */
export type ConfigSource =
  | { readonly kind: 'file'; readonly path: string; readonly origin: '-c' | 'DOCKSTREAM_CONFIG' | 'system file' | 'working directory' }
  | { readonly kind: 'builtin' };

/**
 * `-c FILE`, else DOCKSTREAM_CONFIG, else /etc/dockstream/config.yaml when it
 * exists, else ./config.yaml when it exists, else the built-in default (the
 * shipped config.yaml). A named file (-c, DOCKSTREAM_CONFIG) must exist.
 */
export function locateConfig(flag: string | undefined, env: NodeJS.ProcessEnv, exists: (path: string) => boolean = existsSync): ConfigSource {
  if (flag) return { kind: 'file', path: flag, origin: '-c' };
  const fromEnv = env['DOCKSTREAM_CONFIG'];
  if (fromEnv) return { kind: 'file', path: fromEnv, origin: 'DOCKSTREAM_CONFIG' };
  if (exists(SYSTEM_CONFIG_FILE)) return { kind: 'file', path: SYSTEM_CONFIG_FILE, origin: 'system file' };
  if (exists('config.yaml')) return { kind: 'file', path: 'config.yaml', origin: 'working directory' };
  return { kind: 'builtin' };
}

/** The name used in messages and problem lines: the file path, or `<built-in default>`. */
export function configName(source: ConfigSource): string {
  return source.kind === 'file' ? source.path : BUILTIN_CONFIG_NAME;
}

/** One line for `check` and the start log: `config.yaml (working directory)`. */
export function describeConfigSource(source: ConfigSource): string {
  switch (source.kind) {
    case 'file':
      return `${source.path} (${source.origin})`;
    case 'builtin':
      return `${BUILTIN_CONFIG_NAME} (no -c, DOCKSTREAM_CONFIG, ${SYSTEM_CONFIG_FILE} or ./config.yaml)`;
    default: {
      const never: never = source;
      return never;
    }
  }
}

export function loadLocatedConfig(source: ConfigSource, plugins: PluginRegistry, env: NodeJS.ProcessEnv = process.env): Config {
  return loadLocatedConfigInput(source, plugins, env).config;
}

/** The config and its substituted input (for `dockstream config`). */
export function loadLocatedConfigInput(
  source: ConfigSource,
  plugins: PluginRegistry,
  env: NodeJS.ProcessEnv = process.env,
): { config: Config; input: unknown } {
  const text = source.kind === 'file' ? readConfigFile(source.path) : BUILTIN_CONFIG_YAML;
  return parseConfigInput(text, configName(source), plugins, env);
}
