import { physicalLatencyMs, physicalRecoverySec } from './regression.js';
import type { Random } from '../random.js';
import type { FailureSample } from '../profiling/samples.js';

/**
 * SIMULATED failure measurements, drawn from the physical equations of models.ts plus noise: for
 * benchmarks and tests when no profile of a real job is at hand. Anything made from them must say
 * it is simulated.
 */
export interface SimulationSetup {
  capacityEps: number;
  detectionSec: number;
  restartSec: number;
  /** Time since the last checkpoint at the failure as a fraction of the CI (1 = worst case). */
  phi: number;
  latency: { baseMs: number; perCiMs: number; queueMsEps: number };
  /** Checkpoint intervals of the replicas, ms. */
  ciMs: readonly number[];
  /** Load levels evenly spaced between these throughputs, events/s; each injection is within ±2 % of its level. */
  loadLevels: number;
  minThroughputEps: number;
  maxThroughputEps: number;
  /** Standard deviation of the multiplicative Gaussian noise on each measured duration and latency (0.05 = 5 %). */
  relativeNoise: number;
}

/**
 * Original-scale setup (CIs 10–120 s, 12 load levels, as in the product's Phase 2) with a
 * capacity of 12 000 events/s and load up to 92 % of it, where recoveries reach ~25 minutes.
 */
export const DEFAULT_SIMULATION: SimulationSetup = {
  capacityEps: 12_000,
  detectionSec: 8,
  restartSec: 12,
  phi: 0.95,
  latency: { baseMs: 120, perCiMs: 0.002, queueMsEps: 1_000_000 },
  ciMs: [10_000, 30_000, 60_000, 90_000, 120_000],
  loadLevels: 12,
  minThroughputEps: 2_000,
  maxThroughputEps: 11_000,
  relativeNoise: 0.05,
};

function gaussian(random: Random): number {
  const u = Math.max(1e-12, random.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

const round = (x: number, decimals: number) => Number(x.toFixed(decimals));

/**
 * `count` failures cycling over load levels × intervals (every level at every CI before any
 * repeats). Detection and restart are noisy; catch-up follows the physical equation with them and
 * is noisy again; recovery is their sum; latency follows its equation with noise. Values are
 * rounded like measurements (0.1 events/s, 0.1 ms, 1 ms of duration). Deterministic per `random`.
 */
export function simulateSamples(setup: SimulationSetup, count: number, random: Random): FailureSample[] {
  const noisy = () => 1 + setup.relativeNoise * Math.max(-3, Math.min(3, gaussian(random)));
  const levels = Array.from({ length: setup.loadLevels }, (_, i) =>
    setup.loadLevels === 1 ? setup.maxThroughputEps : setup.minThroughputEps + ((setup.maxThroughputEps - setup.minThroughputEps) * i) / (setup.loadLevels - 1),
  );
  const out: FailureSample[] = [];
  for (let i = 0; i < count; i++) {
    const level = levels[i % levels.length]!;
    const ciMs = setup.ciMs[Math.floor(i / levels.length) % setup.ciMs.length]!;
    const throughputEps = round(level * (1 + 0.02 * (2 * random.next() - 1)), 1);
    const detectionSec = setup.detectionSec * noisy();
    const restartSec = setup.restartSec * noisy();
    const downtimeSec = detectionSec + restartSec;
    const catchupSec = (physicalRecoverySec({ capacityEps: setup.capacityEps, downtimeSec, phi: setup.phi }, throughputEps, ciMs) - downtimeSec) * noisy();
    const latencyMs = physicalLatencyMs({ capacityEps: setup.capacityEps, ...setup.latency }, throughputEps, ciMs) * noisy();
    out.push({
      ciMs,
      throughputEps,
      latencyMs: round(latencyMs, 1),
      recoverySec: round(round(detectionSec, 3) + round(restartSec, 3) + round(catchupSec, 3), 3),
      detectionSec: round(detectionSec, 3),
      restartSec: round(restartSec, 3),
      catchupSec: round(catchupSec, 3),
    });
  }
  return out;
}
