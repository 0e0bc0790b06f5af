import type { SinkPlugin } from '../pipeline/types.js';
import { fileSinkPlugin } from './file/plugin.js';
import { kafkaSinkPlugin } from './kafka/plugin.js';
import { otlpSinkPlugin } from './otlp/plugin.js';
import { prometheusExporterSinkPlugin } from './prometheus_exporter/plugin.js';
import { remoteWriteSinkPlugin } from './prometheus_remote_write/plugin.js';
import { stdoutSinkPlugin } from './stdout/plugin.js';

/** Every sink type the config can name. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const SINK_PLUGINS: readonly SinkPlugin<any>[] = [
  stdoutSinkPlugin,
  fileSinkPlugin,
  kafkaSinkPlugin,
  otlpSinkPlugin,
  prometheusExporterSinkPlugin,
  remoteWriteSinkPlugin,
];
