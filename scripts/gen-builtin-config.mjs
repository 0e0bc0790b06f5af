#!/usr/bin/env node
// `npm run gen:config`: embeds config.yaml as the agent's built-in default
// (src/config/builtin.ts, committed), so the two never drift.
// test/config/default-config.test.ts fails when the committed file is stale:
// run this after editing config.yaml (the build does not).
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

export function builtinModule(yaml) {
  return `// Generated from config.yaml by scripts/gen-builtin-config.mjs (npm run gen:config): do not edit.\nexport const BUILTIN_CONFIG_YAML: string = ${JSON.stringify(yaml)};\n`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const out = join(root, 'src', 'config', 'builtin.ts');
  const text = builtinModule(readFileSync(join(root, 'config.yaml'), 'utf8'));
  let current = '';
  try {
    current = readFileSync(out, 'utf8');
  } catch {
    // first build
  }
  if (current !== text) writeFileSync(out, text);
}
