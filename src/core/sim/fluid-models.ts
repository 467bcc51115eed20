import type { ControlModels } from '../control/policy.js';
import { buildModel, PREDICTION_CEILING, type IntervalModel, type Model } from '../models/regression.js';
import { checkpointDurationMs, downtimeSec, queueingMs, type FluidParams } from './fluid-params.js';
import type { FailureType } from '../failure-types.js';

export interface FluidModelOptions {
  /** Where in the checkpoint cycle a failure falls, as a fraction of it (1: just before a checkpoint completes, the worst case and the profiling default). */
  phi?: number;
  /** The failure type whose detection counts in the downtime (default kill). */
  failure?: FailureType;
  /** State size of the restored checkpoint, bytes (default params.state.baseBytes). */
  stateBytes?: number;
  /**
   * Count what an in-flight checkpoint costs (default true): its capacity loss, in catch-up and
   * in the steady state, its latency bump, and the replay from its trigger. False: the plain
   * physical equations, which leave all of that out (as the models before did).
   */
  inFlightCheckpoints?: boolean;
  trainedCiMs?: { min: number; max: number };
  trainedThroughputEps?: { min: number; max: number };
  version?: string;
}

/**
 * SIMULATED control models straight from the fluid parameters: what a perfectly profiled job
 * would give, no residuals. With `inFlightCheckpoints` (the default) they are the fluid job's own
 * equations, in-flight checkpoints included (see {@link fluidRecoverySec}, {@link fluidLatencyMs});
 * without it, the plain physical recovery model with the fluid's capacity and downtime
 * D = detection + restart + restore, and the physical latency model with its latency parameters.
 */
export function fluidControlModels(p: FluidParams, o: FluidModelOptions = {}): ControlModels {
  const d = downtimeSec(p, o.failure ?? 'kill', o.stateBytes ?? p.state.baseBytes);
  const phi = o.phi ?? 1;
  const exact = o.inFlightCheckpoints ?? true;
  const recovery: Model = exact
    ? { name: 'physical', kind: 'recovery', predict: (t, ci) => fluidRecoverySec(p, d, phi, t, ci), coefficients: { capacityEps: p.capacityEps, downtimeSec: d, phi } }
    : buildModel('physical', 'recovery', { capacityEps: p.capacityEps, downtimeSec: d, phi });
  const latency: Model = exact
    ? { name: 'physical', kind: 'latency', predict: (t, ci) => fluidLatencyMs(p, t, ci), coefficients: { capacityEps: p.capacityEps, ...p.latency } }
    : buildModel('physical', 'latency', { capacityEps: p.capacityEps, ...p.latency });
  return {
    recovery: { ...recovery, relativeResiduals: [] } satisfies IntervalModel,
    latency: { ...latency, relativeResiduals: [] } satisfies IntervalModel,
    version: o.version ?? (exact ? 'simulated:fluid-parameters' : 'simulated:fluid-parameters, no in-flight checkpoint terms'),
    trainedCiMs: o.trainedCiMs ?? { min: 10_000, max: 120_000 },
    trainedThroughputEps: o.trainedThroughputEps ?? { min: 0, max: p.capacityEps },
  };
}

/**
 * The checkpoint cycle of the fluid job processing `inputEps` with paced checkpoints every
 * `ciMs`, s: a checkpoint lasts `durationSec` (its state grows with the rate processed), the next
 * one is triggered `periodSec` = max(CI, duration) after the last (never two in flight), so one is
 * in flight `inFlightShare` of the time and the job runs at `effectiveCapacityEps` on average.
 */
export function checkpointCycle(p: FluidParams, inputEps: number, ciMs: number): { durationSec: number; periodSec: number; inFlightShare: number; effectiveCapacityEps: number } {
  const durationSec = checkpointDurationMs(p, p.state.baseBytes + p.state.bytesPerEvent * Math.max(0, inputEps) * p.state.windowSec) / 1000;
  const periodSec = Math.max(ciMs / 1000, durationSec);
  const inFlightShare = periodSec > 0 ? durationSec / periodSec : 0;
  return { durationSec, periodSec, inFlightShare, effectiveCapacityEps: p.capacityEps * (1 - p.checkpoint.capacityLoss * inFlightShare) };
}

/**
 * Recovery time of the fluid job, s, failure → lag back to normal, with the checkpoints it keeps
 * taking:
 *
 *   R = D + backlog / (c_eff − λ),   backlog = λ · (duration + φ · period + D)
 *
 * D = detection + restart + restore (`downtimeSec`). The restore point's offset is where the last
 * completed checkpoint was triggered: φ = 0 is a failure just after it completed (duration ago), φ
 * = 1 one just before the next completes (period + duration ago). Catch-up runs at the effective
 * capacity c_eff = c · (1 − capacityLoss · in-flight share): the pacer goes on checkpointing while
 * the backlog drains, and at intervals near the checkpoint duration that costs the whole loss. At
 * λ ≥ c_eff the backlog never drains: PREDICTION_CEILING.recovery.
 */
export function fluidRecoverySec(p: FluidParams, downtimeS: number, phi: number, inputEps: number, ciMs: number): number {
  const { durationSec, periodSec, effectiveCapacityEps: c } = checkpointCycle(p, inputEps, ciMs);
  const ceiling = PREDICTION_CEILING.recovery;
  if (inputEps >= c) return ceiling;
  return Math.min(ceiling, (downtimeS * c + inputEps * (durationSec + phi * periodSec)) / (c - inputEps));
}

/**
 * The fluid job's p99 latency in the steady state, ms, as the controller sees it (the mean of
 * per-second p99 over its window, the quantity `control.latencyTarget` is defined on):
 *
 *   base + perCiMs · CI + queueing(λ) + bump · share of seconds a checkpoint touches + mean head-of-backlog wait
 *
 * The bump (`checkpoint.latencyMs`) counts in every second a checkpoint is in flight (≈ (duration
 * + 1 s) / period of them). While one is in flight the job runs at c · (1 − capacityLoss); above
 * that rate a backlog builds during the checkpoint, its head waiting up to duration · (1 − c ·
 * (1 − loss) / λ), and drains at c − λ after it. At λ ≥ the effective capacity it never drains:
 * PREDICTION_CEILING.latency.
 */
export function fluidLatencyMs(p: FluidParams, inputEps: number, ciMs: number): number {
  const ceiling = PREDICTION_CEILING.latency;
  const { durationSec, periodSec, effectiveCapacityEps } = checkpointCycle(p, inputEps, ciMs);
  if (inputEps >= Math.min(p.capacityEps, effectiveCapacityEps)) return ceiling;
  const touched = durationSec > 0 ? Math.min(1, (durationSec + 1) / periodSec) : 0;
  const slow = p.capacityEps * (1 - p.checkpoint.capacityLoss);
  let waitMs = 0;
  if (inputEps > slow && durationSec > 0) {
    const peakWaitSec = durationSec * (1 - slow / inputEps);
    const drainSec = ((inputEps - slow) * durationSec) / (p.capacityEps - inputEps);
    // The head's wait rises over the checkpoint and falls over the drain: a triangle, averaged over the cycle.
    waitMs = (1000 * peakWaitSec * (durationSec + drainSec)) / (2 * periodSec);
  }
  return Math.min(ceiling, p.latency.baseMs + p.latency.perCiMs * ciMs + queueingMs(p, inputEps) + p.checkpoint.latencyMs * touched + waitMs);
}
