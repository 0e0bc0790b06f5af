/**
 * The attributes describing who a record is about: the daemon host (semantic
 * convention names where they exist, `dockstream.daemon.*` otherwise) plus,
 * for records about a container, the container as the `docker_stats` receiver
 * names it. The OTLP sink puts them on its Resources; the Prometheus sinks
 * promote some of them to labels (src/sinks/prometheus/labels.ts). No
 * OpenTelemetry SDK import here: the Prometheus sinks load this too.
 */
import type { ContainerRef, HostInfo } from '../../records.js';

export interface ResourceSettings {
  readonly serviceVersion: string;
  /** Container label key → resource attribute name (e.g. `com.docker.compose.service` → `container.label.com.docker.compose.service`). */
  readonly containerLabels: Readonly<Record<string, string>>;
  /** Static attributes added to every resource (e.g. `deployment.environment.name`). */
  readonly extra: Readonly<Record<string, string>>;
}

export function resourceAttributes(settings: ResourceSettings, host: HostInfo, container: ContainerRef | undefined): Record<string, string> {
  const attrs: Record<string, string> = {
    ...settings.extra,
    'service.name': 'dockstream',
    'service.version': settings.serviceVersion,
    'host.name': host.name,
    // `container.runtime` is what the docker_stats receiver sets; newer semantic conventions say `.name`.
    'container.runtime': host.engine,
    'container.runtime.name': host.engine,
    'container.runtime.version': host.version,
    'dockstream.daemon.name': host.daemon,
    'dockstream.daemon.id': host.daemon_id,
    'dockstream.daemon.api_version': host.api_version,
  };
  if (container) {
    attrs['container.id'] = container.id;
    attrs['container.name'] = container.name;
    attrs['container.image.name'] = container.image;
    if (container.compose) {
      attrs['docker.compose.project'] = container.compose.project;
      attrs['docker.compose.service'] = container.compose.service;
      if (container.compose.number !== null) attrs['docker.compose.container_number'] = String(container.compose.number);
    }
    if (container.swarm) {
      attrs['docker.swarm.service.name'] = container.swarm.service;
      if (container.swarm.task !== null) attrs['docker.swarm.task.name'] = container.swarm.task;
      if (container.swarm.node_id !== null) attrs['docker.swarm.node.id'] = container.swarm.node_id;
    }
    for (const [label, attribute] of Object.entries(settings.containerLabels)) {
      const value = container.labels?.[label];
      if (value !== undefined && value !== '') attrs[attribute] = value;
    }
  }
  return attrs;
}

/** `container_labels` option (shared by the OTLP and Prometheus sinks): a list (as `container.label.<key>`) or label → attribute name. */
export function labelAttributes(labels: readonly string[] | Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (labels === undefined) return {};
  if (!Array.isArray(labels)) return { ...(labels as Readonly<Record<string, string>>) };
  return Object.fromEntries((labels as readonly string[]).map((l) => [l, `container.label.${l}`]));
}
