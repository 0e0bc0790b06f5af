import { stringify } from 'yaml';
import type { z } from 'zod';
import { formatDuration, formatSize } from '../util/units.js';
import type { PluginRegistry } from '../plugin.js';
import { buildConfigSchema } from './schema.js';
import { unitOf } from '../options/units.js';

export const REDACTED = '<redacted>';

/** Keys whose values are secrets wherever they appear; every value of a `headers` map is one too (OTLP auth). */
const SECRET_KEYS = new Set(['password', 'key_passphrase', 'bearer_token']);
const SECRET_MAPS = new Set(['headers']);

interface Def {
  readonly type: string;
  readonly innerType?: z.ZodType;
  readonly defaultValue?: unknown;
  readonly shape?: Record<string, z.ZodType>;
  readonly valueType?: z.ZodType;
  readonly element?: z.ZodType;
  readonly in?: z.ZodType;
  readonly options?: readonly z.ZodType[];
  readonly discriminator?: string;
  readonly values?: readonly unknown[];
}

const defOf = (schema: z.ZodType): Def => (schema as unknown as { _zod: { def: Def } })._zod.def;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The substituted input with every schema default filled in, in the config's
 * own notation (durations and sizes human again), so the output is itself a
 * valid config: walks the schema beside the input.
 */
export function withDefaults(schema: z.ZodType, input: unknown): unknown {
  const unit = unitOf(schema);
  if (unit !== undefined) return typeof input === 'number' ? (unit === 'duration' ? formatDuration(input) : formatSize(input)) : input;
  const def = defOf(schema);
  switch (def.type) {
    case 'default':
    case 'prefault':
      return withDefaults(def.innerType as z.ZodType, input === undefined ? def.defaultValue : input);
    case 'optional':
    case 'nullable':
    case 'readonly':
    case 'catch':
      return input === undefined ? undefined : withDefaults(def.innerType as z.ZodType, input);
    case 'pipe':
      return withDefaults(def.in as z.ZodType, input);
    case 'object': {
      if (!isRecord(input)) return input;
      const out: Record<string, unknown> = {};
      for (const [key, value] of Object.entries(def.shape ?? {})) {
        const v = withDefaults(value, input[key]);
        if (v !== undefined) out[key] = v;
      }
      return out;
    }
    case 'record':
      return isRecord(input) ? Object.fromEntries(Object.entries(input).map(([k, v]) => [k, withDefaults(def.valueType as z.ZodType, v)])) : input;
    case 'array':
      return Array.isArray(input) ? input.map((v) => withDefaults(def.element as z.ZodType, v)) : input;
    case 'union': {
      if (def.discriminator === undefined || !isRecord(input)) return input;
      const tag = input[def.discriminator];
      const member = def.options?.find((o) => defOf(defOf(o).shape?.[def.discriminator as string] as z.ZodType).values?.includes(tag));
      if (!member) return input;
      // The discriminator first, as people write it.
      const { [def.discriminator]: _tag, ...rest } = withDefaults(member, input) as Record<string, unknown>;
      return { [def.discriminator]: tag, ...rest };
    }
    default:
      return input;
  }
}

/** Secrets replaced by `<redacted>` (passwords, key passphrases, bearer tokens, headers), whatever the nesting. */
export function redactSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v));
  if (!isRecord(value)) return SECRET_KEYS.has(key) && value !== undefined ? REDACTED : value;
  if (SECRET_MAPS.has(key)) return Object.fromEntries(Object.keys(value).map((k) => [k, REDACTED]));
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactSecrets(v, k)]));
}

/** `dockstream config`: the effective config as YAML, after substitution and defaults, secrets redacted. */
export function effectiveConfigYaml(input: unknown, sourceLine: string, plugins: PluginRegistry): string {
  const effective = redactSecrets(withDefaults(buildConfigSchema(plugins), input));
  return `# effective configuration: ${sourceLine}\n# after \${VAR} substitution and defaults; secrets redacted\n${stringify(effective)}`;
}
