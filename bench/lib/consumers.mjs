// The processes a benchmark compares: the agent (file or stdout sink) and the
// docker CLI (`docker events --format '{{json .}}' > file`), each started
// against the replay daemon's socket.
import { spawn, execFileSync } from 'node:child_process';
import { closeSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** A private compiled copy of the agent: `dist/` is shared with people editing the tree. */
export const AGENT_DIST = join(ROOT, 'bench', '.out', 'agent');
export const AGENT_MAIN = join(AGENT_DIST, 'src', 'main.js');

/**
 * Compiles src/ into `outDir` (default bench/.out/agent), like `npm run build`
 * but without type checking (`npm run typecheck` does that) and without
 * touching dist/, which is shared with people editing the tree.
 */
export function buildAgent(log = () => {}, outDir = AGENT_DIST) {
  const started = Date.now();
  execFileSync(join(ROOT, 'node_modules', '.bin', 'tsc'), ['-p', join(ROOT, 'tsconfig.build.json'), '--outDir', outDir, '--noCheck', '--sourceMap', 'false'], {
    stdio: 'inherit',
  });
  log(`built agent into ${outDir} in ${Date.now() - started} ms`);
}

/**
 * The agent's config for a benchmark: one docker_events source, one sink.
 * `sink`: { type: 'file', path, fsync } or { type: 'stdout' }, plus batch/buffer overrides.
 */
export function writeAgentConfig(file, { socket, stateDir, sink, batch, buffer, logLevel = 'info' }) {
  const lines = [
    'docker:',
    `  host: unix://${socket}`,
    `log_level: ${logLevel}`,
    `state_dir: ${stateDir}`,
    'shutdown_timeout: 5s',
    'sources:',
    '  events:',
    '    type: docker_events',
    'sinks:',
    '  out:',
    `    type: ${sink.type}`,
    '    inputs: [events]',
  ];
  if (sink.type === 'file') lines.push(`    path: ${sink.path}`, ...(sink.fsync ? [`    fsync: ${sink.fsync}`] : []));
  if (batch) lines.push('    batch:', ...Object.entries(batch).map(([k, v]) => `      ${k}: ${v}`));
  if (buffer) lines.push('    buffer:', ...Object.entries(buffer).map(([k, v]) => `      ${k}: ${v}`));
  lines.push('telemetry:', '  listen: false', '');
  writeFileSync(file, lines.join('\n'));
}

/**
 * Starts the agent. `stdout`: a file path (stdout sink redirected to it), 'pipe'
 * (returned unread: a blocked reader), or undefined (ignored). stderr (JSON logs) goes to `logFile`.
 */
export function startAgent({ config, logFile, stdout, nodeArgs = [], main = AGENT_MAIN }) {
  const err = openSync(logFile, 'w');
  const out = typeof stdout === 'string' && stdout !== 'pipe' ? openSync(stdout, 'w') : null;
  try {
    return spawn(process.execPath, [...nodeArgs, main, 'run', '-c', config], {
      stdio: ['ignore', out ?? (stdout === 'pipe' ? 'pipe' : 'ignore'), err],
      cwd: dirname(config),
    });
  } finally {
    closeSync(err);
    if (out !== null) closeSync(out);
  }
}

export const CLIS = {
  'cli-28': '/usr/local/bin/docker',
  'cli-20': '/usr/bin/docker',
};

export function cliVersion(bin) {
  try {
    return execFileSync(bin, ['version', '--format', '{{.Client.Version}}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch (e) {
    // Without a daemon `docker version` exits 1 but still prints the client part.
    return (
      String(e.stdout ?? '')
        .trim()
        .split('\n')[0] || 'unknown'
    );
  }
}

/** `docker -H unix://<socket> events --format '{{json .}}' > outFile` */
export function startCli({ bin, socket, outFile, logFile }) {
  const out = openSync(outFile, 'w');
  const err = openSync(logFile, 'w');
  try {
    return spawn(bin, ['-H', `unix://${socket}`, 'events', '--format', '{{json .}}'], {
      stdio: ['ignore', out, err],
      env: { ...process.env, DOCKER_CONFIG: dirname(logFile) },
    });
  } finally {
    closeSync(out);
    closeSync(err);
  }
}
