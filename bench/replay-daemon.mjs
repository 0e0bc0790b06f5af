#!/usr/bin/env node
// A replay daemon: a unix-socket server speaking the few Docker Engine API
// paths the agent and `docker events` use (/_ping, /version, /info,
// /containers/json, /events, with or without a /v1.xx prefix), answering like
// dockerd 20.10 (API 1.41). /events streams N synthetic events of recorded
// shapes (bench/lib/event-shapes.mjs) as fast as the reader takes them
// (writes until write() says the socket is full, then waits for 'drain'), one
// event per HTTP chunk like dockerd, or at a fixed rate; `timeNano` is the
// wall-clock time at which the event was put on the socket.
//
//   node bench/replay-daemon.mjs --socket /tmp/r.sock [--events 500000] [--rate 0]
//        [--per-chunk 1] [--delay-ms 0] [--end] [--containers 300] [--seed 42] [--log-requests] [--record FILE]
//
// --rate N       events/s (0 = as fast as the reader reads)
// --per-chunk K  K events per HTTP chunk instead of 1 (dockerd: 1)
// --write-batch W  chunks per socket write (default: 64 at full speed, 1 with --rate).
//                dockerd flushes every event, but when it outpaces the reader its
//                writes pile up in the socket buffer and the reader gets many chunks
//                per read anyway; batching the writes keeps the replay daemon far
//                cheaper than any consumer, so the consumer is what gets measured.
// --delay-ms MS  wait before the first event (idle connected stream)
// --end          end the stream after the last event (default: stay open, silent, like dockerd)
// --record FILE  also append every event line sent to FILE (for tests: what the agent must write)
//
// Control lines (JSON) on stdout: {"ready":…}, {"stream":"open",…}, {"stream":"done",…}.
// It never sends events before `since`, and with `until` in the past it sends nothing and ends.
import { createServer } from 'node:net';
import { openSync, rmSync, writeSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { eventSource, wallClockNanos, wallClockMs } from './lib/event-shapes.mjs';

const API_VERSION = '1.41';
/** `"time":<10 digits>,"timeNano":<19 digits>}\n` (10-digit seconds: until the year 2286). */
const SUFFIX_LEN = '"time":'.length + 10 + ',"timeNano":'.length + 19 + 2;
const SERVER = 'Docker/20.10.24+dfsg1 (linux)';

function control(obj) {
  process.stdout.write(JSON.stringify(obj) + '\n');
}

function head(status, reason, headers) {
  let text = `HTTP/1.1 ${status} ${reason}\r\n`;
  const all = {
    'Api-Version': API_VERSION,
    'Docker-Experimental': 'false',
    Ostype: 'linux',
    Server: SERVER,
    Date: new Date().toUTCString(),
    ...headers,
  };
  for (const [k, v] of Object.entries(all)) text += `${k}: ${v}\r\n`;
  return text + '\r\n';
}

function rfc3339Nano() {
  const [sec, frac] = wallClockNanos()();
  return new Date(Number(sec) * 1000).toISOString().slice(0, 19) + '.' + frac + 'Z';
}

/** `sec[.nanos]` → fractional seconds (enough precision for the bounds we honour). */
function parseTimeParam(v) {
  if (v === null || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

export function createReplayServer(opts) {
  const { events: total, rate, perChunk, delayMs, end, containers, seed, logRequests } = opts;
  const writeBatch = opts.writeBatch ?? (rate > 0 ? 1 : 64);
  const recordFd = opts.record ? openSync(opts.record, 'a') : null;
  const info = eventSource({ seed, containers });
  info.prewarm();
  const daemonId = 'RPLY:DMN0:BNCH:7Q2X:K4ZL:3VQH:5N6M:TT2A:QH7C:UE3J:J2DW:VM4K';
  let streamSeq = 0;

  const documents = {
    '/version': () => ({
      Platform: { Name: '' },
      Version: '20.10.24+dfsg1',
      ApiVersion: API_VERSION,
      MinAPIVersion: '1.12',
      GitCommit: '5d6db84',
      GoVersion: 'go1.19.8',
      Os: 'linux',
      Arch: 'amd64',
      KernelVersion: '6.1.0-replay',
      BuildTime: '2023-05-18T16:58:47.000000000+00:00',
    }),
    '/info': () => ({
      ID: daemonId,
      Name: 'replay-host',
      Containers: info.containers.length,
      ContainersRunning: info.containers.length,
      ContainersPaused: 0,
      ContainersStopped: 0,
      Images: 48,
      Driver: 'overlay2',
      SystemTime: rfc3339Nano(),
      ServerVersion: '20.10.24+dfsg1',
      OperatingSystem: 'Debian GNU/Linux 12 (bookworm)',
      OSType: 'linux',
      Architecture: 'x86_64',
      NCPU: 2,
      MemTotal: 25275375616,
    }),
    '/containers/json': () =>
      info.containers.map((c, i) => ({
        Id: c.id,
        Names: [`/${c.name}`],
        Image: c.image,
        ImageID: c.labels['com.docker.compose.image'],
        Command: 'docker-entrypoint.sh serve',
        Created: 1795420000 + i,
        Ports: [],
        Labels: c.labels,
        State: 'running',
        Status: 'Up 2 hours (healthy)',
        HostConfig: { NetworkMode: 'none' },
        NetworkSettings: { Networks: {} },
        Mounts: [],
      })),
  };

  function streamEvents(socket, query, keepAlive) {
    const id = ++streamSeq;
    const nowS = wallClockMs() / 1000;
    const until = parseTimeParam(query.get('until'));
    const since = parseTimeParam(query.get('since'));
    socket.write(head(200, 'OK', { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' }));
    control({ stream: 'open', id, t: wallClockMs(), since: query.get('since'), until: query.get('until'), filters: query.get('filters') });
    if (until !== null && until <= nowS) {
      // A bounded query about the past: the replay keeps no history.
      socket.write('0\r\n\r\n');
      if (!keepAlive) socket.end();
      control({ stream: 'done', id, events: 0, reason: 'until_in_past' });
      return () => {};
    }
    const seq = info.sequence();
    const clock = wallClockNanos();
    let sent = 0;
    let bytes = 0;
    let startedAt = 0;
    let stopped = false;
    let timer = null;
    // Never stamp an event before `since` (a client asking for future events waits).
    const notBeforeMs = since !== null && since > nowS ? since * 1000 : 0;

    const finish = (reason) => {
      if (stopped) return;
      stopped = true;
      if (timer) clearTimeout(timer);
      const ms = wallClockMs() - startedAt;
      control({ stream: 'done', id, events: sent, bytes, ms: Math.round(ms * 10) / 10, rate: Math.round((sent / ms) * 1000), reason });
      if (reason === 'until' || (reason === 'complete' && end)) {
        socket.write('0\r\n\r\n');
        if (!keepAlive) socket.end();
      }
    };

    /**
     * Up to `n` events, `perChunk` per HTTP chunk, `writeBatch` chunks per
     * write, copied from pre-encoded prefixes into one fresh buffer (the
     * socket keeps it until flushed). Returns [events, write()'s answer].
     */
    const writeSome = (n) => {
      const parts = [];
      let size = 0;
      let k = 0;
      for (let c = 0; c < writeBatch && k < n; c++) {
        const chunk = [];
        let len = 0;
        for (let i = 0; i < perChunk && k < n; i++, k++) {
          const p = seq.next();
          chunk.push(p);
          len += p.length + SUFFIX_LEN;
        }
        const sizeLine = len.toString(16) + '\r\n';
        parts.push(sizeLine, chunk);
        size += sizeLine.length + len + 2;
        bytes += len;
      }
      const buf = Buffer.allocUnsafe(size);
      let at = 0;
      for (let j = 0; j < parts.length; j += 2) {
        at += buf.latin1Write(parts[j], at);
        for (const p of parts[j + 1]) {
          const lineStart = at;
          at += p.copy(buf, at);
          const [s, f] = clock();
          at += buf.latin1Write('"time":' + s + ',"timeNano":' + s + f + '}\n', at);
          if (recordFd !== null) writeSync(recordFd, buf, lineStart, at - lineStart);
        }
        at += buf.latin1Write('\r\n', at);
      }
      sent += k;
      return [k, socket.write(buf)];
    };

    const untilMs = until !== null ? until * 1000 : Infinity;
    const pump = () => {
      timer = null;
      if (stopped) return;
      const now = wallClockMs();
      if (now >= untilMs) return finish('until');
      if (now < notBeforeMs) {
        timer = setTimeout(pump, Math.min(50, notBeforeMs - now));
        return;
      }
      if (startedAt === 0) startedAt = now;
      let budget;
      if (rate > 0) {
        budget = Math.floor(((now - startedAt) / 1000) * rate) + 1 - sent;
      } else {
        // Yield to the loop now and then: other connections (the CLI's or the agent's pool) need it too.
        budget = 4096;
      }
      budget = Math.min(budget, total - sent);
      let more = true;
      while (budget > 0 && more) {
        const [k, ok] = writeSome(budget);
        more = ok;
        budget -= k;
      }
      if (sent >= total) return finish('complete');
      if (!more) {
        socket.once('drain', pump);
        return;
      }
      if (rate > 0) timer = setTimeout(pump, 1);
      else setImmediate(pump);
    };

    if (delayMs > 0) timer = setTimeout(pump, delayMs);
    else pump();
    return () => finish('client_closed');
  }

  function respond(socket, method, rawTarget, keepAlive) {
    const url = new URL(rawTarget, 'http://localhost');
    const path = url.pathname.replace(/^\/v1\.\d+(?=\/)/, '');
    if (logRequests) process.stderr.write(`${method} ${rawTarget}\n`);
    if (method !== 'GET' && method !== 'HEAD') {
      const body = JSON.stringify({ message: 'replay daemon is read-only' }) + '\n';
      socket.write(head(405, 'Method Not Allowed', { 'Content-Type': 'application/json', 'Content-Length': body.length }) + body);
      return null;
    }
    if (path === '/_ping') {
      const extra = { 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', 'Content-Type': 'text/plain; charset=utf-8' };
      socket.write(head(200, 'OK', { ...extra, 'Content-Length': method === 'HEAD' ? 0 : 2 }) + (method === 'HEAD' ? '' : 'OK'));
      return null;
    }
    if (path === '/events' && method === 'GET') return streamEvents(socket, url.searchParams, keepAlive);
    const doc = documents[path];
    const body = doc ? JSON.stringify(doc()) + '\n' : JSON.stringify({ message: 'page not found' }) + '\n';
    socket.write(
      head(doc ? 200 : 404, doc ? 'OK' : 'Not Found', { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) }) +
        (method === 'HEAD' ? '' : body),
    );
    return null;
  }

  return createServer((socket) => {
    let buf = '';
    let stopStream = null;
    socket.setEncoding('latin1');
    socket.on('data', (data) => {
      if (stopStream) return; // a streaming connection sends nothing more we care about
      buf += data;
      let end;
      while (!stopStream && (end = buf.indexOf('\r\n\r\n')) !== -1) {
        const requestHead = buf.slice(0, end);
        buf = buf.slice(end + 4);
        const [line, ...headerLines] = requestHead.split('\r\n');
        const [method, target] = line.split(' ');
        const keepAlive = !headerLines.some((h) => /^connection:\s*close/i.test(h));
        stopStream = respond(socket, method, target, keepAlive);
        if (!keepAlive && !stopStream) socket.end();
      }
    });
    socket.on('error', () => {});
    socket.on('close', () => stopStream?.());
  });
}

function main() {
  const { values } = parseArgs({
    options: {
      socket: { type: 'string' },
      events: { type: 'string', default: '500000' },
      rate: { type: 'string', default: '0' },
      'per-chunk': { type: 'string', default: '1' },
      'write-batch': { type: 'string' },
      'delay-ms': { type: 'string', default: '0' },
      end: { type: 'boolean', default: false },
      containers: { type: 'string', default: '300' },
      seed: { type: 'string', default: '42' },
      'log-requests': { type: 'boolean', default: false },
      record: { type: 'string' },
    },
  });
  if (!values.socket) {
    process.stderr.write('usage: replay-daemon.mjs --socket PATH [--events N] [--rate N] [--per-chunk K] [--write-batch W] [--delay-ms MS] [--end]\n');
    process.exit(64);
  }
  const socketPath = values.socket;
  rmSync(socketPath, { force: true });
  const server = createReplayServer({
    events: Number(values.events),
    rate: Number(values.rate),
    perChunk: Math.max(1, Number(values['per-chunk'])),
    ...(values['write-batch'] ? { writeBatch: Math.max(1, Number(values['write-batch'])) } : {}),
    delayMs: Number(values['delay-ms']),
    end: values.end,
    containers: Number(values.containers),
    seed: Number(values.seed),
    logRequests: values['log-requests'],
    ...(values.record ? { record: values.record } : {}),
  });
  server.listen(socketPath, () => control({ ready: true, socket: socketPath, pid: process.pid }));
  const stop = () => {
    server.close();
    rmSync(socketPath, { force: true });
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main();
