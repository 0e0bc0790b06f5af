// The README and the source READMEs say what the code does: sample events'
// `time` and `time_nano` agree, every exit code and every common sink option
// is documented.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { sinkCommon } from '../../src/pipeline/sink-settings.js';
import { EXIT } from '../../src/exit-codes.js';
import { nanosToRfc3339 } from '../../src/util/units.js';

const readmes = ['README.md', ...['src/sources', 'src/sinks'].flatMap((d) => readdirSync(d).map((n) => join(d, n, 'README.md')))].filter((f) => {
  try {
    readFileSync(f);
    return true;
  } catch {
    return false;
  }
});
const readme = readFileSync('README.md', 'utf8');

describe('README samples and tables', () => {
  it("every sample event's time is its time_nano (README and every source/sink README)", () => {
    let samples = 0;
    for (const file of readmes) {
      for (const line of readFileSync(file, 'utf8').split('\n')) {
        const time = /"time":"([^"]+)"/.exec(line)?.[1];
        const nano = /"time_nano":"(\d+)"/.exec(line)?.[1];
        if (time === undefined || nano === undefined) continue;
        samples++;
        expect({ file, time }).toEqual({ file, time: nanosToRfc3339(nano) });
      }
    }
    expect(samples).toBeGreaterThanOrEqual(3);
  });

  it('lists every exit code the agent uses', () => {
    const paragraph = /^Exit codes: [\s\S]*?\n\n/m.exec(readme)?.[0] ?? '';
    for (const code of Object.values(EXIT)) expect(paragraph).toMatch(new RegExp(`\\b${code} `));
  });

  it("documents every option every sink takes (buffer.type included) in the sinks' table", () => {
    const keys: string[] = [];
    for (const [key, schema] of Object.entries(sinkCommon)) {
      const def = (schema as unknown as { _zod: { def: { type: string; innerType?: z.ZodType } } })._zod.def;
      const inner = def.type === 'prefault' ? (def.innerType as unknown as { _zod: { def: { shape?: Record<string, unknown> } } })._zod.def.shape : undefined;
      if (inner) keys.push(...Object.keys(inner).map((k) => `${key}.${k}`));
      else keys.push(key);
    }
    expect(keys).toContain('buffer.type');
    for (const key of keys) expect(readme).toContain(`\`${key}\``);
  });

  it("names exactly the Debian packages scripts/test-setup.mjs checks and installs, in the script's order", () => {
    // The script runs on import: read its requirement table as text (one `pkg: '…'` per requirement).
    const script = readFileSync('scripts/test-setup.mjs', 'utf8');
    const table = /const requirements = \[([\s\S]*?)\n\];/.exec(script)?.[1] ?? '';
    const fromScript = [...new Set([...table.matchAll(/\bpkg: '([^']+)'/g)].map((m) => m[1]))];
    expect(fromScript.length).toBeGreaterThanOrEqual(15);
    expect(fromScript).toContain('strace');
    const sentence = /`npm test` checks that the real peers the tests need are installed \(Debian\s([^)]*)\)/.exec(readme)?.[1] ?? '';
    const fromReadme = [...sentence.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
    expect(fromReadme).toEqual(fromScript);
  });
});
