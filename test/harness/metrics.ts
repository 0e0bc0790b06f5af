// The agent's own metrics (src/telemetry/metrics.ts) read back in tests.
import type { Registry } from 'prom-client';

/**
 * The sum of the values of metric `name` over its series whose labels include
 * `labels` (every series with `{}`); throws when the registry has no such metric.
 */
export async function metricValue(metrics: { readonly registry: Registry }, name: string, labels: Readonly<Record<string, string>>): Promise<number> {
  const metric = metrics.registry.getSingleMetric(name);
  if (!metric) throw new Error(`no metric ${name}`);
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, want]) => v.labels[k] === want)).reduce((n, v) => n + v.value, 0);
}
