// The sink contract (test/sinks/contract.ts) for prometheus_remote_write, on a
// real Prometheus (test/harness/prometheus.ts): each sink labels its series
// `contract="<its tag>"`, read back with an instant query.
import { remoteWriteSinkPlugin } from '../../../src/sinks/prometheus_remote_write/plugin.js';
import { freePort, startPrometheus, type PrometheusServer } from '../../harness/prometheus.js';
import { sinkContext } from '../../harness/records.js';
import { startSilentPeer } from '../../harness/silent-peer.js';
import { receivedAtLeast, sinkContract } from '../contract.js';
import { CONTRACT_NAMES, contractSeries, expectedSeries, recentBatch } from './fixtures.js';

let prom: PrometheusServer | undefined;
let n = 0;

const remoteWrite = (endpoint: string, tag: string) =>
  remoteWriteSinkPlugin.create('rw', remoteWriteSinkPlugin.options.parse({ endpoint, timeout: '5s', labels: { contract: tag } }), sinkContext());

async function queried(tag: string): Promise<unknown[]> {
  const result = await (prom as PrometheusServer).query(`{__name__=~"${CONTRACT_NAMES}",contract="${tag}"}`);
  return contractSeries(result.map((r) => ({ name: r.metric['__name__'] ?? '', labels: r.metric, value: Number(r.value[1]) })));
}

sinkContract('prometheus_remote_write', {
  setup: async () => {
    prom = await startPrometheus();
  },
  teardown: async () => prom?.stop(),
  create: async () => {
    const tag = `c${n++}`;
    return {
      sink: remoteWrite(`${(prom as PrometheusServer).url}/api/v1/write`, tag),
      received: (atLeast) => receivedAtLeast(() => queried(tag), atLeast, 100),
    };
  },
  batch: recentBatch,
  expected: expectedSeries,
  checkLine: /^prometheus_remote_write http:\/\/127\.0\.0\.1:\d+\/api\/v1\/write: empty write accepted$/,
  held: async () => {
    // A receiver that accepts the connection and never answers.
    const peer = await startSilentPeer();
    return { sink: remoteWrite(`http://${peer.address}/api/v1/write`, 'held'), batch: recentBatch(), reached: peer.reached, release: peer.close };
  },
  unreachable: async () => remoteWrite(`http://127.0.0.1:${await freePort()}/api/v1/write`, 'nowhere'),
});
