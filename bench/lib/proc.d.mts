/** CPU seconds (user + system) the process used so far, or null when it is gone. */
export function cpuSeconds(pid: number): number | null;
