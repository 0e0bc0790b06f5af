/** CPU seconds (user + system) the process used so far, or null when it is gone. */
export function cpuSeconds(pid: number): number | null;
/** The CPUs a process may run on (`Cpus_allowed_list`, e.g. "1" or "0-1"), or null when it is gone. */
export function cpusAllowed(pid: number | 'self'): string | null;
/** The 1, 5 and 15 minute load averages, space separated. */
export function loadAverage(): string;
export function machine(): { cores: number; model: string; kernel: string; node: string; memGiB: number | null };
/** Waits for a child to exit; SIGKILL after `graceMs`. */
export function stopChild(child: import('node:child_process').ChildProcess, signal?: NodeJS.Signals, graceMs?: number): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
