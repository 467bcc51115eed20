import type { JobKind } from '../load/events.js';
import type { FailureSample } from './samples.js';

/** When, relative to a replica's checkpoints, a failure is injected. */
export type FailureTiming = 'before-checkpoint' | 'after-checkpoint' | 'random';

/** One injection point of the plan (phase 1 output, in trace time). */
export interface PlannedPoint {
  index: number;
  /** Where in the trace the failure lands, trace seconds from its first sample. */
  traceOffsetSec: number;
  /** The load level this point stands for, in trace units, and the trace rate there. */
  level: number;
  rate: number;
}

/** Everything needed to run (or resume) a profile; stored with it (house-style rule 10). */
export interface ProfilePlan {
  job: JobKind;
  intervalsMs: number[];
  points: PlannedPoint[];
  repetitions: number;
  failure: 'kill' | 'freeze' | 'exception';
  freezeMs: number;
  timing: FailureTiming;
  /** For before-checkpoint: inject this long before the replica's next checkpoint is due, ms. */
  leadMs: number;
  parallelism: number;
  seed: number;
  replay: {
    trace: string;
    peakRateEps: number;
    /** Trace seconds per wall second. */
    compression: number;
    /** Wall seconds replayed before the injection (the baseline that defines normal). */
    beforeSec: number;
    /** Wall seconds replayed after the injection, at most; the replay stops early once all replicas recovered. */
    afterSec: number;
  };
  /** Consecutive normal seconds that end a recovery. */
  sustainSec: number;
  /** A failure not recovered within this is recorded as a timeout, ms. */
  recoveryTimeoutMs: number;
}

export type ProfileStatus = 'running' | 'interrupted' | 'done' | 'discarded';

/** A profile as stored: plan, provenance and status. */
export interface ProfileRecord {
  id: string;
  createdAtMs: number;
  status: ProfileStatus;
  /** pid of the Khaos process running it; a 'running' profile whose owner is gone was interrupted. */
  ownerPid?: number;
  plan: ProfilePlan;
  /** The resolved config it ran with, Flink version, job jar sha256, and which clock each timestamp uses. */
  provenance: { config: unknown; flinkVersion: string; jobJarSha256: string; clock: string; timeScaling: { compression: number } };
}

/** One (point, repetition) step for all replicas at once: the unit of progress and of resume. */
export interface StepRecord {
  profileId: string;
  pointIndex: number;
  repetition: number;
  status: 'done' | 'failed';
  startedAtMs: number;
  endedAtMs: number;
  /** Why a step failed (a replica that did not start, a broker error, ...). */
  error?: string;
}

/** One failure injected into one replica, and what was measured around it. */
export interface FailureMeasurement extends Partial<Omit<FailureSample, 'recoverySec' | 'throughputEps' | 'latencyMs'>> {
  profileId: string;
  pointIndex: number;
  repetition: number;
  ciMs: number;
  failure: 'kill' | 'freeze' | 'exception';
  timing: FailureTiming;
  injectedAtMs: number;
  /** Planned and actual time from the injection to the replica's next-due checkpoint, ms. */
  plannedLeadMs?: number;
  actualLeadMs?: number;
  outcome: 'recovered' | 'timeout';
  /** Null when the replica reported no throughput (or latency) in the baseline window. */
  throughputEps: number | null;
  latencyMs: number | null;
  /** Null when the failure did not recover within the timeout. */
  recoverySec: number | null;
  restoredCheckpointId?: number;
}

/**
 * The failures the models are fitted on: those that recovered (with a recovery time), as samples.
 * Timeouts have no recovery time; they are shown in the report but never fitted.
 */
export function recoveredSamples(measurements: readonly FailureMeasurement[]): FailureSample[] {
  return measurements.flatMap((m) => {
    if (m.outcome !== 'recovered' || m.recoverySec === null || !Number.isFinite(m.recoverySec) || m.throughputEps === null || m.latencyMs === null) return [];
    const s: FailureSample = { ciMs: m.ciMs, throughputEps: m.throughputEps, latencyMs: m.latencyMs, recoverySec: m.recoverySec };
    for (const k of ['detectionSec', 'restartSec', 'catchupSec', 'stateBytes', 'checkpointMs'] as const) if (m[k] !== undefined) s[k] = m[k];
    return [s];
  });
}
