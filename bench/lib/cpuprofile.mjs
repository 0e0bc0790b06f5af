// Reads a V8 .cpuprofile (node --cpu-prof) and splits the agent's main-thread
// time into the stages of the events hot path. Each sample goes to the
// innermost frame that belongs to a stage (so prom-client called from the
// pipeline counts as `metrics`, JSON.parse inside parseEventLine as `parse`).
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** [stage, test on a call frame], innermost match wins; order matters only for ties on one frame. */
const STAGES = [
  ['GC', (f) => f.functionName === '(garbage collector)'],
  ['idle', (f) => f.functionName === '(idle)'],
  ['socket + HTTP (http1/)', (f) => /src\/docker\/http1\/[^/]+\.js$/.test(f.url) || /^node:(net|internal\/stream_base_commons)/.test(f.url)],
  ['metrics (prom-client)', (f) => /node_modules\/prom-client\//.test(f.url)],
  ['framing (ndjson.ts)', (f) => /src\/docker\/(ndjson|client)\.js$/.test(f.url) || /string_decoder/.test(f.url)],
  ['JSON.parse + timeNano (parseEventLine)', (f) => f.functionName === 'parseEventLine' || f.functionName === 'extractTimeNano'],
  ['serialise (recordJson: JSON.stringify)', (f) => /src\/pipeline\/serialize\.js$/.test(f.url)],
  ['normalise (normalize.ts)', (f) => /src\/sources\/docker-events\/normalize\.js$/.test(f.url)],
  ['boundary + source loop (source.ts, boundary.ts)', (f) => /src\/sources\/docker-events\/(source|boundary)\.js$/.test(f.url)],
  ['cursor (cursor.ts)', (f) => /src\/pipeline\/cursor\.js$/.test(f.url) || (f.functionName === 'onSettled' && /src\/agent\.js$/.test(f.url))],
  [
    'pipeline + queue (pipeline, sink-runner, buffer, queue)',
    (f) => /src\/pipeline\/(pipeline|sink-runner|batcher|delivery|drop-accounting|buffer|queue)\.js$/.test(f.url),
  ],
  [
    'file / stdout sink + write',
    (f) =>
      /src\/sinks\/(file|stdout)\//.test(f.url) ||
      /^node:(fs|internal\/fs|buffer)/.test(f.url) ||
      f.functionName === 'writeBuffer' ||
      f.functionName === 'writeString',
  ],
  ['promises, microtasks', (f) => f.functionName === 'runMicrotasks' || /task_queues/.test(f.url)],
];

function stageOf(node, byId, parentOf) {
  for (let n = node; n; n = byId.get(parentOf.get(n.id))) {
    for (const [stage, test] of STAGES) if (test(n.callFrame)) return stage;
  }
  return 'other (start-up, timers, logging, ...)';
}

/** The newest .cpuprofile in `dir`, as { totalMs, stages: [{ stage, ms, share }], top: [{ fn, ms }] }. */
export function summarizeProfile(dir, { top = 15 } = {}) {
  const file = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .sort()
    .at(-1);
  if (!file) throw new Error(`no .cpuprofile in ${dir}`);
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8'));
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parentOf = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
  const selfUs = new Map();
  let totalUs = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    totalUs += dt;
  });
  const stages = new Map();
  const fns = new Map();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    const stage = stageOf(node, byId, parentOf);
    stages.set(stage, (stages.get(stage) ?? 0) + us);
    const f = node.callFrame;
    const where = f.url ? `${f.url.replace(/^.*\/(src|node_modules)\//, '$1/')}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName || '(anonymous)'} ${where}`.trim();
    fns.set(key, (fns.get(key) ?? 0) + us);
  }
  const sorted = (m) => [...m].sort((a, b) => b[1] - a[1]);
  return {
    file,
    totalMs: totalUs / 1000,
    stages: sorted(stages).map(([stage, us]) => ({ stage, ms: us / 1000, share: us / totalUs })),
    top: sorted(fns)
      .slice(0, top)
      .map(([fn, us]) => ({ fn, ms: us / 1000, share: us / totalUs })),
  };
}
