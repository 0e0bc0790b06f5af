import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CONTAINER_METRICS, DISK_METRICS, STATS_METRICS } from '../../../src/sinks/otlp/catalog.js';
import { promLabelName, promMetricName, promType } from '../../../src/sinks/prometheus/names.js';
import { ALERT_METRIC, EVENTS_METRIC, FAMILIES } from '../../../src/sinks/prometheus/series.js';

describe('OTLP → Prometheus names', () => {
  it('follows the translation examples of the issue and of Prometheus', () => {
    expect(promMetricName(STATS_METRICS.memUsage)).toBe('container_memory_usage_total_bytes');
    expect(promMetricName(DISK_METRICS.reclaimable)).toBe('docker_disk_reclaimable_bytes');
    // Monotonic sum: the `total` token moves to the end, after the unit.
    expect(promMetricName(STATS_METRICS.cpuTotal)).toBe('container_cpu_usage_nanoseconds_total');
    // The unit word is already a token: not appended twice.
    expect(promMetricName(STATS_METRICS.rxBytes)).toBe('container_network_io_usage_rx_bytes_total');
    // Annotations are dropped; gauges of unit 1 get _ratio.
    expect(promMetricName(STATS_METRICS.pidsCount)).toBe('container_pids_count');
    expect(promMetricName(STATS_METRICS.cpuUtilization)).toBe('container_cpu_utilization_ratio');
    expect(promMetricName({ name: 'http.server.request.rate', unit: 'By/s', kind: 'gauge' })).toBe('http_server_request_rate_bytes_per_second');
    expect(promMetricName({ name: 'x.y', unit: 'ms', kind: 'counter' })).toBe('x_y_milliseconds_total');
    expect(promLabelName('docker.disk.object_type')).toBe('docker_disk_object_type');
    expect(promLabelName('container.label.com.docker.compose.service')).toBe('container_label_com_docker_compose_service');
    expect(promLabelName('1st')).toBe('key_1st');
    expect(promLabelName('.hidden')).toBe('key_hidden');
  });

  it('docs/metrics.md lists exactly the names the sinks produce', () => {
    const doc = readFileSync(join(import.meta.dirname, '../../../docs/metrics.md'), 'utf8');
    const rows = [...doc.matchAll(/^\| `([a-z._]+)` \| `([^`]*)` \| (\w+) \| `([a-z_]+)` \| (\w+) \|$/gm)].map((m) => m.slice(1, 6));
    const specs = [...Object.values(STATS_METRICS), ...Object.values(DISK_METRICS), ...Object.values(CONTAINER_METRICS), ALERT_METRIC, EVENTS_METRIC];
    expect(rows).toEqual(specs.map((s) => [s.name, s.unit, s.kind, promMetricName(s), promType(s.kind)]));
    expect([...FAMILIES.values()].map((f) => f.name)).toEqual(rows.map((r) => r[3]));
  });
});
