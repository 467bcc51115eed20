import type { ViolationSeconds } from './violations.js';

/**
 * What an evaluation of one scenario (one trace, one failure plan) can say, real or simulated:
 * whether it decides anything ("deciding"), and for each policy that changes the interval,
 * whether a static interval dominates it, its total violation time against the best static
 * interval in hindsight, and (in simulation) how much of the gap from that static to the load
 * oracle it closes. Pure, from the rows of the evaluation JSON.
 */

/** The row name of the simulator's load oracle (sim/oracle.ts). */
export const ORACLE_NAME = 'oracle';
export const isStaticName = (name: string): boolean => name.startsWith('static:');

/** The figures of a JSON row the verdict reads. */
export interface VerdictRow {
  name: string;
  latencyViolationShare: number;
  recoveryViolations: number;
  violationSeconds: ViolationSeconds;
}

export interface PolicyVerdict {
  name: string;
  /** The statics better or equal on both (latency violation share, recovery violations) and better on one. */
  dominatedBy: string[];
  /** Its total violation seconds / the best static's; null when the best static has none. The goal is ≤ 0.8. */
  totalRatioToBestStatic: number | null;
  /** (best static − it) / (best static − oracle) in total violation seconds; null without an oracle or when the oracle does no better than the best static. */
  oracleGapClosed: number | null;
}

export interface ScenarioVerdict {
  deciding: boolean;
  /** One sentence: why it decides, or plainly why not. */
  reason: string;
  /** The static interval with the least total violation seconds (the first listed on a tie); null without statics. */
  bestStatic: string | null;
  /** The statics on the Pareto frontier of (latency violation share, recovery violations). */
  staticFrontier: string[];
  /** Every row that is neither a static interval nor the oracle, in order. */
  policies: PolicyVerdict[];
}

/** a dominates b: no worse on both axes, better on one. */
const dominates = (a: VerdictRow, b: VerdictRow) =>
  a.latencyViolationShare <= b.latencyViolationShare && a.recoveryViolations <= b.recoveryViolations && (a.latencyViolationShare < b.latencyViolationShare || a.recoveryViolations < b.recoveryViolations);

const argminAll = (rows: readonly VerdictRow[], f: (r: VerdictRow) => number): VerdictRow[] => {
  const best = Math.min(...rows.map(f));
  return rows.filter((r) => f(r) === best);
};

const pct = (x: number) => `${(x * 100).toFixed(2)} %`;

/**
 * The scenario decides iff (1) the best static interval in hindsight (least total violation
 * seconds) still has violations, and (2) the statics trade one target against the other: no
 * static has both the fewest recovery violations and the least latency violation share. Without
 * (1) nothing is left to improve; without (2) one fixed interval is best on both, so choosing at
 * runtime cannot win anything. Fewer than two statics decide nothing either.
 */
export function judgeScenario(rows: readonly VerdictRow[]): ScenarioVerdict {
  const statics = rows.filter((r) => isStaticName(r.name));
  const oracle = rows.find((r) => r.name === ORACLE_NAME);
  const best = statics.length > 0 ? statics.reduce((a, b) => (b.violationSeconds.total < a.violationSeconds.total ? b : a)) : undefined;
  const policies = rows
    .filter((r) => !isStaticName(r.name) && r.name !== ORACLE_NAME)
    .map((p): PolicyVerdict => {
      const b = best?.violationSeconds.total;
      const o = oracle?.violationSeconds.total;
      return {
        name: p.name,
        dominatedBy: statics.filter((s) => dominates(s, p)).map((s) => s.name),
        totalRatioToBestStatic: b === undefined || b === 0 ? null : p.violationSeconds.total / b,
        oracleGapClosed: b === undefined || o === undefined || !(b - o > 0) ? null : (b - p.violationSeconds.total) / (b - o),
      };
    });
  const staticFrontier = statics.filter((s) => !statics.some((t) => dominates(t, s))).map((s) => s.name);
  const verdict = (deciding: boolean, reason: string): ScenarioVerdict => ({ deciding, reason, bestStatic: best?.name ?? null, staticFrontier, policies });

  if (statics.length < 2 || !best) return verdict(false, `not deciding: ${statics.length} static interval(s) evaluated, and a trade-off needs at least two to compare`);
  if (best.violationSeconds.total === 0) return verdict(false, `not deciding: the best static interval in hindsight, ${best.name}, has no violation at all: the targets bind nothing here`);
  const fewestRecovery = argminAll(statics, (s) => s.recoveryViolations);
  const leastLatency = argminAll(statics, (s) => s.latencyViolationShare);
  const both = fewestRecovery.find((s) => leastLatency.includes(s));
  if (both)
    return verdict(false, `not deciding: ${both.name} has both the fewest recovery violations (${both.recoveryViolations}) and the least latency violation share (${pct(both.latencyViolationShare)}) of the static intervals, so they trade nothing`);
  const r = fewestRecovery[0]!;
  const l = leastLatency[0]!;
  return verdict(
    true,
    `deciding: the best static interval in hindsight, ${best.name}, still has ${best.violationSeconds.total} s of violations, and the statics trade one target against the other: ${r.name} has the fewest recovery violations (${r.recoveryViolations}), ${l.name} the least latency violation share (${pct(l.latencyViolationShare)})`,
  );
}
