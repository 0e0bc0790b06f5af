import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LogEntry } from './agent.js';
import { MAIN } from './cli-run.js';

export interface AgentProcess {
  readonly pid: number;
  readonly child: ChildProcess;
  /** Parsed stderr log lines so far. */
  readonly logs: LogEntry[];
  readonly stderr: () => string;
  readonly exited: Promise<number | null>;
  /** Current resident set size in bytes (VmRSS), or 0 once gone. */
  rss(): number;
  kill(signal: NodeJS.Signals): void;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

/**
 * The built agent (`dist/src/main.js`, made by `npm test`'s pretest) as a
 * child process: for SIGKILL, exit codes and RSS, which an in-process agent
 * cannot show. The config text is written to `<dir>/config.yaml`.
 */
export function spawnAgent(dir: string, configYaml: string, args: string[] = ['run'], env: NodeJS.ProcessEnv = {}): AgentProcess {
  const configPath = join(dir, 'config.yaml');
  writeFileSync(configPath, configYaml);
  const child = spawn(process.execPath, [MAIN, ...args, '-c', configPath], {
    env: { PATH: process.env['PATH'], HOME: process.env['HOME'], DIR: dir, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: LogEntry[] = [];
  let err = '';
  let carry = '';
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
    const lines = (carry + chunk).split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line) as LogEntry);
      } catch {
        // not a log line
      }
    }
  });
  child.stdout?.resume();
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const pid = child.pid as number;
  return {
    pid,
    child,
    logs,
    stderr: () => err,
    exited,
    rss() {
      try {
        const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
        return m ? Number(m[1]) * 1024 : 0;
      } catch {
        return 0;
      }
    },
    kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(t);
      return code;
    },
  };
}
