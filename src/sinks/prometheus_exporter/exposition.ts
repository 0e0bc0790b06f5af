/**
 * Exposition through prom-client's Registry (escaping, text format 0.0.4 and
 * OpenMetrics 1.0), fed from the SeriesStore: one read-only family view per
 * catalog metric and format (prom-client renames counters in place for
 * OpenMetrics, so the two registries must not share objects).
 */
import { Registry, type RegistryContentType } from 'prom-client';
import { specNaN } from '../../telemetry/server.js';
import { FAMILIES, type Family } from '../prometheus/series.js';
import type { SeriesStore } from './store.js';

interface FamilyView {
  name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  get(): { name: string; help: string; type: string; values: { labels: Readonly<Record<string, string>>; value: number }[]; aggregator: 'sum' };
}

function view(family: Family, store: SeriesStore): FamilyView {
  const v: FamilyView = {
    name: family.name,
    help: family.help,
    type: family.type,
    get: () => ({ name: v.name, help: family.help, type: family.type, values: store.values(family), aggregator: 'sum' }),
  };
  return v;
}

function registryOf(contentType: RegistryContentType, store: SeriesStore): Registry<RegistryContentType> {
  const registry = new Registry<RegistryContentType>();
  registry.setContentType(contentType);
  // prom-client's Registry formats any object with name, help, type and get().
  for (const family of FAMILIES.values()) registry.registerMetric(view(family, store) as unknown as Parameters<Registry['registerMetric']>[0]);
  return registry;
}

/** Does the scraper prefer OpenMetrics (as Prometheus does when it may)? */
export function wantsOpenMetrics(accept: string | undefined): boolean {
  return accept !== undefined && /application\/openmetrics-text/i.test(accept);
}

export class Exposition {
  private readonly text: Registry<RegistryContentType>;
  private readonly openMetrics: Registry<RegistryContentType>;

  constructor(store: SeriesStore) {
    this.text = registryOf(Registry.PROMETHEUS_CONTENT_TYPE, store);
    this.openMetrics = registryOf(Registry.OPENMETRICS_CONTENT_TYPE, store);
  }

  async render(accept: string | undefined): Promise<{ contentType: string; body: string }> {
    const registry = wantsOpenMetrics(accept) ? this.openMetrics : this.text;
    return { contentType: registry.contentType, body: specNaN(await registry.metrics()) };
  }
}
