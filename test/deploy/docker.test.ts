// What can be checked of the image without building it (no registry to pull
// a Node base image from here): the Dockerfile parses and lints clean, its
// stages and runtime settings are what the deployment docs promise, the
// build context keeps what the build copies, and the runtime stage's
// production-only node_modules covers every package src/ imports.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate } from 'dockerfile-utils';
import { describe, expect, it } from 'vitest';
import { parseListen } from '../../src/telemetry/listen.js';
import { SelfMetrics } from '../../src/telemetry/metrics.js';
import { TelemetryServer } from '../../src/telemetry/server.js';
import { memoryLogger } from '../harness/agent.js';
import { run } from '../harness/proc.js';

const ROOT = join(import.meta.dirname, '../..');
const text = readFileSync(join(ROOT, 'deploy/docker/Dockerfile'), 'utf8');
const dockerfile = DockerfileParser.parse(text);
const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  bin: Record<string, string>;
  engines: { node: string };
  dependencies: Record<string, string>;
};

/** Instructions of one build stage, in order. */
function stage(name: string): Instruction[] {
  const froms = dockerfile.getFROMs();
  const i = froms.findIndex((f) => f.getBuildStage() === name);
  expect(i, `stage ${name}`).toBeGreaterThanOrEqual(0);
  const start = froms[i]?.getRange().start.line ?? 0;
  const end = froms[i + 1]?.getRange().start.line ?? Number.POSITIVE_INFINITY;
  return dockerfile.getInstructions().filter((ins) => {
    const line = ins.getRange().start.line;
    return line >= start && line < end;
  });
}

const args = (ins: Instruction | undefined) => ins?.getArguments().map((a) => a.getValue()) ?? [];
const json = (ins: Instruction | undefined) => JSON.parse(ins?.getRawArgumentsContent() ?? 'null') as unknown;
/** The instruction's text after the keyword, flags included (`--from=deps …`), on one line. */
const body = (ins: Instruction) =>
  ins
    .getTextContent()
    .replace(/\\\n\s*/g, ' ')
    .slice(ins.getKeyword().length)
    .trim();

describe('deploy/docker/Dockerfile', () => {
  it('lints clean (dockerfile-utils: instructions, flags, JSON forms, one HEALTHCHECK per stage)', () => {
    expect(validate(text).map((d) => `${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`)).toEqual([]);
  });

  it('is multi-stage on a Node LTS slim image: build with dev deps, runtime with production deps only', () => {
    expect(dockerfile.getFROMs().map((f) => f.getBuildStage())).toEqual(['build', 'deps', 'runtime']);
    const base = /^ARG NODE_IMAGE=node:(\d+)-bookworm-slim$/m.exec(text);
    const major = Number(base?.[1]);
    // An even major is an LTS line; the image uses a supported one of the lines `engines` names (20, 22, 24).
    expect(major % 2).toBe(0);
    expect(major).toBeGreaterThanOrEqual(22);
    const lines = [...pkg.engines.node.matchAll(/\^(\d+)\./g)].map((m) => Number(m[1]));
    expect(lines).toEqual([20, 22, 24]);
    expect(lines).toContain(major);
    for (const f of dockerfile.getFROMs()) expect(f.getImageName()).toBe('${NODE_IMAGE}');

    const build = stage('build').map((i) => `${i.getKeyword()} ${body(i)}`);
    expect(build).toContain('RUN npm ci --ignore-scripts --no-audit --no-fund');
    expect(build).toContain('RUN npm run build');
    const deps = stage('deps').map((i) => `${i.getKeyword()} ${body(i)}`);
    expect(deps.find((l) => l.startsWith('RUN npm ci'))).toMatch(/--omit=dev/);
    // The runtime takes node_modules from `deps` (never from `build`) and only dist/ from `build`.
    const copies = stage('runtime')
      .filter((i) => i.getKeyword() === 'COPY')
      .map(body);
    expect(copies).toContain('--from=deps /app/node_modules ./node_modules');
    expect(copies).toContain('--from=build /src/dist/src ./dist/src');
    expect(copies.filter((c) => c.includes('node_modules'))).toHaveLength(1);
  });

  it('runs as a non-root user with the state volume, healthcheck, stop signal, entrypoint and command', () => {
    const runtime = stage('runtime');
    const one = (kw: string) => runtime.filter((i) => i.getKeyword() === kw);
    const user = one('USER');
    expect(user).toHaveLength(1);
    expect(args(user[0])).toEqual(['dockstream:dockstream']);
    expect(text).toMatch(/useradd --system --uid 10001 /);
    // USER comes before anything that runs the agent.
    const idx = (kw: string) => runtime.findIndex((i) => i.getKeyword() === kw);
    expect(idx('USER')).toBeLessThan(idx('ENTRYPOINT'));
    expect(idx('USER')).toBeLessThan(idx('HEALTHCHECK'));

    expect(json(one('VOLUME')[0])).toEqual(['/var/lib/dockstream']);
    expect(text).toMatch(/install -d -m 0750 -o dockstream -g dockstream \/var\/lib\/dockstream/);
    expect(args(one('STOPSIGNAL')[0])).toEqual(['SIGTERM']);
    expect(json(one('ENTRYPOINT')[0])).toEqual(['node', '/app/dist/src/main.js']);
    expect(json(one('CMD')[0])).toEqual(['run', '-c', '/etc/dockstream/config.yaml']);
    // The entrypoint is what `npm run build` produces (package.json "bin").
    expect(`/app/${pkg.bin['dockstream']}`).toBe('/app/dist/src/main.js');

    const healthcheck = one('HEALTHCHECK')[0];
    const hc = healthcheck ? body(healthcheck) : '';
    expect(hc).toMatch(/--interval=30s --timeout=5s --start-period=30s --retries=3/);
    const cmd = JSON.parse(hc.slice(hc.indexOf('['))) as string[];
    expect(hc).toMatch(/ CMD \["node", "-e", /);
    expect(cmd.slice(0, 2)).toEqual(['node', '-e']);
    // Slim images have no curl: node's fetch, non-zero exit unless 2xx.
    expect(cmd[2]).toContain("'http://127.0.0.1:9323/healthz'");
    expect(cmd[2]).toContain('process.exit(r.ok?0:1)');
  });

  it('HEALTHCHECK command exits 0 against a live /healthz and 1 when nothing answers', async () => {
    const hc = body(stage('runtime').find((i) => i.getKeyword() === 'HEALTHCHECK') as Instruction);
    const [cmd, ...cmdArgs] = JSON.parse(hc.slice(hc.indexOf('['))) as string[];
    expect(cmd).toBe('node');
    const server = await TelemetryServer.listen(
      parseListen('127.0.0.1:0'),
      { registry: () => new SelfMetrics().registry, readiness: () => ({ ready: true, reasons: [] }) },
      memoryLogger().log,
    );
    const url = server.url('/healthz');
    // Asynchronously: the server answering lives in this process.
    const check = async () => (await run(process.execPath, cmdArgs, { env: { ...process.env, DOCKSTREAM_HEALTH_URL: url }, timeoutMs: 20_000 })).code;
    try {
      expect(await check()).toBe(0);
    } finally {
      await server.close();
    }
    expect(await check()).toBe(1);
  });

  it('the build context (Dockerfile.dockerignore) keeps every file the build copies', () => {
    const ignore = readFileSync(join(ROOT, 'deploy/docker/Dockerfile.dockerignore'), 'utf8')
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const kept = ignore.filter((l) => l.startsWith('!')).map((l) => l.slice(1).replace(/\/\*\*$/, ''));
    const sources = dockerfile
      .getInstructions()
      .filter((i) => i.getKeyword() === 'COPY' && !body(i).startsWith('--from'))
      .flatMap((i) => args(i).slice(0, -1));
    expect(sources.length).toBeGreaterThan(0);
    for (const s of sources) {
      expect(kept, s).toContain(s);
      expect(statSync(join(ROOT, s)).isFile() || statSync(join(ROOT, s)).isDirectory(), s).toBe(true);
    }
  });

  it('every package src/ imports is a production dependency (the runtime has no dev deps)', () => {
    const builtins = new Set(builtinModules);
    const imported = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts')) {
          for (const m of readFileSync(p, 'utf8').matchAll(/(?:^|\s)(?:from\s+|import\s*\(\s*|import\s+)'([^'.][^']*)'/gm)) {
            const spec = m[1] ?? '';
            if (spec.startsWith('node:') || builtins.has(spec)) continue;
            imported.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : (spec.split('/')[0] ?? spec));
          }
        }
      }
    };
    walk(join(ROOT, 'src'));
    expect(imported.size).toBeGreaterThan(5);
    expect([...imported].filter((name) => !(name in pkg.dependencies)).sort()).toEqual([]);
  });
});
