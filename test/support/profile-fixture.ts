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

/**
 * A measurement with the series its replica would have sampled, once a second from 30 s before
 * the injection: lag growing while the job is down (detection and restart), drained at the
 * capacity during catch-up, normal again at the recovery (or, for a timeout, never).
 */
export function withSeries(m: FailureMeasurement, timeoutSec = 90): FailureMeasurement {
  const input = m.throughputEps ?? 4000;
  const down = (m.detectionSec ?? 8) + (m.restartSec ?? 0);
  const end = m.recoverySec ?? timeoutSec;
  const series: NonNullable<FailureMeasurement['series']> = [];
  for (let t = -30; t <= end + 10; t++) {
    const running = t < 0 || (m.outcome !== 'timeout' && t >= down);
    const backlog = t < 0 ? 0 : t < down ? input * t : Math.max(0, input * down - (TRUTH.capacityEps - input) * (t - down));
    const lag = m.outcome === 'recovered' ? 50 + backlog : 50 + input * Math.max(0, t);
    series.push({ tMs: m.injectedAtMs + t * 1000, state: running ? 'RUNNING' : 'RESTARTING', lag: Math.round(lag), ...(running ? { inputEps: t >= down && backlog > 0 ? TRUTH.capacityEps : input } : {}) });
  }
  return { ...m, series };
}

/** A second repetition of point 0: one failure that timed out, one unmeasured (Flink served the dead attempt's metrics); both with their series. */
export function notRecoveredMeasurements(profileId = 'p-1'): FailureMeasurement[] {
  const base = { profileId, pointIndex: 0, repetition: 1, failure: 'kill' as const, timing: 'before-checkpoint' as const, throughputEps: 2000, latencyMs: 120, recoverySec: null };
  return [withSeries({ ...base, ciMs: 10_000, injectedAtMs: 1_700_003_000_000, outcome: 'timeout' }), withSeries({ ...base, ciMs: 30_000, injectedAtMs: 1_700_003_300_000, outcome: 'unmeasured' })];
}
