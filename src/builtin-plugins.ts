/**
 * The source and sink types this build ships: the composition root's one
 * list. The core takes a PluginRegistry and imports no plugin (docs/design.md §7).
 */
import { PluginRegistry } from './plugin.js';
import { fileSinkPlugin } from './sinks/file/plugin.js';
import { kafkaSinkPlugin } from './sinks/kafka/plugin.js';
import { otlpSinkPlugin } from './sinks/otlp/plugin.js';
import { prometheusExporterSinkPlugin } from './sinks/prometheus_exporter/plugin.js';
import { remoteWriteSinkPlugin } from './sinks/prometheus_remote_write/plugin.js';
import { stdoutSinkPlugin } from './sinks/stdout/plugin.js';
import { dockerContainersPlugin } from './sources/docker-containers/plugin.js';
import { dockerDfPlugin } from './sources/docker-df/plugin.js';
import { dockerEventsPlugin } from './sources/docker-events/plugin.js';
import { dockerStatsPlugin } from './sources/docker-stats/plugin.js';

export const BUILTIN_PLUGINS = new PluginRegistry({
  sources: [dockerEventsPlugin, dockerStatsPlugin, dockerDfPlugin, dockerContainersPlugin],
  sinks: [stdoutSinkPlugin, fileSinkPlugin, kafkaSinkPlugin, otlpSinkPlugin, prometheusExporterSinkPlugin, remoteWriteSinkPlugin],
});
