import { physicalLatencyMs, physicalRecoverySec } from '../../src/core/models/regression.js';
import type { FailureMeasurement, ProfileRecord } from '../../src/core/profiling/profile-records.js';
import { seededRandom, type Random } from '../../src/core/random.js';

/** A profile and its measurements made from the physical equations with seeded noise: the profile report's and the dashboard's fixture. */

export const INTERVALS = [10_000, 30_000, 60_000];
export const LEVELS = [2_000, 4_000, 6_000, 8_000];
export const TRUTH = { capacityEps: 10_000, detectionSec: 3, restartSec: 5, phi: 0.95, latency: { baseMs: 80, perCiMs: 0.001, queueMsEps: 200_000 } };
export const JAR = 'abcdef0123456789'.repeat(4);

export function syntheticProfile(id = 'p-1'): ProfileRecord {
  return {
    id,
    createdAtMs: Date.UTC(2025, 0, 2, 3, 4, 5),
    status: 'done',
    plan: {
      job: 'iot',
      intervalsMs: INTERVALS,
      points: LEVELS.map((rate, index) => ({ index, traceOffsetSec: 3600 * (index + 1), level: rate, rate: rate * 1.01 })),
      repetitions: 1,
      failure: 'kill',
      freezeMs: 0,
      timing: 'before-checkpoint',
      leadMs: 500,
      parallelism: 1,
      seed: 7,
      replay: { trace: 'traces/iot.csv', peakRateEps: 9_000, compression: 60, beforeSec: 30, afterSec: 300 },
      sustainSec: 10,
      recoveryTimeoutMs: 600_000,
    },
    provenance: { config: {}, flinkVersion: '1.20.1', jobJarSha256: JAR, clock: 'system wall clock (ms since epoch)', timeScaling: { compression: 60 } },
  };
}

const noise = (r: Random, rel: number) => 1 + rel * (2 * r.next() - 1);
const round = (x: number, d: number) => Number(x.toFixed(d));

/** 3 intervals × 4 points × 1 repetition, from the physical equations of models.ts with seeded noise. */
export function syntheticMeasurements(seed: number, profileId = 'p-1'): FailureMeasurement[] {
  const r = seededRandom(seed);
  const out: FailureMeasurement[] = [];
  LEVELS.forEach((level, pointIndex) => {
    for (const ciMs of INTERVALS) {
      const throughputEps = round(level * noise(r, 0.02), 1);
      const detectionSec = round(TRUTH.detectionSec * noise(r, 0.05), 3);
      const restartSec = round(TRUTH.restartSec * noise(r, 0.05), 3);
      const downtimeSec = detectionSec + restartSec;
      const catchupSec = round((physicalRecoverySec({ capacityEps: TRUTH.capacityEps, downtimeSec, phi: TRUTH.phi }, throughputEps, ciMs) - downtimeSec) * noise(r, 0.03), 3);
      out.push({
        profileId,
        pointIndex,
        repetition: 0,
        ciMs,
        failure: 'kill',
        timing: 'before-checkpoint',
        injectedAtMs: 1_700_000_000_000 + pointIndex * 600_000,
        plannedLeadMs: 500,
        actualLeadMs: 500 + Math.round(80 * (2 * r.next() - 1)),
        outcome: 'recovered',
        throughputEps,
        latencyMs: round(physicalLatencyMs({ capacityEps: TRUTH.capacityEps, ...TRUTH.latency }, throughputEps, ciMs) * noise(r, 0.03), 1),
        recoverySec: round(detectionSec + restartSec + catchupSec, 3),
        detectionSec,
        restartSec,
        catchupSec,
        restoredCheckpointId: 3 + pointIndex,
      });
    }
  });
  return out;
}
