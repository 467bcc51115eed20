import { isStaticName, ORACLE_NAME, type ScenarioVerdict } from '../../core/evaluation/verdict.js';
import type { GapRow } from '../../core/sim/real-gap.js';
import type { EvaluationTimeline } from '../../core/evaluation/timeline.js';

/** An evaluation's output directory as read: its evaluate.json and, for a real one, sim-vs-real.json. */
export interface EvaluationFiles {
  dir: string;
  evaluate?: unknown;
  simVsReal?: unknown;
  /** timeline.json (src/core/evaluation/timeline.ts): absent in evaluations written before it was. */
  timeline?: unknown;
  /** Why evaluate.json could not be read, when it could not. */
  problem?: string;
}

export const NO_EVALUATIONS_HINT = 'no evaluations given: run `npx khaos evaluate --sim --config examples/evaluate-iot.yaml` (or without --sim, on the local stack), then `npx khaos dashboard --evaluations khaos-evaluate`';

interface PolicyRow {
  name: string;
  latencyViolationShare: number;
  recoveryViolations: number;
  checkpointOverhead: number;
  meanRecoveryS: number | null;
  maxRecoveryS: number | null;
  reconfigurations: number;
}

export interface EvaluationView {
  dir: string;
  /** SIMULATED (`evaluate --sim`: the fluid model) or MEASURED (real runs on Flink). */
  kind: 'simulated' | 'measured';
  policies: (PolicyRow & { role: 'static' | 'oracle' | 'policy' })[];
  verdict: ScenarioVerdict;
  /** Measured only: the simulator's prediction of the same runs against what was measured. */
  gaps: GapRow[];
  /** Each run's interval over time and its recoveries against the target, as the report drew them; undefined for an evaluation written before timeline.json. */
  timeline?: EvaluationTimeline;
}

/**
 * The Evaluations page's reading of an evaluation's files: the per-policy QoS figures, the
 * verdict (with the statics' Pareto frontier) as `khaos evaluate` judged it, simulated and
 * measured told apart, the sim-vs-real gaps, and each run's timeline (timeline.json, as the
 * report drew it). Nothing is judged or computed again here.
 */
export function evaluationView(f: EvaluationFiles): EvaluationView | { dir: string; problem: string } {
  const e = f.evaluate as { policies?: PolicyRow[]; verdict?: ScenarioVerdict; runs?: unknown[]; planId?: string } | undefined;
  if (f.problem || !e) return { dir: f.dir, problem: f.problem ?? 'no evaluate.json' };
  if (!Array.isArray(e.policies) || !e.verdict) return { dir: f.dir, problem: 'evaluate.json has no policies and verdict: not the output of `khaos evaluate`' };
  const role = (name: string) => (isStaticName(name) ? 'static' : name === ORACLE_NAME ? 'oracle' : 'policy') as 'static' | 'oracle' | 'policy';
  return {
    dir: f.dir,
    kind: Array.isArray(e.runs) || e.planId !== undefined ? 'measured' : 'simulated',
    policies: e.policies.map((p) => ({ name: p.name, latencyViolationShare: p.latencyViolationShare, recoveryViolations: p.recoveryViolations, checkpointOverhead: p.checkpointOverhead, meanRecoveryS: p.meanRecoveryS, maxRecoveryS: p.maxRecoveryS, reconfigurations: p.reconfigurations, role: role(p.name) })),
    verdict: e.verdict,
    gaps: ((f.simVsReal as { policies?: GapRow[] } | undefined)?.policies ?? []),
    timeline: Array.isArray((f.timeline as EvaluationTimeline | undefined)?.runs) ? (f.timeline as EvaluationTimeline) : undefined,
  };
}
