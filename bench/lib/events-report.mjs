// Renders bench/events.mjs's measurements as bench/results/events.md: one
// markdown section (the lead's bench/run.mjs concatenates the results files).
import { CLIS } from './consumers.mjs';
import { machineLine, num, table, verdict } from './markdown.mjs';
import { median } from './proc.mjs';

/** /proc reports KiB; the targets are in MB. */
const mb = (mib) => (mib === null || mib === undefined ? NaN : mib * 1.048576);
const ms = (x) => num(x, x < 10 ? 2 : 1);

/** The targets of issue 9, each with its measured value. */
function targets(r) {
  const rows = [];
  const tp = r.throughput;
  if (tp) {
    const file = tp.summary['agent-file'];
    const vsCli = tp.ratios.find((x) => x.consumer === 'agent-file');
    if (file) {
      rows.push([
        'events → file ≥ 150,000 events/s on one core',
        `${num(file.rate)} events/s (${num(file.perCpuSecond)} per CPU-second of the agent)`,
        verdict(file.rate, 150_000, true),
      ]);
    }
    if (vsCli) rows.push([`events → file ≥ 1.5× the docker CLI (${vsCli.versus})`, `${num(vsCli.rate, 2)}×`, verdict(vsCli.rate, 1.5, true)]);
  }
  const lat = r.latency?.results.filter((x) => x.rate === 10_000) ?? [];
  if (lat.length > 0) {
    const p99 = median(lat.map((x) => x.p99));
    rows.push(['p99 latency ≤ 20 ms at 10,000 events/s', `${ms(p99)} ms (median of ${lat.length} runs)`, verdict(p99, 20, false)]);
  }
  if (r.idle) rows.push(['RSS ≤ 80 MB idle', `${num(mb(r.idle.rssMiB), 1)} MB`, verdict(mb(r.idle.rssMiB), 80, false)]);
  if (tp?.summary['agent-file']) {
    const rss = mb(tp.summary['agent-file'].rssMaxMiB);
    rows.push(['RSS ≤ 150 MB at full throughput (file sink)', `${num(rss, 1)} MB (median of the runs' peaks)`, verdict(rss, 150, false)]);
  }
  if (r.blocked) {
    const b = r.blocked;
    rows.push([
      `RSS with a sink blocked ${b.blockSeconds} s stays within the queue bound + margin`,
      `${num(mb(b.rssMax), 1)} MB peak, limit ${num(blockedLimit(r), 1)} MB; ${growth(b)}`,
      blockedVerdict(r),
    ]);
  }
  return table(['target', 'measured', 'verdict'], rows, ['l', 'l', 'l']);
}

/** Idle RSS + the queue's byte bound (max_size) + a fixed 128 MiB for the V8 heap's headroom before a full GC. */
const MARGIN_MIB = 128;
function blockedLimit(r) {
  return mb((r.idle?.rssMiB ?? r.blocked.rssAtBlock) + 64 + MARGIN_MIB);
}
function growth(b) {
  return `${num(mb(b.firstHalf.max), 0)} MB peak in the first half, ${num(mb(b.lastHalf.max), 0)} MB in the second`;
}
/** Bounded: under the limit, and no growth once the queue is full (second-half peak within 32 MiB of the first half's). */
function blockedVerdict(r) {
  const b = r.blocked;
  const over = mb(b.rssMax) - blockedLimit(r);
  const flat = b.lastHalf.max <= b.firstHalf.max + 32;
  if (over <= 0 && flat) return '**met**';
  return `**missed**: ${[over > 0 ? `peak ${num(over, 0)} MB over the limit` : '', flat ? '' : 'RSS still growing in the second half'].filter(Boolean).join('; ')}`;
}

function throughputSection(tp) {
  const out = [`### Throughput: ${num(tp.events)} events per run, ${tp.runs} interleaved rounds`, ''];
  const clis = Object.entries(tp.clis)
    .map(([k, v]) => `${k} = \`${v}\``)
    .join(', ');
  out.push(
    `Replay daemon → consumer → file on tmpfs (/dev/shm). Rate: events / seconds from the replay daemon opening the stream to the last line in the file. ` +
      `CPU: user + system seconds of the consumer (all threads), start-up excluded. ${clis}. Medians over the rounds:`,
    '',
  );
  out.push(
    table(
      ['consumer', 'events/s', 'CPU s / 100k events', 'events per CPU-second', 'peak RSS (MB)', 'complete'],
      Object.values(tp.summary).map((s) => [
        s.label,
        num(s.rate),
        num(s.cpuPer100k, 2),
        num(s.perCpuSecond),
        num(mb(s.rssMaxMiB), 1),
        s.complete ? 'yes' : 'NO',
      ]),
    ),
    '',
  );
  if (tp.ratios.length > 0) {
    out.push('Ratios against the CLI, taken per round (same load for both), median:', '');
    out.push(
      table(
        ['consumer', 'versus', 'rate ratio', 'CPU per event ratio', 'per round'],
        tp.ratios.map((x) => [x.consumer, x.versus, `${num(x.rate, 2)}×`, `${num(x.cpu, 2)}×`, x.perRun.map((p) => `${num(p, 2)}×`).join(', ')]),
      ),
      '',
    );
  }
  out.push('<details><summary>every run</summary>', '');
  out.push(
    table(
      ['round', 'consumer', 'events/s', 'seconds', 'CPU s', 'peak RSS (MB)', 'load average before → after'],
      tp.results.map((x) => [
        x.run,
        x.label,
        num(x.rate),
        num(x.seconds, 2),
        num(x.cpuSeconds, 2),
        num(mb(x.rssMaxMiB), 1),
        `${x.loadBefore} → ${x.loadAfter}`,
      ]),
    ),
    '',
    '</details>',
    '',
  );
  return out.join('\n');
}

function latencySection(lat) {
  const out = [`### Latency: \`timeNano\` → line in the file sink's file, ${lat.seconds} s per rate, ${lat.runs} rounds`, ''];
  out.push(
    'The replay daemon stamps each event with the wall clock when it goes on the socket; the bench sees the line appear ' +
      '(inotify plus a 2 ms poll), so these are upper bounds on the agent. File sink with default options (tmpfs). ' +
      '"steady" leaves out the first second of events (the JIT is still optimising then).',
    '',
  );
  out.push(
    table(
      ['round', 'events/s', 'events', 'p50 (ms)', 'p99 (ms)', 'max (ms)', 'steady p99 (ms)', 'steady max (ms)', 'load average before → after'],
      lat.results.map((x) => [
        x.run,
        num(x.rate),
        `${num(x.received)}/${num(x.events)}`,
        ms(x.p50),
        ms(x.p99),
        ms(x.max),
        ms(x.steady.p99),
        ms(x.steady.max),
        `${x.loadBefore} → ${x.loadAfter}`,
      ]),
    ),
    '',
  );
  return out.join('\n');
}

function memorySection(r) {
  const out = ['### Memory (RSS)', ''];
  const rows = [];
  if (r.idle) rows.push(['idle: /events open and silent', `${num(mb(r.idle.rssMiB), 1)} MB (median of 2 s, after ${r.idle.settleSeconds} s)`, r.idle.load]);
  for (const [name, s] of Object.entries(r.throughput?.summary ?? {})) {
    if (!CLIS[name]) rows.push([`full throughput, ${s.label} (median of peaks)`, `${num(mb(s.rssMaxMiB), 1)} MB`, 'see throughput']);
  }
  if (rows.length > 0) out.push(table(['state', 'RSS', 'load average'], rows, ['l', 'r', 'l']), '');
  const b = r.blocked;
  if (b) {
    out.push(
      `**Blocked sink.** A \`stdout\` sink whose pipe nobody reads, ${num(b.rate)} events/s for ${b.blockSeconds} s. ` +
        `Queue bound: \`buffer.max_records: ${num(b.buffer.max_records)}\`, \`max_size: ${b.buffer.max_size}\` (the defaults; ` +
        `${num(b.buffer.max_records)} records of ~1.2 kB JSON is the binding one). Limit checked: idle RSS + 64 MiB (max_size) + ${MARGIN_MIB} MiB fixed margin ` +
        `(the V8 heap grows to a multiple of its live size before a full collection) = ${num(blockedLimit(r), 1)} MB, and no growth once the queue is full.`,
      '',
    );
    const headers = ['at block', ...Object.keys(b.rssAt).map((s) => `${s} s`), 'peak', 'first half / second half', 'first drop after', 'after unblocking'];
    out.push(
      table(
        headers,
        [
          [
            `${num(mb(b.rssAtBlock), 1)} MB`,
            ...Object.values(b.rssAt).map((x) => `${num(mb(x), 1)} MB`),
            `${num(mb(b.rssMax), 1)} MB`,
            `${num(mb(b.firstHalf.min), 0)}–${num(mb(b.firstHalf.max), 0)} / ${num(mb(b.lastHalf.min), 0)}–${num(mb(b.lastHalf.max), 0)} MB`,
            b.firstDropAfterSeconds === null ? 'no drop' : `${num(b.firstDropAfterSeconds, 0)} s`,
            b.gapDropped === null
              ? 'no gap record within 30 s'
              : `${num(b.linesBeforeGap)} queued records, then a \`gap\` (${b.gapReason}, dropped ${num(b.gapDropped)}) after ${num(b.recoverySeconds, 1)} s`,
          ],
        ],
        headers.map(() => 'r'),
      ),
      '',
      `Load average ${b.loadBefore} → ${b.loadAfter}.`,
      '',
    );
  }
  return out.join('\n');
}

function boundsSection(r) {
  const out = ['### What bounds it', ''];
  if (r.costs) {
    const c = r.costs;
    out.push(
      `In-process cost per event of each hot-path stage (bench/lib/hot-path.mjs: the replay daemon's own lines, ${num(c.lineBytes)} B per line, ` +
        `${num(c.recordBytes)} B of record JSON; CPU time, best of 9 rounds of ${num(c.events)} events; records are dropped as they are made, ` +
        'so the GC cost of records waiting in a queue is not here but in the profile below):',
      '',
      table(
        ['stage', 'µs / event', 'ceiling on one core (events/s)'],
        [
          ['framing (ndjson.ts, async generator per line)', num(c.framing, 2), num(1e6 / c.framing)],
          ['JSON.parse of the line alone', num(c.jsonParse, 2), num(1e6 / c.jsonParse)],
          ['parseEventLine (JSON.parse + exact timeNano)', num(c.parseEventLine, 2), num(1e6 / c.parseEventLine)],
          ['normalizeEvent', num(c.normalizeEvent, 2), num(1e6 / c.normalizeEvent)],
          ['serialisation: recordJson (JSON.stringify + cache)', num(c.serialize, 2), num(1e6 / c.serialize)],
          ['(JSON.stringify of a record, alone)', num(c.jsonStringifyRecord, 2), num(1e6 / c.jsonStringifyRecord)],
          ['boundary admit', num(c.boundaryAdmit, 2), num(1e6 / c.boundaryAdmit)],
          ['**sum of the source stages**', `**${num(c.total, 2)}**`, `**${num(1e6 / c.total)}**`],
        ],
      ),
      '',
    );
  }
  if (r.profile) {
    const p = r.profile;
    const n = r.profileRun?.lines ?? 1;
    out.push(
      `Where the agent's main thread spends its time in a real run (\`node --cpu-prof\`, agent-file, ${num(n)} events at ${num(r.profileRun?.rate)} events/s under the profiler; ` +
        `bench/lib/cpuprofile.mjs puts each sample in the innermost stage it belongs to). GC helper threads are not in the profile.`,
      '',
      table(
        ['stage', 'share', 'µs / event'],
        p.stages.map((s) => [s.stage, `${num(s.share * 100, 1)}%`, num((s.ms * 1000) / n, 2)]),
      ),
      '',
      '<details><summary>top functions (self time)</summary>',
      '',
      table(
        ['function', 'share', 'ms'],
        p.top.map((f) => [`\`${f.fn}\``, `${num(f.share * 100, 1)}%`, num(f.ms)]),
        ['l', 'r', 'r'],
      ),
      '',
      '</details>',
      '',
    );
  }
  return out.join('\n');
}

/** For each missed target, what bounds it, from this run's own measurements. */
function bounds(r) {
  const out = [];
  const c = r.costs;
  const file = r.throughput?.summary['agent-file'];
  if (file && file.rate < 150_000) {
    let line = '- **Throughput**: 150,000 events/s on one core leaves 6.7 µs per event for everything.';
    if (c) {
      const floor = c.jsonParse + c.jsonStringifyRecord;
      line += ` Parsing the daemon's 1 kB line (JSON.parse, ${num(c.jsonParse, 2)} µs) and writing the record's JSON (JSON.stringify, ${num(c.jsonStringifyRecord, 2)} µs) alone take ${num(floor, 2)} µs here: at most ${num(1e6 / floor)} events/s with no other work.`;
    }
    if (r.profile && r.profileRun) {
      const busy = r.profile.stages.filter((x) => x.stage !== 'idle' && !x.stage.startsWith('other')).reduce((n, x) => n + x.ms, 0);
      const perEvent = (busy * 1000) / r.profileRun.lines;
      const gc = r.profile.stages.find((x) => x.stage === 'GC');
      line += ` In the running agent the main thread spends ${num(perEvent, 1)} µs per event on the hot path (profile below, start-up excluded; ${gc ? `GC ${num((gc.ms * 1000) / r.profileRun.lines, 1)} µs` : ''}), i.e. ${num(1e6 / perEvent)} events/s per core.`;
    }
    out.push(line);
  }
  const lat = r.latency?.results.filter((x) => x.rate === 10_000) ?? [];
  if (lat.length > 0 && median(lat.map((x) => x.p99)) > 20) {
    out.push(
      `- **Latency**: p50 (${lat.map((x) => ms(x.p50)).join(', ')} ms) is mostly the file sink's 5 ms linger. Without the first second (JIT warm-up) p99 is ${lat
        .map((x) => ms(x.steady.p99))
        .join(', ')} ms; the rest of the tail is garbage-collection pauses and CPU shared with other processes (load average in the table).`,
    );
  }
  if (r.idle && mb(r.idle.rssMiB) > 80 && r.idle.bareNodeMiB) {
    out.push(
      `- **Idle RSS**: a bare Node ${process.version} process is ${num(mb(r.idle.bareNodeMiB), 1)} MB (with undici loaded, which the agent no longer uses: ${num(mb(r.idle.undiciMiB), 1)} MB), ` +
        `and with the agent's modules loaded (every source and sink plugin, OTLP and Kafka included; nothing running) ${num(mb(r.idle.agentModulesMiB), 1)} MB.`,
    );
  }
  if (file && mb(file.rssMaxMiB) > 150) {
    out.push(
      '- **RSS at full throughput**: the live heap is small (the queue holds a few thousand records); the peak is the V8 heap growing between full collections, ' +
        'fed by records that wait in the sink queue long enough to be promoted to the old generation (the GC share in the profile below).',
    );
  }
  return out.length > 0 ? ['What bounds the misses (measured in this run):', '', ...out, ''].join('\n') : '';
}

export function renderReport(r) {
  const parts = [
    '## Events pipeline: throughput, latency, memory (issue 9)',
    '',
    `- Command: \`${r.command}\` (${r.seconds} s); agent: \`${r.agent}\``,
    `- Machine: ${machineLine()}; shared with other work: every result carries the load average`,
    `- Date: ${r.date}; load average before → after: ${r.loadBefore} → ${r.loadAfter}`,
    '',
    '### Targets',
    '',
    targets(r),
    '',
    bounds(r),
  ];
  if (r.throughput) parts.push(throughputSection(r.throughput));
  if (r.latency) parts.push(latencySection(r.latency));
  if (r.idle || r.blocked || r.throughput) parts.push(memorySection(r));
  if (r.costs || r.profile) parts.push(boundsSection(r));
  return parts.join('\n');
}
