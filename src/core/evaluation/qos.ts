import { KhaosError } from '../errors.js';
import { median, quantile } from '../stats.js';
import type { ScenarioVerdict } from './verdict.js';
import type { ViolationSeconds } from './violations.js';

/**
 * The QoS of one run, real or simulated, and its summary over repeated runs: the figures that
 * `khaos evaluate --json` prints per policy. How each second is judged is in violations.ts.
 */

/** Quality of service of a run, shaped like the evaluation's JSON. */
export interface RunQos {
  /** Share of seconds whose own p99 is over the target, or with the job down (judgeLatency of evaluation/violations.ts). */
  latencyViolationShare: number;
  /** Share of seconds whose trailing mean p99 over latencyWindowSec is over the target, or with the job down (the paper's metric at 300 s). */
  latencyWindowViolationShare: number;
  /** Failures whose recovery took longer than the target, or did not end before the trace did. */
  recoveryViolations: number;
  failures: number;
  /** Over the failures that recovered, s; null when none did. */
  meanRecoveryS: number | null;
  maxRecoveryS: number | null;
  /** Failures whose recovery had not ended when the trace did. */
  unrecovered: number;
  /**
   * Share of the run's time with a checkpoint in flight (trigger → completion, or → abort when it
   * fails with the job), whatever the job was doing meanwhile: processing, catching up, or failed
   * and not yet restarted. What a real run can measure from Flink's checkpoint history; savepoints
   * are left out (their outage is `reconfigurationDowntimeS`). The capacity the checkpoints cost is
   * this share × `checkpoint.capacityLoss` while processing.
   */
  checkpointOverhead: number;
  /** Interval changes applied (paced or restart). */
  reconfigurations: number;
  /** Outage of the restart reconfigurations (savepoint → processing again), s. */
  reconfigurationDowntimeS: number;
  /** Seconds over the latency target, of recoveries beyond their target, and of either (each second once). */
  violationSeconds: ViolationSeconds;
}

/** The QoS figures of the JSON, in its order. */
export const METRICS = ['latencyViolationShare', 'latencyWindowViolationShare', 'recoveryViolations', 'failures', 'meanRecoveryS', 'maxRecoveryS', 'checkpointOverhead', 'reconfigurations', 'reconfigurationDowntimeS'] as const;
export type Metric = (typeof METRICS)[number];

/** 10th and 90th percentiles over the schedules; null where no schedule has a value (a mean recovery with no recovery). */
export interface Spread {
  p10: number;
  p90: number;
}

/** The violation seconds of the JSON, in its order (evaluation/violations.ts). */
export const VIOLATION_SECONDS = ['latency', 'recovery', 'total'] as const satisfies readonly (keyof ViolationSeconds)[];

/** One policy as `khaos evaluate --json` prints it: each figure the median over the schedules. */
export type EvaluationRow = { name: string } & { [M in Metric]: RunQos[M] } & {
  /** Each the median over the schedules (so total may differ from a sum or union of the two medians). */
  violationSeconds: ViolationSeconds;
  /** Not simulated: the fluid model has no events to lose or duplicate. */
  lost: null;
  duplicated: null;
  /** Only with more than one schedule: p10 and p90 of every figure, same keys, same order. */
  spread?: { [M in Metric]: Spread | null } & { violationSeconds: Record<keyof ViolationSeconds, Spread> };
};

/** What `khaos evaluate --json` prints, exactly. */
export interface EvaluationJson {
  policies: EvaluationRow[];
  /** Whether the scenario decides anything, and each policy against the statics and the oracle (evaluation/verdict.ts). */
  verdict: ScenarioVerdict;
}

/**
 * The medians (type 7, src/core/stats.ts) of the runs of one policy, one run per schedule, with
 * p10 and p90 beside them when there is more than one run. A figure that is null in some runs (the
 * mean and max recovery of a run where nothing recovered) is summarised over the others, and is
 * null when it is null in all.
 */
export function summariseRuns(name: string, runs: readonly Pick<RunQos, Metric | 'violationSeconds'>[]): EvaluationRow {
  if (runs.length === 0) throw new KhaosError('bug', `no runs to summarise for ${name}`);
  const values = (m: Metric) => runs.flatMap((r) => (r[m] === null ? [] : [r[m]]));
  const seconds = (k: keyof ViolationSeconds) => runs.map((r) => r.violationSeconds[k]);
  const medianOf = (m: Metric) => {
    const xs = values(m);
    return xs.length === 0 ? null : median(xs);
  };
  const spreadOf = (xs: number[]): Spread => ({ p10: quantile(xs, 0.1), p90: quantile(xs, 0.9) });
  const row = { name } as EvaluationRow;
  const target = row as unknown as Record<string, unknown>;
  for (const m of METRICS) target[m] = medianOf(m);
  row.violationSeconds = Object.fromEntries(VIOLATION_SECONDS.map((k) => [k, median(seconds(k))])) as unknown as ViolationSeconds;
  row.lost = null;
  row.duplicated = null;
  if (runs.length > 1) {
    const spread = {} as Record<Metric, Spread | null>;
    for (const m of METRICS) {
      const xs = values(m);
      spread[m] = xs.length === 0 ? null : spreadOf(xs);
    }
    row.spread = { ...spread, violationSeconds: Object.fromEntries(VIOLATION_SECONDS.map((k) => [k, spreadOf(seconds(k))])) as Record<keyof ViolationSeconds, Spread> };
  }
  return row;
}

