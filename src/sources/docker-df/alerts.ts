/**
 * Disk threshold rules (pure; time is passed in). Per rule:
 *
 *   ok ──value ≥ threshold──► pending ──held for `for`──► firing ──value < clear level──► ok
 *            (for = 0: straight to firing)   │ value < threshold: back to ok
 *
 * The clear level is `threshold − threshold × hysteresis / 100`, so a value
 * hovering at the line fires once and does not flap. Only `firing` and
 * `resolved` transitions are reported; `pending` is internal.
 */
import type { AlertRecord, DiskUsageEntry } from '../../records.js';

export type AlertObject = AlertRecord['object'];
export type AlertMetric = AlertRecord['metric'];

export interface AlertRule {
  readonly name: string;
  readonly object: AlertObject;
  readonly metric: AlertMetric;
  readonly threshold: number;
  /** How long the value must stay at or above the threshold before firing. */
  readonly forMs: number;
  /** Width of the recovery band, in percent of the threshold. */
  readonly hysteresisPercent: number;
}

export interface AlertTransition {
  readonly rule: AlertRule;
  readonly state: 'firing' | 'resolved';
  readonly value: number;
}

export type RulePhase = 'ok' | 'pending' | 'firing';

/** Rows of one disk_usage observation, by object (`total` included). */
export type DiskRows = Readonly<Partial<Record<AlertObject, DiskUsageEntry>>>;

export function clearLevel(rule: AlertRule): number {
  return rule.threshold - (rule.threshold * rule.hysteresisPercent) / 100;
}

export function ruleValue(rows: DiskRows, rule: AlertRule): number | undefined {
  return rows[rule.object]?.[rule.metric];
}

interface RuleState {
  phase: RulePhase;
  /** When the value reached the threshold (pending). */
  since: number;
}

export class AlertEvaluator {
  private readonly rules: readonly AlertRule[];
  private readonly states = new Map<string, RuleState>();

  constructor(rules: readonly AlertRule[]) {
    this.rules = rules;
    for (const rule of rules) this.states.set(rule.name, { phase: 'ok', since: 0 });
  }

  /** Feed one observation taken at `nowMs`; returns the transitions to report, in rule order. */
  observe(rows: DiskRows, nowMs: number): AlertTransition[] {
    const out: AlertTransition[] = [];
    for (const rule of this.rules) {
      const value = ruleValue(rows, rule);
      // No figure (type not polled this time): keep the state as it is.
      if (value === undefined) continue;
      const state = this.states.get(rule.name) as RuleState;
      const above = value >= rule.threshold;
      switch (state.phase) {
        case 'ok':
          if (!above) break;
          state.since = nowMs;
          state.phase = 'pending';
          if (rule.forMs <= 0) {
            state.phase = 'firing';
            out.push({ rule, state: 'firing', value });
          }
          break;
        case 'pending':
          if (!above) state.phase = 'ok';
          else if (nowMs - state.since >= rule.forMs) {
            state.phase = 'firing';
            out.push({ rule, state: 'firing', value });
          }
          break;
        case 'firing':
          if (value < clearLevel(rule)) {
            state.phase = 'ok';
            out.push({ rule, state: 'resolved', value });
          }
          break;
      }
    }
    return out;
  }

  phase(name: string): RulePhase | undefined {
    return this.states.get(name)?.phase;
  }

  /** Every rule's phase (and since when it is pending or firing), to persist across restarts. */
  snapshot(): AlertSnapshot {
    const rules: Record<string, { phase: RulePhase; since: number }> = {};
    for (const [name, st] of this.states) rules[name] = { phase: st.phase, since: st.since };
    return { rules };
  }

  /**
   * Take up where a previous run stopped: a rule that was firing does not
   * fire again while still true, and resolves at the first observation below
   * its clear level. Rules no longer configured, and malformed entries, are ignored.
   */
  restore(snapshot: unknown): void {
    const rules = (snapshot as { rules?: unknown } | null)?.rules;
    if (typeof rules !== 'object' || rules === null) return;
    for (const [name, saved] of Object.entries(rules as Record<string, unknown>)) {
      const state = this.states.get(name);
      const { phase, since } = (saved ?? {}) as { phase?: unknown; since?: unknown };
      if (!state || (phase !== 'ok' && phase !== 'pending' && phase !== 'firing') || typeof since !== 'number') continue;
      state.phase = phase;
      state.since = since;
    }
  }
}

export interface AlertSnapshot {
  readonly rules: Readonly<Record<string, { readonly phase: RulePhase; readonly since: number }>>;
}
