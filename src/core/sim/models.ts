import type { ControlModels } from '../control/policy.js';
import { buildModel } from '../models/models.js';
import { downtimeSec, type FailureType, type FluidParams } from './fluid.js';

export interface FluidModelOptions {
  /** Time since the last checkpoint at a failure as a fraction of the CI (1: worst case, the profiling default). */
  phi?: number;
  /** The failure type whose detection counts in the downtime (default kill). */
  failure?: FailureType;
  /** State size of the restored checkpoint, bytes (default params.state.baseBytes). */
  stateBytes?: number;
  trainedCiMs?: { min: number; max: number };
  trainedThroughputEps?: { min: number; max: number };
  version?: string;
}

/**
 * SIMULATED control models straight from the fluid parameters: the physical recovery model with
 * the fluid's capacity and downtime D = detection + restart + restore, and the physical latency
 * model with its latency parameters (the checkpoint bump and capacity loss are not in them, as
 * they are not in a fitted model). What a perfectly profiled job would give, no residuals.
 */
export function fluidControlModels(p: FluidParams, o: FluidModelOptions = {}): ControlModels {
  const d = downtimeSec(p, o.failure ?? 'kill', o.stateBytes ?? p.state.baseBytes);
  return {
    recovery: { ...buildModel('physical', 'recovery', { capacityEps: p.capacityEps, downtimeSec: d, phi: o.phi ?? 1 }), relativeResiduals: [] },
    latency: { ...buildModel('physical', 'latency', { capacityEps: p.capacityEps, ...p.latency }), relativeResiduals: [] },
    version: o.version ?? 'simulated:fluid-parameters',
    trainedCiMs: o.trainedCiMs ?? { min: 10_000, max: 120_000 },
    trainedThroughputEps: o.trainedThroughputEps ?? { min: 0, max: p.capacityEps },
  };
}
