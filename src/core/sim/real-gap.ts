import type { PolicyUnderTest } from '../control/policies.js';
import type { ControlModels, PolicyOptions } from '../control/policy.js';
import type { QosTargets } from '../evaluation/real-qos.js';
import type { RunQos } from '../evaluation/qos.js';
import type { RealRunRecord } from '../evaluation/real-run.js';
import { median } from '../stats.js';
import type { FluidParams } from './fluid-params.js';
import { simulate, type SimulationInput } from './simulate.js';

/** The simulator against the real stack: a real run replayed in the fluid model, and the gap between the two per policy. */

/** What the simulator needs besides the record to replay a run. */
export interface PredictionInput {
  params: FluidParams;
  policy: PolicyUnderTest;
  policyOptions: PolicyOptions;
  models?: ControlModels;
  control: SimulationInput['control'];
  targets: QosTargets;
}

/**
 * SIMULATED: the run replayed in the fluid model — the input of each replayed second, nothing
 * during the drain, the same kills at the same seconds after the replay's start, the same policy,
 * actuator and starting interval.
 */
export function predictRun(r: RealRunRecord, p: PredictionInput): { qos: RunQos; recoveriesSec: (number | null)[] } {
  const endMs = r.samples.at(-1)?.tMs ?? r.replayEndMs;
  const drainSec = Math.max(0, Math.round((endMs - r.replayStartMs) / 1000) - r.scheduleEps.length);
  const rates = [...r.scheduleEps, ...new Array<number>(drainSec).fill(0)];
  const failures = r.failures.map((f) => ({ atSec: Math.min(rates.length - 1, Math.max(0, (f.injectedAtMs - r.replayStartMs) / 1000)), type: f.type }));
  const initialIntervalMs = r.intervals[0]?.intervalMs ?? p.policy.staticMs!;
  const common = { ratesEps: rates, failures, params: p.params, control: p.control, policyOptions: p.policyOptions, qos: p.targets };
  const sim =
    p.policy.staticMs !== undefined
      ? simulate({ ...common, actuator: 'paced', initialIntervalMs: p.policy.staticMs })
      : simulate({ ...common, policy: p.policy.policy, actuator: p.policy.actuator!, initialIntervalMs, models: p.models });
  return { qos: sim.qos, recoveriesSec: sim.failures.map((f) => f.recoverySec) };
}

/** Real vs simulated, per policy: median recovery and latency-violation share, and their relative gaps. */
export interface GapRow {
  name: string;
  realMedianRecoveryS: number | null;
  simMedianRecoveryS: number | null;
  /** |sim − real| / real; null when either is missing. */
  recoveryGap: number | null;
  realLatencyShare: number;
  simLatencyShare: number;
  latencyShareGap: number | null;
}

const relGap = (sim: number | null, real: number | null) => (sim === null || real === null || real === 0 ? null : Math.abs(sim - real) / real);
const medianOrNull = (xs: readonly (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? median(v) : null;
};

export function gapRow(name: string, real: { recoveriesSec: (number | null)[]; latencyShare: number }, sim: { recoveriesSec: (number | null)[]; latencyShare: number }): GapRow {
  const r = medianOrNull(real.recoveriesSec);
  const s = medianOrNull(sim.recoveriesSec);
  return {
    name, realMedianRecoveryS: r, simMedianRecoveryS: s, recoveryGap: relGap(s, r),
    realLatencyShare: real.latencyShare, simLatencyShare: sim.latencyShare,
    latencyShareGap: real.latencyShare === 0 && sim.latencyShare === 0 ? 0 : relGap(sim.latencyShare, real.latencyShare),
  };
}
