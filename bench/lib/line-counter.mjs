// Follows a growing NDJSON file: counts complete lines (throughput) or hands
// each new line to a callback as soon as it is seen (latency). Reads only the
// new bytes on each poll.
import { closeSync, openSync, readSync, watch } from 'node:fs';

/**
 * Resolves with { at, lines } once `target` complete lines are in `path`, or
 * when the file has not grown for `stallMs` (a consumer that dropped lines).
 */
export function waitForLines(path, target, { pollMs = 10, stallMs = 5000, onProgress } = {}) {
  let fd = null;
  let offset = 0;
  let lines = 0;
  let lastGrowth = Date.now();
  const buf = Buffer.allocUnsafe(4 << 20);
  return new Promise((resolve) => {
    const poll = () => {
      if (fd === null) {
        try {
          fd = openSync(path, 'r');
        } catch {
          return setTimeout(poll, pollMs);
        }
      }
      let n;
      while ((n = readSync(fd, buf, 0, buf.length, offset)) > 0) {
        offset += n;
        lastGrowth = Date.now();
        const chunk = buf.subarray(0, n);
        let i = -1;
        while ((i = chunk.indexOf(10, i + 1)) !== -1) lines++;
        if (lines >= target) break;
      }
      onProgress?.(lines);
      const now = Date.now();
      if (lines >= target || now - lastGrowth > stallMs) {
        closeSync(fd);
        return resolve({ at: lines >= target ? now : lastGrowth, lines, bytes: offset, stalled: lines < target });
      }
      setTimeout(poll, pollMs);
    };
    poll();
  });
}

/**
 * Calls `onLine(line, seenAtMs)` for each complete line appended to `path`,
 * woken by inotify and by a `pollMs` timer (whichever comes first). `clock`
 * gives the observation time. Returns { stop() }.
 */
export function followLines(path, onLine, { pollMs = 2, clock = Date.now } = {}) {
  let fd = null;
  let offset = 0;
  let carry = '';
  let stopped = false;
  let watcher = null;
  let timer = null;
  const buf = Buffer.allocUnsafe(1 << 20);
  const read = () => {
    if (stopped) return;
    if (fd === null) {
      try {
        fd = openSync(path, 'r');
        watcher = watch(path, read);
      } catch {
        return;
      }
    }
    let n;
    while ((n = readSync(fd, buf, 0, buf.length, offset)) > 0) {
      const seenAt = clock();
      offset += n;
      const text = carry + buf.toString('latin1', 0, n);
      let start = 0;
      let nl;
      while ((nl = text.indexOf('\n', start)) !== -1) {
        onLine(text.slice(start, nl), seenAt);
        start = nl + 1;
      }
      carry = text.slice(start);
    }
  };
  const tick = () => {
    read();
    if (!stopped) timer = setTimeout(tick, pollMs);
  };
  tick();
  return {
    stop() {
      read();
      stopped = true;
      if (timer) clearTimeout(timer);
      watcher?.close();
      if (fd !== null) closeSync(fd);
    },
  };
}
