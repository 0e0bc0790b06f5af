// The fast lane, `npm run test:unit`: the tests that need no Docker or Podman
// daemon, no Kafka, no Prometheus and no root (pure code, recorded fixtures,
// in-process peers: the fake daemon, the OTLP receiver, loopback servers,
// temp dirs), without the time-boxed fuzzers of the HTTP client. No shared
// dockerd is started, so files run in parallel.
// test/harness/unit-lane.test.ts keeps this list honest.
import { defineConfig } from 'vitest/config';
import main from './vitest.config.js';

/** Test files, or folders whose every test file belongs here. */
export const UNIT_TESTS = [
  'test/agent/reload-plan.test.ts',
  'test/config',
  'test/docs',
  'test/util',
  'test/pipeline',
  'test/plugin.test.ts',
  'test/records.test.ts',
  'test/deploy/compose.test.ts',
  'test/deploy/docker.test.ts',
  'test/deploy/systemd.test.ts',
  'test/docker/client.test.ts',
  'test/docker/containers.test.ts',
  'test/docker/http1.test.ts',
  'test/docker/ndjson.test.ts',
  'test/faults/malformed.test.ts',
  'test/fixtures/engines.test.ts',
  'test/fixtures/engines-inspect.test.ts',
  'test/harness/unit-lane.test.ts',
  'test/sinks/file',
  'test/sinks/stdout',
  'test/sinks/kafka/kafkajs-internals.test.ts',
  'test/sinks/kafka/mapping.test.ts',
  'test/sinks/kafka/partitioner.test.ts',
  'test/sinks/kafka/produce-encoder.test.ts',
  'test/sinks/otlp/contract.test.ts',
  'test/sinks/otlp/env.test.ts',
  'test/sinks/otlp/mapping.test.ts',
  'test/sinks/otlp/otlp.test.ts',
  'test/sinks/otlp/tls.test.ts',
  'test/sinks/prometheus/exporter-contract.test.ts',
  'test/sinks/prometheus/exporter.test.ts',
  'test/sinks/prometheus/names.test.ts',
  'test/sinks/prometheus/remote-write.test.ts',
  'test/sources/fuzz-json.test.ts',
  'test/sources/docker-containers/source.test.ts',
  'test/sources/docker-containers/tracker.test.ts',
  'test/sources/docker-df/alerts.test.ts',
  'test/sources/docker-df/cli-format.test.ts',
  'test/sources/docker-df/formulas.test.ts',
  'test/sources/docker-df/largest.test.ts',
  'test/sources/docker-df/options.test.ts',
  'test/sources/docker-df/prune.test.ts',
  'test/sources/docker-df/source.test.ts',
  'test/sources/docker-events/engine-query.test.ts',
  'test/sources/docker-events/normalize.test.ts',
  'test/sources/docker-events/podman.test.ts',
  'test/sources/docker-events/reconnect.test.ts',
  'test/sources/docker-stats/container-set.test.ts',
  'test/sources/docker-stats/normalize.test.ts',
  'test/sources/docker-stats/selection.test.ts',
  'test/telemetry/server.test.ts',
];

/** Fast-lane files that need a fresh module registry (they check what KafkaJS's first load does). */
export const ISOLATED_UNIT_TESTS = ['test/sinks/kafka/kafkajs-internals.test.ts'];

const globs = (entries: readonly string[]) => entries.map((p) => (p.endsWith('.ts') ? p : `${p}/**/*.test.ts`));
const shared = { ...main.test, globalSetup: [], fileParallelism: true };

export default defineConfig({
  test: {
    projects: [
      // Files in one worker share loaded modules: about 3× faster than isolating each file.
      { test: { ...shared, name: 'unit', include: globs(UNIT_TESTS), exclude: ISOLATED_UNIT_TESTS, isolate: false } },
      { test: { ...shared, name: 'unit-isolated', include: ISOLATED_UNIT_TESTS, isolate: true } },
    ],
  },
});
