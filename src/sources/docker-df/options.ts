import { z } from 'zod';
import { duration, size } from '../../options/units.js';
import { DISK_OBJECT_TYPES, type DiskObjectType } from '../../records.js';
import type { AlertMetric, AlertRule } from './alerts.js';

const METRICS = ['reclaimable_bytes', 'reclaimable_percent', 'size_bytes'] as const satisfies readonly AlertMetric[];

const ruleSchema = z
  .strictObject({
    /** Default: `<object>_<metric>`. Names must be unique. */
    name: z.string().min(1).optional(),
    object: z.enum([...DISK_OBJECT_TYPES, 'total']),
    reclaimable_bytes: size().optional(),
    reclaimable_percent: z.number().gt(0).lte(100).optional(),
    size_bytes: size().optional(),
    /** Hold time at or above the threshold before firing. */
    for: duration().default(0),
    /** Recovery band below the threshold, in percent of the threshold. */
    hysteresis: z.number().min(0).max(100).default(5),
  })
  .superRefine((rule, ctx) => {
    const given = METRICS.filter((m) => rule[m] !== undefined);
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `a rule needs exactly one of ${METRICS.join(', ')} (got ${given.length})` });
      return;
    }
    const metric = given[0] as AlertMetric;
    if (metric !== 'reclaimable_percent' && (rule[metric] as number) <= 0) {
      ctx.addIssue({ code: 'custom', path: [metric], message: 'threshold must be greater than 0' });
    }
  });

export type DiskRuleOptions = z.output<typeof ruleSchema>;

export const dockerDfOptions = z
  .strictObject({
    /** Poll period (the df call walks every layer and volume: keep it slow). */
    interval: duration().default(300_000),
    /** Per-poll deadline; a late poll is a counted failure. */
    timeout: duration().default(120_000),
    /** Object types to report; on API >= 1.42 only these are computed (`type=`). */
    objects: z
      .array(z.enum(DISK_OBJECT_TYPES))
      .min(1)
      .default([...DISK_OBJECT_TYPES]),
    /** Add the largest `top` objects per type to each record. */
    verbose: z.boolean().default(false),
    top: z.number().int().positive().default(10),
    rules: z.array(ruleSchema).default([]),
  })
  .superRefine((o, ctx) => {
    if (o.interval <= 0) ctx.addIssue({ code: 'custom', path: ['interval'], message: 'interval must be greater than 0' });
    if (o.timeout <= 0) ctx.addIssue({ code: 'custom', path: ['timeout'], message: 'timeout must be greater than 0' });
    const seen = new Map<string, number>();
    o.rules.forEach((rule, i) => {
      if (rule.object !== 'total' && !o.objects.includes(rule.object)) {
        ctx.addIssue({ code: 'custom', path: ['rules', i, 'object'], message: `"${rule.object}" is not among the polled objects (${o.objects.join(', ')})` });
      }
      const name = ruleName(rule);
      const first = seen.get(name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['rules', i, 'name'],
          message: `duplicate rule name "${name}" (also rules[${first}]); give the rules distinct names`,
        });
      } else seen.set(name, i);
    });
  });

export type DockerDfOptions = z.output<typeof dockerDfOptions>;

function ruleMetric(rule: DiskRuleOptions): AlertMetric {
  return METRICS.find((m) => rule[m] !== undefined) ?? 'reclaimable_bytes';
}

export function ruleName(rule: DiskRuleOptions): string {
  return rule.name ?? `${rule.object}_${ruleMetric(rule)}`;
}

/** Validated options to the evaluator's rule form. */
export function toAlertRules(rules: readonly DiskRuleOptions[]): AlertRule[] {
  return rules.map((rule) => {
    const metric = ruleMetric(rule);
    return {
      name: ruleName(rule),
      object: rule.object,
      metric,
      threshold: rule[metric] as number,
      forMs: rule.for,
      hysteresisPercent: rule.hysteresis,
    };
  });
}

/** The `type=` values the daemon understands (API >= 1.42). */
export const DF_TYPE_PARAM: Readonly<Record<DiskObjectType, string>> = {
  images: 'image',
  containers: 'container',
  volumes: 'volume',
  build_cache: 'build-cache',
};
