// The README and the source READMEs say what the code does: sample events'
// `time` and `time_nano` agree, every exit code and every common sink option
// is documented, and the supported-engines table is the recorded engines'.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { MAX_API_VERSION } from '../../src/docker/negotiate.js';
import { sinkCommon } from '../../src/pipeline/sink-settings.js';
import { EXIT } from '../../src/exit-codes.js';
import { nanosToRfc3339 } from '../../src/util/units.js';
import { RECORDED_ENGINES, recordedJson } from '../fixtures/recorded.js';
import { READMES } from './readmes.js';

const readmes = READMES;
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

/** The rows of the table under `### Supported engines`, cells trimmed. */
function engineTable(text: string): string[][] {
  const section = text.slice(text.indexOf('### Supported engines'));
  const lines = section.split('\n');
  const start = lines.findIndex((l) => l.startsWith('| engine |'));
  const rows: string[][] = [];
  for (const line of lines.slice(start + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split('|')
        .map((c) => c.trim()),
    );
  }
  return rows;
}

interface RecordedEngine {
  readonly engine: string;
  readonly version: string;
  readonly api_version: string;
  readonly min_api_version: string;
}

describe('README supported-engines table', () => {
  const recorded = RECORDED_ENGINES.map((engine) => recordedJson<RecordedEngine>(engine, 'engine.json'));
  const rows = engineTable(readme);
  /** `docker-20.10` → `Docker 20.10`, `podman-5` → `Podman 5`. */
  const label = (engine: string): string => engine.replace(/^(\w)(\w*)-/, (_m, a: string, b: string) => `${a.toUpperCase()}${b} `);

  it('has one row per recorded engine, version and API range as the engine reported them (engine.json)', () => {
    expect(recorded.map((r) => r.engine)).toEqual(['docker-20.10', 'docker-26', 'docker-28', 'podman-4', 'podman-5']);
    for (const r of recorded) {
      const row = rows.find((cells) => cells[0] === label(r.engine));
      expect(row, r.engine).toBeDefined();
      const [, version = '', api = ''] = row as string[];
      // The version cell may add component versions in parentheses after the engine's own.
      expect(version.split(' (')[0], r.engine).toBe(r.version);
      const range = `${r.min_api_version}–${r.api_version}`;
      expect(api, r.engine).toBe(r.engine.startsWith('podman') ? `compat ${range}` : range);
    }
  });

  it('names no engine beyond the recorded ones but the one not runnable here, which names our maximum', () => {
    const extra = rows.filter((cells) => !recorded.some((r) => label(r.engine) === cells[0]));
    expect(extra.map((cells) => cells[0])).toEqual([`Docker 29 (API ${MAX_API_VERSION})`]);
    expect(extra[0]?.[1]).toBe('—');
    expect(extra[0]?.[2]).toMatch(new RegExp(`^1\\.\\d+–${MAX_API_VERSION.replace('.', '\\.')}$`));
    expect(extra[0]?.[3]).toBe('not runnable here');
    expect(extra[0]?.[4]).toContain(`dockstream speaks up to ${MAX_API_VERSION}`);
    expect(rows).toHaveLength(recorded.length + 1);
  });

  it('says where each live suite runs, and the files it names run on exactly those engines', () => {
    const section = readme.slice(readme.indexOf('### Supported engines'), readme.indexOf('| engine |'));
    // Each bullet: which engines, then the files; the files' matrix must be that one.
    const matrix: Record<string, RegExp> = {
      'all five engines': /describe\.each\(\[\.\.\.DOCKER_ENGINES, \.\.\.PODMAN_ENGINES\]\)/,
      'the three Docker engines': /describe\.each\(DOCKER_ENGINES\)/,
      'both Podman versions': /describe\.each\(PODMAN_ENGINES\)/,
    };
    const bullets = section
      .split('\n- **')
      .slice(1)
      .map((b) => b.split('\n\n')[0] as string);
    expect(bullets.map((b) => b.slice(0, b.indexOf('**')))).toEqual(Object.keys(matrix));
    const named: string[] = [];
    for (const bullet of bullets) {
      const want = matrix[bullet.slice(0, bullet.indexOf('**'))] as RegExp;
      const files = [...bullet.matchAll(/`(test\/[\w/.-]+\.test\.ts)`/g)].map((m) => m[1] as string);
      expect(files.length).toBeGreaterThan(0);
      for (const file of files) {
        const code = readFileSync(file, 'utf8');
        expect({ file, matrix: want.test(code) }).toEqual({ file, matrix: true });
        // Every describe in the file runs the matrix (none of them on a fixed engine).
        expect({ file, fixed: /^describe\((?!'an engine newer)/m.test(code) }).toEqual({ file, fixed: false });
        named.push(file);
      }
    }
    expect(named.sort()).toEqual([
      'test/docker/negotiation.int.test.ts',
      'test/faults/agent-kill.test.ts',
      'test/podman/podman.int.test.ts',
      'test/sources/docker-df/docker-df.int.test.ts',
      'test/sources/docker-events/events.int.test.ts',
      'test/sources/docker-stats/stats.int.test.ts',
    ]);
  });
});
