/** CPU seconds (user + system) the process used so far, or null when it is gone. */
export function cpuSeconds(pid: number): number | null;
/** The CPUs a process may run on (`Cpus_allowed_list`, e.g. "1" or "0-1"), or null when it is gone. */
export function cpusAllowed(pid: number | 'self'): string | null;
