import type { FailureType } from '../failure-types.js';
import { builtInJob, type JobDescriptor } from '../jobs.js';
import type { DedupOptions, JobKind } from '../load/events.js';
import { medianSample, type FailureSample } from './samples.js';

/** When, relative to a replica's checkpoints, a failure is injected. */
export type FailureTiming = 'before-checkpoint' | 'after-checkpoint' | 'random';

/**
 * How a step's replicas are broken: all at once (`side-by-side`), one after another on the same
 * replay, each next one once the previous recovered or timed out (`staggered`: recoveries do not
 * overlap), or one replica at a time, each alone on the machine with its own replay (`one-at-a-time`).
 */
export type InjectionMode = 'side-by-side' | 'staggered' | 'one-at-a-time';

/**
 * Whose checkpoint schedule an injection was timed against: Flink's periodic one (predicted from
 * its last trigger), the checkpoints Khaos triggers itself (paced: exact), or none (random timing,
 * or no checkpoint seen yet).
 */
export type TimingSource = 'flink-schedule' | 'khaos-trigger' | 'none';

/** One rate of a capacity probe's staircase and what the replica did at it. */
export interface ProbeStep {
  rateEps: number;
  heldSec: number;
  /** Processed events/s over the judged window, from the source's counter (null when not reported). */
  throughputEps: number | null;
  /** Least-squares slope of the lag over the judged window, records/s. */
  lagSlopeEps: number;
  sustained: boolean;
  /** Replicas probed side by side: each one's throughput (the step's is the lowest). */
  replicaThroughputEps?: (number | null)[];
}

/** A replica's sustainable throughput on this machine: the highest probed rate whose lag did not grow. */
export interface CapacityProbe {
  sustainableEps: number;
  /** Replicas probed side by side on one input (absent: one, in profiles before this was recorded). */
  replicas?: number;
  steps: ProbeStep[];
}

/**
 * `output`: p99 over the committed output records of the baseline window, from when each became
 * visible to a read_committed consumer back to its reference time (job.latency output-timestamp).
 * `gauge`: a latency metric of the job (the sample jobs' gauge, or job.latency metric:<name>).
 * `none`: not measured (job.latency none).
 */
export type LatencySource = 'output' | 'gauge' | 'none';

/** One injection point of the plan (phase 1 output, in trace time). */
export interface PlannedPoint {
  index: number;
  /** Where in the trace the failure lands, trace seconds from its first sample. */
  traceOffsetSec: number;
  /** The load level this point stands for, in trace units, and the trace rate there. */
  level: number;
  rate: number;
  /**
   * The level in events/s as replayed, when placed from a capacity probe: the step's replay is
   * scaled so that `level` becomes this rate. Absent: the trace is scaled by replay.peakRateEps.
   */
  rateEps?: number;
}

/** Everything needed to run (or resume) a profile, stored with it so that its results can be traced to what produced them. */
export interface ProfilePlan {
  /** The job's descriptor name: a sample job, or custom (its descriptor in `descriptor`). */
  job: JobKind | 'custom';
  /** The job as it was profiled (absent in plans stored before own jobs: the sample job `job` with `dedup` and `flinkConf`). */
  descriptor?: JobDescriptor;
  /** The dedup job's settings (its defaults when absent, as in plans stored before there was a dedup job). */
  dedup?: DedupOptions;
  /** job.flinkConf: Flink options merged over Khaos's own (core/jobs.ts mergeFlinkConf); absent: none. */
  flinkConf?: Readonly<Record<string, string>>;
  intervalsMs: number[];
  points: PlannedPoint[];
  repetitions: number;
  failure: FailureType;
  freezeMs: number;
  timing: FailureTiming;
  /** For before-checkpoint: inject this long before the replica's next checkpoint is due, ms. */
  leadMs: number;
  parallelism: number;
  seed: number;
  /** How a step's replicas are broken (absent in profiles recorded before it existed: side-by-side). */
  injection?: InjectionMode;
  /**
   * `paced`: replicas run with `fallbackIntervalMs` as Flink's own interval and Khaos triggers
   * their checkpoints every interval, so injections are timed against those triggers exactly.
   * Absent or `flink`: Flink's periodic checkpoints.
   */
  actuator?: 'flink' | 'paced';
  fallbackIntervalMs?: number;
  /** `median`: the k repetitions at one point and interval give one sample, their median recovery. Absent: each. */
  aggregate?: 'each' | 'median';
  /** Where the baseline p99 latency comes from (absent in profiles recorded before it existed: gauge). */
  latencySource?: LatencySource;
  /** gauge: the suffix of the latency metric read (absent: the sample jobs' e2eLatencyP99Ms). */
  latencyMetric?: string;
  /**
   * What a step replays: `flat`, the point's rate held constant; `window` (absent: profiles
   * recorded before it existed), the trace around the point, scaled, played back and forth.
   */
  stepLoad?: 'flat' | 'window';
  /** The capacity probe the levels were placed from, with the fractions of it they span. */
  capacity?: CapacityProbe & { loadRange: [number, number] };
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
  /** How often each replica is sampled, ms (profile.sampleEvery); absent in plans stored before it existed: 1000. */
  sampleEveryMs?: number;
  /** A failure not recovered within this is recorded as a timeout, ms. */
  recoveryTimeoutMs: number;
}

/** The job a plan runs: its stored descriptor, or (plans stored before own jobs) its sample job's. */
export function planJob(plan: Pick<ProfilePlan, 'job' | 'descriptor' | 'dedup' | 'flinkConf'>): JobDescriptor {
  if (plan.descriptor) return plan.descriptor;
  if (plan.job === 'custom') throw new Error('a plan of an own job without its descriptor (a bug: planFromConfig stores it)');
  return builtInJob(plan.job, plan.dedup, plan.flinkConf);
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
  failure: FailureType;
  timing: FailureTiming;
  /** What the injection was timed against (absent in measurements recorded before it existed). */
  timingSource?: TimingSource;
  /** The step's injection mode. */
  injection?: InjectionMode;
  injectedAtMs: number;
  /** Planned and actual time from the injection to the replica's next-due checkpoint, ms. */
  plannedLeadMs?: number;
  actualLeadMs?: number;
  /**
   * `timeout`: not back to normal within the plan's time-out; `unmeasured`: the job ran again, but
   * Flink's REST kept serving the dead attempt's metrics until the time-out, so whether and when it
   * caught up is unknown. Neither is a sample of the models.
   */
  outcome: 'recovered' | 'timeout' | 'unmeasured';
  /** Where latencyMs came from (absent in measurements recorded before it existed: gauge). */
  latencySource?: LatencySource;
  /** Null when the replica reported no throughput (or latency) in the baseline window. */
  throughputEps: number | null;
  latencyMs: number | null;
  /** Null when the failure did not recover within the timeout. */
  recoverySec: number | null;
  restoredCheckpointId?: number;
  /**
   * The replica's samples from its baseline to its time-out, as sampled: what it did (for a
   * timeout, why it did not recover), and what the recovery can be measured again from (absent in
   * older profiles).
   */
  series?: { tMs: number; state: string; lag?: number; inputEps?: number; processed?: number; restarts?: number }[];
}

/**
 * The failures the models are fitted on: those that recovered (with a recovery time), as samples.
 * Timeouts have no recovery time; they are shown in the report but never fitted. With `median`
 * (the original's median-of-k), the repetitions at one point and interval give one sample: the
 * median recovery, a timeout counting as longer than any recovery (so half or more timed out
 * gives no sample), with median throughput, latency and phases of the recovered ones. A failure
 * whose pre-failure window had no latency (no output committed in it) is a sample without one:
 * recovery models fit it, latency models skip it.
 */
export function recoveredSamples(measurements: readonly FailureMeasurement[], aggregate: 'each' | 'median' = 'each'): FailureSample[] {
  if (aggregate === 'median') return medianSamples(measurements);
  return measurements.flatMap((m) => {
    if (m.outcome !== 'recovered' || m.recoverySec === null || !Number.isFinite(m.recoverySec) || m.throughputEps === null) return [];
    const s: FailureSample = { ciMs: m.ciMs, throughputEps: m.throughputEps, recoverySec: m.recoverySec, ...(m.latencyMs === null ? {} : { latencyMs: m.latencyMs }) };
    for (const k of ['detectionSec', 'restartSec', 'catchupSec', 'stateBytes', 'checkpointMs'] as const) if (m[k] !== undefined) s[k] = m[k];
    return [s];
  });
}

function medianSamples(measurements: readonly FailureMeasurement[]): FailureSample[] {
  const groups = new Map<string, FailureMeasurement[]>();
  for (const m of measurements) {
    const key = `${m.profileId}/${m.pointIndex}/${m.ciMs}`;
    groups.set(key, [...(groups.get(key) ?? []), m]);
  }
  return [...groups.values()].flatMap((group) => {
    const each = recoveredSamples(group);
    // Not stats.median: its interpolation turns 0 × Infinity into NaN.
    const r = group.map((m) => (m.outcome === 'recovered' && m.recoverySec !== null ? m.recoverySec : Infinity)).sort((a, b) => a - b);
    const n = r.length;
    const recoverySec = n % 2 ? r[(n - 1) / 2]! : (r[n / 2 - 1]! + r[n / 2]!) / 2;
    return each.length === 0 || !Number.isFinite(recoverySec) ? [] : [medianSample(each, recoverySec)];
  });
}
