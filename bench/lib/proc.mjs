// /proc readers for a child process: CPU time (utime + stime of all its
// threads) and resident memory. Linux only, like the benchmarks.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/**
 * CPU seconds of a process from /proc/<pid>/stat, or null when it is gone:
 * its own user and system time (all threads) and that of its reaped children.
 */
export function cpuTimes(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the ")" of comm: state is field 3; utime 14, stime 15, cutime 16, cstime 17.
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) / CLK_TCK, sys: Number(f[12]) / CLK_TCK, childrenUser: Number(f[13]) / CLK_TCK, childrenSys: Number(f[14]) / CLK_TCK };
  } catch {
    return null;
  }
}

/** CPU seconds (user + system) the process used so far, or null when it is gone. */
export function cpuSeconds(pid) {
  const t = cpuTimes(pid);
  return t === null ? null : t.user + t.sys;
}

/** Times the process's threads went to sleep and were woken: each wake-up has a fixed CPU cost. */
export function voluntarySwitches(pid) {
  let total = 0;
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      total += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // thread gone
    }
  }
  return total;
}

/** The CPUs a process may run on (`Cpus_allowed_list`, e.g. "1" or "0-1"), or null when it is gone. */
export function cpusAllowed(pid) {
  try {
    return /^Cpus_allowed_list:\s*(\S+)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

/** VmRSS in MiB, or null when the process is gone. */
export function rssMiB(pid) {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** Samples VmRSS every `everyMs`; `stop()` returns the samples ({t, mib}). */
export function sampleRss(pid, everyMs = 100) {
  const samples = [];
  const take = () => {
    const mib = rssMiB(pid);
    if (mib !== null) samples.push({ t: Date.now(), mib });
  };
  take();
  const timer = setInterval(take, everyMs);
  return {
    samples,
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

export function loadAverage() {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

export function machine() {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /model name\s*:\s*(.+)/.exec(cpuinfo)?.[1] ?? 'unknown';
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const kernel = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  const memTotal = /MemTotal:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1];
  return { cores, model, kernel, node: process.version, memGiB: memTotal ? Math.round(Number(memTotal) / 1024 / 1024) : null };
}

/** Waits for a child to exit; SIGKILL after `graceMs`. Resolves with its exit code/signal. */
export function stopChild(child, signal = 'SIGTERM', graceMs = 15_000) {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', (code, sig) => {
      clearTimeout(timer);
      resolve({ code, signal: sig });
    });
    child.kill(signal);
  });
}

export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}
