import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { BUILTIN_PLUGINS } from '../../../src/builtin-plugins.js';
import { dockerDfOptions, toAlertRules } from '../../../src/sources/docker-df/options.js';

const issues = (input: unknown): string[] => {
  const r = dockerDfOptions.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('docker_df options', () => {
  it('has defaults: 5m interval, 2m timeout, every object type, no rules', () => {
    expect(dockerDfOptions.parse({})).toEqual({
      interval: 300_000,
      timeout: 120_000,
      objects: ['images', 'containers', 'volumes', 'build_cache'],
      verbose: false,
      top: 10,
      rules: [],
    });
  });

  it('turns rules into evaluator rules with human sizes and durations', () => {
    const o = dockerDfOptions.parse({
      interval: '30s',
      rules: [
        { object: 'images', reclaimable_bytes: '10GiB' },
        { name: 'half', object: 'total', reclaimable_percent: 50, for: '10m', hysteresis: 10 },
        { object: 'volumes', size_bytes: '100GB' },
      ],
    });
    expect(toAlertRules(o.rules)).toEqual([
      { name: 'images_reclaimable_bytes', object: 'images', metric: 'reclaimable_bytes', threshold: 10 * 1024 ** 3, forMs: 0, hysteresisPercent: 5 },
      { name: 'half', object: 'total', metric: 'reclaimable_percent', threshold: 50, forMs: 600_000, hysteresisPercent: 10 },
      { name: 'volumes_size_bytes', object: 'volumes', metric: 'size_bytes', threshold: 100e9, forMs: 0, hysteresisPercent: 5 },
    ]);
    expect(o.interval).toBe(30_000);
  });

  it('needs exactly one metric per rule', () => {
    expect(issues({ rules: [{ object: 'images' }] })).toEqual([
      'rules.0: a rule needs exactly one of reclaimable_bytes, reclaimable_percent, size_bytes (got 0)',
    ]);
    expect(issues({ rules: [{ object: 'images', size_bytes: 1, reclaimable_bytes: 2 }] })).toEqual([
      'rules.0: a rule needs exactly one of reclaimable_bytes, reclaimable_percent, size_bytes (got 2)',
    ]);
  });

  it('rejects bad thresholds, unknown keys, unpolled objects and duplicate names', () => {
    expect(issues({ rules: [{ object: 'images', size_bytes: 0 }] })).toEqual(['rules.0.size_bytes: threshold must be greater than 0']);
    expect(issues({ rules: [{ object: 'images', reclaimable_percent: 150 }] })).toHaveLength(1);
    expect(issues({ rules: [{ object: 'images', size_bytes: '1GB', treshold: 1 }] })).toHaveLength(1);
    expect(issues({ objects: ['volumes'], rules: [{ object: 'images', size_bytes: '1GB' }] })).toEqual([
      'rules.0.object: "images" is not among the polled objects (volumes)',
    ]);
    expect(
      issues({
        rules: [
          { object: 'images', size_bytes: '1GB' },
          { object: 'images', size_bytes: '2GB' },
        ],
      }),
    ).toEqual(['rules.1.name: duplicate rule name "images_size_bytes" (also rules[0]); give the rules distinct names']);
  });

  it('rejects a zero interval or timeout, empty objects and unknown types', () => {
    expect(issues({ interval: 0 })).toEqual(['interval: interval must be greater than 0']);
    expect(issues({ timeout: '0' })).toEqual(['timeout: timeout must be greater than 0']);
    expect(issues({ objects: [] })).toHaveLength(1);
    expect(issues({ objects: ['networks'] })).toHaveLength(1);
  });
});

describe('docker_df in the agent config', () => {
  const yaml = (rules: string): string => `
sources:
  disk:
    type: docker_df
    interval: 1m
    objects: [images, volumes]
    rules:
${rules}
sinks:
  out:
    type: stdout
    inputs: [disk]
`;

  it('is a registered source type with its options', () => {
    const config = parseConfig(yaml('      - { object: volumes, reclaimable_bytes: 10GiB, for: 5m }'), 'config.yaml', BUILTIN_PLUGINS, {});
    expect(config.sources['disk']).toMatchObject({
      type: 'docker_df',
      interval: 60_000,
      timeout: 120_000,
      objects: ['images', 'volumes'],
      rules: [{ object: 'volumes', reclaimable_bytes: 10 * 1024 ** 3, for: 300_000, hysteresis: 5 }],
    });
  });

  it('reports rule problems with their path and line', () => {
    expect(() => parseConfig(yaml('      - { object: containers, size_bytes: 1GB }'), 'config.yaml', BUILTIN_PLUGINS, {})).toThrow(
      /config\.yaml:8: sources\.disk\.rules\[0\]\.object: "containers" is not among the polled objects \(images, volumes\)/,
    );
  });
});
