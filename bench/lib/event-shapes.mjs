// Synthetic dockerd events with the shapes of real ones (API 1.41 wire form,
// recorded from a private dockerd 20.10 into bench/fixtures/recorded-events.ndjson
// by bench/record-events.sh): legacy status/id/from on container and image
// events, attributes sorted by key (Go map order), compose labels on every
// container event, image labels on image events, `time` then `timeNano` last.
//
// The sequence is deterministic (seeded PRNG), so every consumer of a replay
// gets exactly the same events; only `time`/`timeNano` differ (stamped at write).

/** Mulberry32: small, fast, deterministic. */
function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hex(rand, n) {
  let s = '';
  while (s.length < n)
    s += Math.floor(rand() * 0x100000000)
      .toString(16)
      .padStart(8, '0');
  return s.slice(0, n);
}

/** Go's json.Marshal of map[string]string: keys sorted. */
function attrsJson(attrs) {
  const keys = Object.keys(attrs).sort();
  return '{' + keys.map((k) => `${JSON.stringify(k)}:${JSON.stringify(attrs[k])}`).join(',') + '}';
}

const PROJECTS = ['shop', 'billing', 'search', 'auth', 'media', 'ledger'];
const SERVICES = ['api', 'worker', 'web', 'db', 'cache', 'scheduler', 'proxy', 'exporter'];
const HEALTH_CMDS = [
  '/bin/sh -c curl -fsS http://localhost:8080/healthz || exit 1',
  '/bin/sh -c pg_isready -U postgres -h 127.0.0.1',
  '/bin/sh -c redis-cli ping | grep PONG',
  '/bin/sh -c wget -qO- http://127.0.0.1:9100/metrics > /dev/null',
];

/** A host's worth of compose containers (the "hundreds with health checks" case). */
function makeContainers(rand, count) {
  const out = [];
  for (let i = 0; i < count; i++) {
    const project = PROJECTS[i % PROJECTS.length];
    const service = SERVICES[Math.floor(i / PROJECTS.length) % SERVICES.length];
    const number = String(1 + Math.floor(i / (PROJECTS.length * SERVICES.length)));
    const version = `1.${40 + (i % 7)}.${i % 10}`;
    const image = `registry.example.com/${project}/${service}:${version}`;
    const name = `${project}-${service}-${number}`;
    out.push({
      id: hex(rand, 64),
      name,
      image,
      project,
      healthCmd: HEALTH_CMDS[i % HEALTH_CMDS.length],
      labels: {
        'com.docker.compose.config-hash': hex(rand, 64),
        'com.docker.compose.container-number': number,
        'com.docker.compose.depends_on': i % 3 === 0 ? '' : `db:service_healthy:false,cache:service_started:false`,
        'com.docker.compose.image': `sha256:${hex(rand, 64)}`,
        'com.docker.compose.oneoff': 'False',
        'com.docker.compose.project': project,
        'com.docker.compose.project.config_files': `/srv/${project}/docker-compose.yml`,
        'com.docker.compose.project.working_dir': `/srv/${project}`,
        'com.docker.compose.service': service,
        'com.docker.compose.version': '2.27.0',
        'org.opencontainers.image.source': `https://git.example.com/${project}/${service}`,
        'org.opencontainers.image.version': version,
      },
      volume: `${project}_${service}_data`,
      network: { id: hex(rand, 64), name: `${project}_default` },
    });
  }
  return out;
}

/** Weighted mix: health checks dominate a busy host (exec triplets), then lifecycle. */
const MIX = [
  ['exec_create', 17],
  ['exec_start', 17],
  ['exec_die', 17],
  ['health_status', 6],
  ['create', 4],
  ['start', 5],
  ['die', 5],
  ['kill', 2],
  ['stop', 2],
  ['destroy', 4],
  ['net_connect', 4],
  ['net_disconnect', 4],
  ['vol_create', 2],
  ['vol_mount', 3],
  ['vol_unmount', 2],
  ['img_pull', 3],
  ['img_tag', 3],
];
const EXIT_CODES = ['0', '0', '0', '1', '137', '143', '3'];

/**
 * Everything of an event line before `"time":…`. Returns [prefix, kind]:
 * the line is `prefix + '"time":' + sec + ',"timeNano":' + nanos + '}\n'`.
 */
function buildPrefix(kind, c, variant) {
  const cont = (action, extra = {}) => {
    const attrs = attrsJson({ ...c.labels, ...extra, image: c.image, name: c.name });
    return (
      `{"status":${JSON.stringify(action)},"id":"${c.id}","from":${JSON.stringify(c.image)},"Type":"container",` +
      `"Action":${JSON.stringify(action)},"Actor":{"ID":"${c.id}","Attributes":${attrs}},"scope":"local",`
    );
  };
  const execID = c.id.slice(variant % 7, (variant % 7) + 32) + c.id.slice(0, 32);
  switch (kind) {
    case 'exec_create':
      return cont(`exec_create: ${c.healthCmd}`, { execID });
    case 'exec_start':
      return cont(`exec_start: ${c.healthCmd}`, { execID });
    case 'exec_die':
      return cont('exec_die', { execID, exitCode: variant % 11 === 0 ? '1' : '0' });
    case 'health_status':
      return cont(`health_status: ${variant % 5 === 0 ? 'unhealthy' : 'healthy'}`);
    case 'create':
    case 'start':
    case 'stop':
    case 'destroy':
      return cont(kind);
    case 'die':
      return cont('die', { exitCode: EXIT_CODES[variant % EXIT_CODES.length] });
    case 'kill':
      return cont('kill', { signal: variant % 2 === 0 ? '15' : '9' });
    case 'net_connect':
    case 'net_disconnect':
      return (
        `{"Type":"network","Action":"${kind === 'net_connect' ? 'connect' : 'disconnect'}","Actor":{"ID":"${c.network.id}",` +
        `"Attributes":${attrsJson({ container: c.id, name: c.network.name, type: 'bridge' })}},"scope":"local",`
      );
    case 'vol_create':
      return `{"Type":"volume","Action":"create","Actor":{"ID":"${c.volume}","Attributes":{"driver":"local"}},"scope":"local",`;
    case 'vol_mount':
      return (
        `{"Type":"volume","Action":"mount","Actor":{"ID":"${c.volume}","Attributes":` +
        `${attrsJson({ container: c.id, destination: '/var/lib/data', driver: 'local', propagation: '', 'read/write': 'true' })}},"scope":"local",`
      );
    case 'vol_unmount':
      return `{"Type":"volume","Action":"unmount","Actor":{"ID":"${c.volume}","Attributes":${attrsJson({ container: c.id, driver: 'local' })}},"scope":"local",`;
    case 'img_pull':
    case 'img_tag': {
      const action = kind === 'img_pull' ? 'pull' : 'tag';
      const imageLabels = {
        'org.opencontainers.image.source': c.labels['org.opencontainers.image.source'],
        'org.opencontainers.image.version': c.labels['org.opencontainers.image.version'],
        name: kind === 'img_pull' ? c.image.slice(0, c.image.lastIndexOf(':')) : c.image,
      };
      const id = kind === 'img_pull' ? c.image : `sha256:${c.labels['com.docker.compose.image'].slice(7)}`;
      return (
        `{"status":"${action}","id":${JSON.stringify(id)},"Type":"image","Action":"${action}",` +
        `"Actor":{"ID":${JSON.stringify(id)},"Attributes":${attrsJson(imageLabels)}},"scope":"local",`
      );
    }
    default:
      throw new Error(`unknown kind ${kind}`);
  }
}

/**
 * A replay: a pool of containers and a memo of event-line prefixes per
 * (kind, container, variant), shared by every stream. `sequence()` starts a
 * new deterministic sequence (the same for every call); its `next()` returns
 * the next event's prefix as a latin1 Buffer (everything before `"time":`).
 */
export function eventSource({ seed = 42, containers = 300 } = {}) {
  const pool = makeContainers(prng(seed ^ 0x5eed), containers);
  const total = MIX.reduce((n, [, w]) => n + w, 0);
  const table = [];
  for (const [kind, w] of MIX) for (let i = 0; i < w; i++) table.push(MIX.findIndex(([k]) => k === kind));
  const VARIANTS = 8;
  const memo = new Array(MIX.length * pool.length * VARIANTS);
  const prefix = (k, ci, variant) => {
    const slot = (k * pool.length + ci) * VARIANTS + variant;
    return (memo[slot] ??= Buffer.from(buildPrefix(MIX[k][0], pool[ci], variant), 'latin1'));
  };
  return {
    containers: pool,
    /** Builds every prefix now (about 40k strings), so the first stream is not slower. */
    prewarm() {
      for (let k = 0; k < MIX.length; k++) for (let ci = 0; ci < pool.length; ci++) for (let v = 0; v < VARIANTS; v++) prefix(k, ci, v);
    },
    sequence() {
      const rand = prng(seed);
      return {
        next() {
          const k = table[Math.floor(rand() * total)];
          const ci = Math.floor(rand() * pool.length);
          const variant = Math.floor(rand() * VARIANTS);
          return prefix(k, ci, variant);
        },
      };
    },
  };
}

/**
 * Wall-clock nanoseconds as [seconds, 9-digit fraction] strings, strictly
 * increasing within a process (the agent de-duplicates on timeNano + actor +
 * action, so two identical events must not share a timestamp).
 */
export function wallClockNanos() {
  const originMs = performance.timeOrigin;
  let lastSec = 0;
  let lastFrac = -1;
  return () => {
    const ms = originMs + performance.now();
    let sec = Math.floor(ms / 1000);
    let frac = Math.floor((ms - sec * 1000) * 1e6);
    if (sec < lastSec || (sec === lastSec && frac <= lastFrac)) {
      sec = lastSec;
      frac = lastFrac + 1;
      if (frac >= 1e9) {
        sec++;
        frac = 0;
      }
    }
    lastSec = sec;
    lastFrac = frac;
    return [String(sec), String(frac).padStart(9, '0')];
  };
}

/** The same clock as wallClockNanos, as a float of milliseconds (for latency readers). */
export function wallClockMs() {
  return performance.timeOrigin + performance.now();
}
