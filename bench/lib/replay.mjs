// Starts bench/replay-daemon.mjs as a child process and follows its control
// lines ({"stream":"open"|"done", ...}) so a benchmark knows when a consumer's
// /events stream began and when the daemon wrote its last event.
import { spawn } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { createInterface } from 'node:readline';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopChild } from './proc.mjs';

const DAEMON = join(dirname(fileURLToPath(import.meta.url)), '..', 'replay-daemon.mjs');

export async function startReplay({ socket, events, rate = 0, perChunk = 1, delayMs = 0, end = false, extraArgs = [] }) {
  const args = [DAEMON, '--socket', socket, '--events', String(events), '--rate', String(rate), '--per-chunk', String(perChunk), '--delay-ms', String(delayMs)];
  if (end) args.push('--end');
  const child = spawn(process.execPath, [...args, ...extraArgs], { stdio: ['ignore', 'pipe', 'inherit'] });
  const bus = new EventEmitter();
  const streams = [];
  createInterface({ input: child.stdout }).on('line', (line) => {
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    msg.seenAt = Date.now();
    if (msg.stream) streams.push(msg);
    bus.emit('control', msg);
  });
  await new Promise((resolve, reject) => {
    const onControl = (m) => {
      if (m.ready) {
        bus.off('control', onControl);
        resolve();
      }
    };
    bus.on('control', onControl);
    child.once('exit', (code) => reject(new Error(`replay daemon exited (${code}) before ready`)));
  });
  return {
    pid: child.pid,
    streams,
    /** Next control message matching `pred` (already-seen messages after `afterIndex` count too). */
    next(pred, afterIndex = streams.length, timeoutMs = 120_000) {
      const seen = streams.slice(afterIndex).find(pred);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          bus.off('control', on);
          reject(new Error('timed out waiting for the replay daemon'));
        }, timeoutMs);
        const on = (m) => {
          if (m.stream && pred(m)) {
            clearTimeout(timer);
            bus.off('control', on);
            resolve(m);
          }
        };
        bus.on('control', on);
      });
    },
    stop: () => stopChild(child, 'SIGTERM', 5000),
  };
}
