// In-process cost of each stage of the events hot path, in CPU µs per event,
// on the replay daemon's own event lines: framing (ndjson.ts), JSON.parse
// alone (the floor: no parser in JS beats it), parseEventLine, normalizeEvent,
// serialisation (recordJson), boundary admit. Runs against a compiled agent
// tree (`dist` holds src/...), so two builds can be compared.
//
// Stages that need the previous ones are timed cumulatively and subtracted.
// All timings are interleaved round by round and the best round kept: CPU
// time of the best round is the least disturbed by other load on the machine.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { eventSource } from './event-shapes.mjs';

/** `n` event lines like the replay daemon writes (no trailing newline), with increasing timeNano. */
export function sampleLines(n, seed = 42) {
  const seq = eventSource({ seed }).sequence();
  const lines = [];
  let ns = 1_795_425_504_731_684_906n;
  for (let i = 0; i < n; i++) {
    ns += 7_919n;
    lines.push(`${seq.next().toString('latin1')}"time":${ns / 1_000_000_000n},"timeNano":${ns}}`);
  }
  return lines;
}

/** CPU µs (this process, user + system) of `fn`. */
async function cpuOf(fn) {
  const c0 = process.cpuUsage();
  await fn();
  const c = process.cpuUsage(c0);
  return c.user + c.system;
}

export async function hotPathCosts(dist, { events = 20_000, rounds = 9 } = {}) {
  const mod = (p) => import(pathToFileURL(join(dist, 'src', p)).href);
  const { parseEventLine, normalizeEvent } = await mod('sources/docker-events/normalize.js');
  const { EventBoundary } = await mod('sources/docker-events/boundary.js');
  const { splitLines } = await mod('docker/ndjson.js');
  const { recordJson } = await mod('pipeline/serialize.js');
  const host = { name: 'replay-host', daemon_id: 'RPLY:DMN0', engine: 'docker', version: '20.10.24+dfsg1', api_version: '1.41' };
  const lines = sampleLines(events);
  // 64 KiB chunks cut anywhere, as a socket delivers them.
  const all = Buffer.from(lines.join('\n') + '\n', 'latin1');
  const chunks = [];
  for (let at = 0; at < all.length; at += 65_536) chunks.push(all.subarray(at, at + 65_536));
  async function* source() {
    yield* chunks;
  }
  const records = lines.map((l) => {
    const { raw, timeNano } = parseEventLine(l);
    return normalizeEvent(raw, timeNano, host);
  });

  // Streaming, as in the agent: each record is dropped right away (what a queue
  // retains is the GC share of the in-agent profile, not a stage cost).
  const stages = {
    framing: async () => {
      let n = 0;
      for await (const _ of splitLines(source())) n++;
      if (n !== events) throw new Error(`framing yielded ${n} of ${events} lines`);
    },
    jsonParse: () => {
      for (const l of lines) JSON.parse(l);
    },
    parse: () => {
      for (const l of lines) parseEventLine(l);
    },
    parseNormalize: () => {
      for (const l of lines) {
        const { raw, timeNano } = parseEventLine(l);
        normalizeEvent(raw, timeNano, host);
      }
    },
    parseNormalizeJson: () => {
      for (const l of lines) {
        const { raw, timeNano } = parseEventLine(l);
        recordJson(normalizeEvent(raw, timeNano, host));
      }
    },
    boundaryAdmit: () => {
      const b = new EventBoundary();
      for (const r of records) b.admit(r);
    },
    jsonStringifyRecord: () => {
      for (const r of records) JSON.stringify(r);
    },
  };
  const min = Object.fromEntries(Object.keys(stages).map((k) => [k, Infinity]));
  for (let r = 0; r < rounds; r++) {
    for (const [k, fn] of Object.entries(stages)) min[k] = Math.min(min[k], await cpuOf(fn));
  }
  const us = (k) => min[k] / events;
  return {
    events,
    lineBytes: Math.round(all.length / events),
    recordBytes: Math.round(records.reduce((n, r) => n + recordJson(r).length + 1, 0) / events),
    framing: us('framing'),
    jsonParse: us('jsonParse'),
    parseEventLine: us('parse'),
    normalizeEvent: Math.max(0, us('parseNormalize') - us('parse')),
    serialize: Math.max(0, us('parseNormalizeJson') - us('parseNormalize')),
    boundaryAdmit: us('boundaryAdmit'),
    jsonStringifyRecord: us('jsonStringifyRecord'),
    total: us('framing') + us('parseNormalizeJson') + us('boundaryAdmit'),
  };
}
