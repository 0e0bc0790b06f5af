import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { containerOf, type ContainerRef, type DsRecord, type HostInfo } from '../../records.js';

export interface ResourceSettings {
  readonly serviceVersion: string;
  /** Container label key → resource attribute name (e.g. `com.docker.compose.service` → `container.label.com.docker.compose.service`). */
  readonly containerLabels: Readonly<Record<string, string>>;
  /** Static attributes added to every resource (e.g. `deployment.environment.name`). */
  readonly extra: Readonly<Record<string, string>>;
}

/** Bound on cached resources: one per (daemon, container) seen; cleared wholesale when exceeded. */
const MAX_CACHED = 4096;

/**
 * Builds the OTLP Resource of a record: the daemon host (semantic convention
 * names where they exist, `dockstream.daemon.*` otherwise) plus, for records
 * about a container, the container as the `docker_stats` receiver names it.
 * Resources are cached so that records of one container share one Resource
 * object: the log serializer groups records by Resource identity.
 */
export class ResourceCatalog {
  private readonly cache = new Map<string, Resource>();

  constructor(private readonly settings: ResourceSettings) {}

  forRecord(record: DsRecord): Resource {
    return this.resolve(record.host, containerOf(record));
  }

  resolve(host: HostInfo, container: ContainerRef | undefined): Resource {
    const key = JSON.stringify([host, container?.id, container?.name, container?.image, this.labelValues(container)]);
    let resource = this.cache.get(key);
    if (resource === undefined) {
      if (this.cache.size >= MAX_CACHED) this.cache.clear();
      resource = resourceFromAttributes(this.attributes(host, container));
      this.cache.set(key, resource);
    }
    return resource;
  }

  attributes(host: HostInfo, container: ContainerRef | undefined): Attributes {
    const attrs: Record<string, string> = {
      ...this.settings.extra,
      'service.name': 'dockstream',
      'service.version': this.settings.serviceVersion,
      'host.name': host.name,
      // `container.runtime` is what the docker_stats receiver sets; newer semantic conventions say `.name`.
      'container.runtime': host.engine,
      'container.runtime.name': host.engine,
      'container.runtime.version': host.version,
      'dockstream.daemon.id': host.daemon_id,
      'dockstream.daemon.api_version': host.api_version,
    };
    if (container) {
      attrs['container.id'] = container.id;
      attrs['container.name'] = container.name;
      attrs['container.image.name'] = container.image;
      for (const [label, attribute] of Object.entries(this.settings.containerLabels)) {
        const value = container.labels?.[label];
        if (value !== undefined && value !== '') attrs[attribute] = value;
      }
    }
    return attrs;
  }

  private labelValues(container: ContainerRef | undefined): (string | undefined)[] {
    if (!container?.labels) return [];
    return Object.keys(this.settings.containerLabels).map((label) => container.labels?.[label]);
  }
}
