import { readFileSync } from 'node:fs';
import { type Document, isScalar, LineCounter, parseDocument, type Scalar, visit } from 'yaml';
import { DsError } from '../errors.js';
import type { PluginRegistry } from '../plugin.js';
import { buildConfigSchema, LOCAL_DAEMON, type Config } from './schema.js';

export interface ConfigProblem {
  /** Dotted path with indices: `sinks.kafka.brokers[0]`. */
  readonly path: string;
  /** 1-based line in the file, when known. */
  readonly line: number | undefined;
  readonly message: string;
}

export class ConfigError extends DsError {
  readonly file: string;
  readonly problems: readonly ConfigProblem[];
  constructor(file: string, problems: readonly ConfigProblem[]) {
    super('CONFIG_INVALID', 'invalid configuration', { details: { file, problems: problems.length } });
    this.name = 'ConfigError';
    this.file = file;
    this.problems = problems;
    this.message = [`${file}: invalid configuration`, ...problems.map((p) => '  ' + formatProblem(file, p))].join('\n');
  }
}

export function formatProblem(file: string, p: ConfigProblem): string {
  return `${file}${p.line === undefined ? '' : `:${p.line}`}: ${p.path || '(root)'}: ${p.message}`;
}

export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

const VAR = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::?-([^}]*))?\}|\$\$/g;

/** `${VAR}` and `${VAR:-default}` (`$$` is a literal `$`); missing variables are reported, not blanked. */
export function substituteVars(text: string, env: NodeJS.ProcessEnv, missing: (name: string) => void): string {
  return text.replace(VAR, (whole, name: string | undefined, fallback: string | undefined) => {
    if (whole === '$$') return '$';
    const value = env[name as string];
    if (value !== undefined && value !== '') return value;
    if (fallback !== undefined) return fallback;
    missing(name as string);
    return '';
  });
}

function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | undefined {
  // Walk up until a node exists (a missing key is reported at its parent).
  for (let len = path.length; len >= 0; len--) {
    const node = doc.getIn(path.slice(0, len) as unknown[], true) as { range?: [number, number, number] } | undefined;
    if (node && node.range) return counter.linePos(node.range[0]).line;
    if (len > 0) {
      // A map key: find the pair's key position.
      const parent = doc.getIn(path.slice(0, len - 1) as unknown[], true) as
        { items?: Array<{ key?: { value?: unknown; range?: [number, number, number] } }> } | undefined;
      const pair = parent?.items?.find((it) => it.key?.value === path[len - 1]);
      if (pair?.key?.range) return counter.linePos(pair.key.range[0]).line;
    }
  }
  return undefined;
}

/** Parse, substitute, validate and graph-check a config text. Throws ConfigError with every problem. */
export function parseConfig(text: string, file: string, plugins: PluginRegistry, env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfigInput(text, file, plugins, env).config;
}

/** parseConfig, plus the substituted input before schema defaults (what `dockstream config` prints from). */
export function parseConfigInput(
  text: string,
  file: string,
  plugins: PluginRegistry,
  env: NodeJS.ProcessEnv = process.env,
): { config: Config; input: unknown } {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  const problems: ConfigProblem[] = [];
  for (const err of doc.errors) {
    problems.push({ path: '', line: counter.linePos(err.pos[0]).line, message: err.message.split('\n')[0] ?? 'YAML error' });
  }
  if (problems.length > 0) throw new ConfigError(file, problems);

  visit(doc, {
    Scalar(_key, node: Scalar, ancestors) {
      if (typeof node.value !== 'string' || !node.value.includes('$')) return;
      const path = pathOf(doc, ancestors, node);
      const replaced = substituteVars(node.value, env, (name) =>
        problems.push({
          path: formatPath(path),
          line: node.range ? counter.linePos(node.range[0]).line : undefined,
          message: `environment variable ${name} is not set (use \${${name}:-default} for a default)`,
        }),
      );
      if (replaced === node.value) return;
      // An unquoted scalar gets its type back (`port: ${PORT}` is a number).
      node.value = node.type === 'PLAIN' ? resolvePlain(replaced) : replaced;
    },
  });

  const data: unknown = doc.toJS() ?? {};
  const parsed = buildConfigSchema(plugins).safeParse(data);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      if (issue.code === 'unrecognized_keys') {
        // One problem per unknown key, at the key's own line.
        for (const key of issue.keys) {
          const path = [...issue.path, key];
          problems.push({ path: formatPath(path), line: lineOf(doc, counter, path), message: 'unknown key' });
        }
        continue;
      }
      problems.push({ path: formatPath(issue.path), line: lineOf(doc, counter, issue.path), message: issue.message });
    }
  }
  // The graph is checked on the raw data too, so it is reported alongside schema problems.
  const raw = data as { sources?: unknown; sinks?: unknown; daemons?: unknown };
  const daemons = raw.daemons && typeof raw.daemons === 'object' ? Object.keys(raw.daemons) : [];
  if (daemons.includes(LOCAL_DAEMON)) {
    const path = ['daemons', LOCAL_DAEMON];
    problems.push({
      path: formatPath(path),
      line: lineOf(doc, counter, path),
      message: `"${LOCAL_DAEMON}" is the daemon the docker: block configures; give this one another name`,
    });
  }
  const sourceEntries = raw.sources && typeof raw.sources === 'object' ? (raw.sources as Record<string, { daemon?: unknown }>) : {};
  for (const [name, source] of Object.entries(sourceEntries)) {
    const daemon = source?.daemon;
    if (typeof daemon === 'string' && daemon !== LOCAL_DAEMON && !daemons.includes(daemon)) {
      const path = ['sources', name, 'daemon'];
      problems.push({
        path: formatPath(path),
        line: lineOf(doc, counter, path),
        message: `unknown daemon "${daemon}" (daemons: ${[LOCAL_DAEMON, ...daemons].join(', ')})`,
      });
    }
  }
  const sources = raw.sources && typeof raw.sources === 'object' ? Object.keys(raw.sources) : [];
  const sinks = raw.sinks && typeof raw.sinks === 'object' ? (raw.sinks as Record<string, { inputs?: unknown }>) : {};
  for (const [name, sink] of Object.entries(sinks)) {
    if (!Array.isArray(sink?.inputs)) continue;
    sink.inputs.forEach((input: unknown, i: number) => {
      if (typeof input === 'string' && !sources.includes(input)) {
        const path = ['sinks', name, 'inputs', i];
        problems.push({
          path: formatPath(path),
          line: lineOf(doc, counter, path),
          message: `unknown source "${input}" (sources: ${sources.join(', ') || 'none'})`,
        });
      }
    });
  }
  if (parsed.success) {
    for (const [name, sink] of Object.entries(parsed.data.sinks)) {
      const accepts = plugins.sink(sink.type).accepts;
      sink.kinds?.forEach((kind, i) => {
        if (accepts.includes(kind)) return;
        const path = ['sinks', name, 'kinds', i];
        problems.push({
          path: formatPath(path),
          line: lineOf(doc, counter, path),
          message: `a ${sink.type} sink does not take ${kind} records (it takes ${accepts.join(', ')})`,
        });
      });
    }
    if (Object.keys(parsed.data.sinks).length === 0)
      problems.push({ path: 'sinks', line: lineOf(doc, counter, ['sinks']), message: 'at least one sink is needed' });
    if (Object.keys(parsed.data.sources).length === 0)
      problems.push({ path: 'sources', line: lineOf(doc, counter, ['sources']), message: 'at least one source is needed' });
  }
  // Problems in file order, so the first one a user sees is the first in the file.
  problems.sort((a, b) => (a.line ?? 1e9) - (b.line ?? 1e9));
  // A failed parse always left problems; the second test is for the type checker.
  if (problems.length > 0 || !parsed.success) throw new ConfigError(file, problems);
  return { config: parsed.data, input: data };
}

export function loadConfig(file: string, plugins: PluginRegistry, env: NodeJS.ProcessEnv = process.env): Config {
  return parseConfig(readConfigFile(file), file, plugins, env);
}

export function readConfigFile(file: string): string {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new DsError('CONFIG_NOT_FOUND', code === 'ENOENT' ? `config file not found: ${file}` : `cannot read config file ${file}: ${code ?? String(err)}`, {
      cause: err,
      details: { file },
    });
  }
  return text;
}

function resolvePlain(text: string): unknown {
  const doc = parseDocument(text);
  const v = doc.contents;
  return isScalar(v) && doc.errors.length === 0 && typeof v.value !== 'object' ? v.value : text;
}

function pathOf(doc: Document, ancestors: readonly unknown[], node: Scalar): PropertyKey[] {
  const path: PropertyKey[] = [];
  const chain = [...ancestors, node];
  for (let i = 1; i < chain.length; i++) {
    const parent = chain[i - 1] as { items?: unknown[] };
    const child = chain[i];
    if (Array.isArray(parent.items)) {
      const idx = parent.items.indexOf(child);
      if (idx >= 0) {
        const it = parent.items[idx] as { key?: unknown };
        if (it && typeof it === 'object' && 'key' in it && isScalar(it.key)) continue; // pair: handled below
        path.push(idx);
      }
    } else if (parent && typeof parent === 'object' && 'key' in parent) {
      const key = (parent as { key: unknown }).key;
      if (key !== child) path.push(isScalar(key) ? String(key.value) : String(key));
    }
  }
  void doc;
  return path;
}
