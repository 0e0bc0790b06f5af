import type { Attributes } from '@opentelemetry/api';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import { containerOf, type ContainerRef, type DsRecord, type HostInfo } from '../../records.js';
import { resourceAttributes, type ResourceSettings } from './attributes.js';

export type { ResourceSettings } from './attributes.js';

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
    return resourceAttributes(this.settings, host, container);
  }

  private labelValues(container: ContainerRef | undefined): (string | undefined)[] {
    if (!container?.labels) return [];
    return Object.keys(this.settings.containerLabels).map((label) => container.labels?.[label]);
  }
}
