import { badInput } from '../errors.js';
import type { Random } from '../random.js';
import { recoveryTimeline, type JobSample, type RecoveryOptions } from './recovery.js';
import { recoveredSamples, type FailureMeasurement, type FailureTiming, type InjectionMode, type PlannedPoint, type ProfilePlan } from './profile-records.js';
import { mean } from '../stats.js';

/** A profile replica is named after its interval. */
export const replicaName = (ciMs: number) => `ci-${ciMs}`;

/** Intervals evenly spaced over [minMs, maxMs], rounded to 100 ms (the original: 10–120 s, 5–8 values). */
export function evenIntervals(minMs: number, maxMs: number, count: number): number[] {
  if (count === 1) return [Math.round(minMs / 100) * 100];
  return Array.from({ length: count }, (_, i) => Math.round((minMs + ((maxMs - minMs) * i) / (count - 1)) / 100) * 100);
}

/** Profiled intervals, ms: each names a replica (ci-<ms>), so whole ms, none twice, and within what Flink and a profile can use. */
const PROFILE_INTERVAL_RANGE_MS = [500, 600_000] as const;

/** What is wrong with the intervals of a profile, each problem once: none, not whole ms, outside 500 ms–10 min, repeated. */
export function intervalProblems(intervalsMs: readonly number[]): string[] {
  const [min, max] = PROFILE_INTERVAL_RANGE_MS;
  const p: string[] = [];
  if (intervalsMs.length === 0) p.push('no checkpoint intervals');
  for (const ci of intervalsMs) {
    if (!Number.isInteger(ci)) p.push(`interval ${ci} ms is not a whole number of milliseconds`);
    else if (!(ci >= min && ci <= max)) p.push(`interval ${ci} ms is outside 500 ms–10 min`);
  }
  const repeated = [...new Set(intervalsMs.filter((ci, i) => intervalsMs.indexOf(ci) !== i))];
  if (repeated.length) p.push(`intervals repeat: ${repeated.join(', ')} ms listed more than once (each interval is one replica, named after it)`);
  return p;
}

/** Checks a plan, reporting every problem at once. Intervals outside 0.5 s–10 min are refused. */
export function checkPlan(plan: ProfilePlan): ProfilePlan {
  const p: string[] = [];
  p.push(...intervalProblems(plan.intervalsMs));
  if (plan.points.length === 0) p.push('no injection points');
  if (!(plan.repetitions >= 1 && Number.isInteger(plan.repetitions))) p.push(`repetitions must be a whole number ≥ 1, got ${plan.repetitions}`);
  if (!(plan.replay.beforeSec >= 10)) p.push(`replay.beforeSec must be ≥ 10 s to learn what normal looks like, got ${plan.replay.beforeSec}`);
  if (!(plan.replay.afterSec >= 10)) p.push(`replay.afterSec must be ≥ 10 s, got ${plan.replay.afterSec}`);
  if (!(plan.leadMs >= 0)) p.push(`leadMs must be ≥ 0, got ${plan.leadMs}`);
  const tooLong = plan.intervalsMs.filter((ci) => plan.timing === 'before-checkpoint' && plan.leadMs >= ci);
  if (tooLong.length) p.push(`leadMs ${plan.leadMs} must be shorter than every interval (not ${tooLong.join(', ')} ms)`);
  const windowMs = (plan.replay.beforeSec + plan.replay.afterSec) * 1000;
  const outside = plan.intervalsMs.filter((ci) => ci >= windowMs);
  if (outside.length) p.push(`intervals ${outside.join(', ')} ms are not shorter than the replay window around a point (before ${plan.replay.beforeSec} s + after ${plan.replay.afterSec} s): the injection could wait a whole interval for its checkpoint and leave no time to recover; lengthen profile.after or drop them`);
  if (!(plan.sustainSec >= 1)) p.push(`sustainSec must be ≥ 1, got ${plan.sustainSec}`);
  if (plan.sampleEveryMs !== undefined && !(plan.sampleEveryMs >= 100 && plan.sampleEveryMs <= plan.sustainSec * 1000)) p.push(`profile.sampleEvery must be between 100ms and profile.sustain (${plan.sustainSec} s), got ${plan.sampleEveryMs} ms`);
  if (plan.actuator === 'paced') {
    const fallback = plan.fallbackIntervalMs ?? 0;
    const longer = plan.intervalsMs.filter((ci) => ci >= fallback);
    if (longer.length) p.push(`fallbackIntervalMs ${fallback} must be longer than every paced interval (not ${longer.join(', ')} ms): Flink's own checkpoints would come first`);
  }
  for (const pt of plan.points) if (pt.rateEps !== undefined && !(pt.rateEps > 0 && pt.level > 0)) p.push(`point ${pt.index}: a probed rate needs a level above 0 (level ${pt.level}, rate ${pt.rateEps} ev/s)`);
  if (p.length) throw badInput(`profile plan has ${p.length} problem(s):\n  ${p.join('\n  ')}`);
  return plan;
}

/**
 * The injection mode when the config leaves it to Khaos: replicas broken side by side compete for
 * the cores while they recover (measured on 2 cores: 11–23 s side by side vs 4–7 s alone), so
 * with fewer than 2 cores per replica their recoveries are staggered.
 */
export function defaultInjection(cores: number, replicas: number): InjectionMode {
  return cores < 2 * replicas ? 'staggered' : 'side-by-side';
}

/** The largest value of a trace (a loop: spreading a long trace overflows the stack). */
export const traceMax = (values: readonly number[]) => values.reduce((m, v) => (v > m ? v : m), 0);

/** The point's load in events/s as replayed: its probed rate, else its level scaled like the trace. */
export function pointRateEps(plan: Pick<ProfilePlan, 'replay'>, point: PlannedPoint, max: number): number {
  return point.rateEps ?? (max > 0 ? (point.level * plan.replay.peakRateEps) / max : 0);
}

/** The peak rate the step of `point` replays the trace at, so that its level comes out at pointRateEps. */
export function replayPeakEps(plan: Pick<ProfilePlan, 'replay'>, point: PlannedPoint, max: number): number {
  return point.rateEps !== undefined && point.level > 0 ? (point.rateEps * max) / point.level : plan.replay.peakRateEps;
}

/**
 * Places the points' load levels between `from` and `to` (fractions, e.g. 0.3–0.9) of a probed
 * capacity, evenly and in the order of their trace levels, so the trace's shape around each point
 * is kept and only its scale changes. Recovery grows fastest near capacity: that is where the
 * interval matters.
 */
export function placeLevels(points: readonly PlannedPoint[], capacityEps: number, [from, to]: readonly [number, number]): PlannedPoint[] {
  const order = [...points].sort((a, b) => a.level - b.level);
  const fraction = (i: number) => (order.length === 1 ? to : from + ((to - from) * i) / (order.length - 1));
  return points.map((p) => ({ ...p, rateEps: Math.round(capacityEps * fraction(order.indexOf(p))) }));
}

/**
 * Wall seconds a step replays at most, for the replicas broken in it (in order): the baseline, then
 * per replica broken side by side or alone the wait for its checkpoint plus `afterSec`; staggered,
 * that once per replica, one after another.
 */
export function stepReplaySec(plan: Pick<ProfilePlan, 'replay'>, mode: InjectionMode, intervalsMs: readonly number[], afterSec = plan.replay.afterSec): number {
  const budget = (ci: number) => Math.ceil(ci / 1000) + afterSec;
  const tail = mode === 'staggered' ? intervalsMs.reduce((a, ci) => a + budget(ci), 0) : budget(Math.max(...intervalsMs));
  return plan.replay.beforeSec + tail;
}

/**
 * A step's per-second schedule of `durationSec` from the window around its point (`window`: the
 * replay of beforeSec + afterSec around a second phase 1 found within tolerance of its rolling
 * mean; the rest of the window may not be). A step that runs longer
 * (a staggered one, or one waiting for a long interval) plays the window back and forth, so every
 * replica is broken at the point's load and not hours of trace later.
 */
export function stepSchedule(window: readonly number[], durationSec: number): number[] {
  const w = window.length;
  return Array.from({ length: durationSec }, (_, i) => {
    const j = i % (2 * w);
    return window[j < w ? j : 2 * w - 1 - j]!;
  });
}

/** The replicas in the order a step breaks them: rotated by the step, so no interval is always last. */
export function injectionOrder<T>(replicas: readonly T[], stepIndex: number): T[] {
  const k = replicas.length ? stepIndex % replicas.length : 0;
  return [...replicas.slice(k), ...replicas.slice(0, k)];
}

/** What a profile did per hour of wall time: the summary line of the CLI and the report. */
export interface ProfileSummary {
  injection: InjectionMode;
  failures: number;
  timeouts: number;
  /** Failures whose recovery could not be measured: Flink's metrics stayed frozen after the restart. */
  unmeasured: number;
  /** Samples the models are fitted on (with median-of-k, one per point and interval). */
  samples: number;
  /** Sum of the stored steps' wall times, s (replica start-up before the first step is not counted). */
  wallSec: number;
  /** Failures per hour of that wall time; null before any step. */
  failuresPerHour: number | null;
}

export function profileSummary(plan: ProfilePlan, steps: readonly { startedAtMs: number; endedAtMs: number }[], measurements: readonly FailureMeasurement[]): ProfileSummary {
  const wallSec = steps.reduce((a, s) => a + Math.max(0, s.endedAtMs - s.startedAtMs), 0) / 1000;
  return {
    injection: plan.injection ?? 'side-by-side',
    failures: measurements.length,
    timeouts: measurements.filter((m) => m.outcome === 'timeout').length,
    unmeasured: measurements.filter((m) => m.outcome === 'unmeasured').length,
    samples: recoveredSamples(measurements, plan.aggregate).length,
    wallSec,
    failuresPerHour: wallSec > 0 ? (measurements.length * 3600) / wallSec : null,
  };
}

/** The steps of a plan in order: every point, repeated; each step injects into all replicas. */
export function planSteps(plan: ProfilePlan): { point: PlannedPoint; repetition: number }[] {
  return plan.points.flatMap((point) => Array.from({ length: plan.repetitions }, (_, repetition) => ({ point, repetition })));
}

/**
 * When to inject into a replica, ms since the epoch. Flink triggers periodic checkpoints at a
 * fixed rate, so the next ones are due at lastTrigger + k·interval.
 * - before-checkpoint: `leadMs` before the next due checkpoint that is still far enough ahead
 *   (the worst case: almost a whole interval to replay);
 * - after-checkpoint: `leadMs` after the next due checkpoint was triggered;
 * - random: uniform over the next interval.
 */
export function injectionTarget(
  timing: FailureTiming,
  o: { nowMs: number; lastTriggerMs?: number; intervalMs: number; leadMs: number; rnd: Random },
): { atMs: number; nextDueMs?: number } {
  // lastTriggerMs is Flink's last periodic trigger, or with paced replicas the one Khaos will
  // trigger next less an interval: the same arithmetic, exact in the second case.
  if (timing === 'random' || o.lastTriggerMs === undefined) return { atMs: o.nowMs + o.rnd.next() * o.intervalMs };
  let due = o.lastTriggerMs + o.intervalMs;
  const earliest = o.nowMs + 200; // time to act
  const lead = timing === 'before-checkpoint' ? -o.leadMs : o.leadMs;
  while (due + lead < earliest) due += o.intervalMs;
  return { atMs: due + lead, nextDueMs: due };
}

/** The mean, or null for no readings. */
const meanOrNull = (xs: number[]) => (xs.length ? mean(xs) : null);

/**
 * The mean of a gauge's readings, or null when every reading is the same: after a restart Flink's
 * REST metric store can keep serving the dead task attempt's last values (seen on the local
 * stack), and a p99 latency that does not move for a whole baseline window is such a stale value.
 */
const liveMean = (xs: number[]) => (xs.length > 2 && xs.every((x) => x === xs[0]) ? null : meanOrNull(xs));

/**
 * The first seconds of a replica's run that are no pre-failure baseline for latency: its JVMs start
 * cold and the replay's first burst queues. Measured on the dedup job (examples/evaluate-dedup-real.yaml,
 * the controller's 30 s window mean of the gauge's p99 every 5 s from the start): 593-1,471 ms at
 * +5 s, 210-401 ms at +30 s, 119-196 ms at +35 s once the first 5 s left the window. With
 * one-at-a-time injection the baseline is the replica's whole run before the kill (38 s): profiles
 * p20261207221433 and p20261207232059 recorded 115-2,224 ms for a steady 100-250 ms. The same 20 s
 * as evaluate.real.warmup's default.
 */
export const COLD_START_MS = 20_000;

/** The baseline samples from COLD_START_MS after the series' first RUNNING sample on, when at least 3 are left; else all of them. */
function warm(before: readonly JobSample[], series: readonly JobSample[]): readonly JobSample[] {
  const start = series.find((s) => s.state === 'RUNNING')?.tMs;
  if (start === undefined) return before;
  const after = before.filter((s) => s.tMs >= start + COLD_START_MS);
  return after.length >= 3 ? after : before;
}

/**
 * What one failure did to one replica, from its samples: pre-failure throughput and p99 latency
 * (means over the baseline window; the latency leaves out the series' first COLD_START_MS when
 * enough samples remain after them), and the recovery's phases. A recovery not complete by the
 * last sample is a timeout, or `unmeasured` when the job ran again but Flink's REST never served
 * the restarted job's metrics (they stayed frozen at the dead attempt's values).
 */
export function measureFailure(
  samples: readonly JobSample[],
  injectedAtMs: number,
  o: RecoveryOptions,
): Pick<FailureMeasurement, 'throughputEps' | 'latencyMs' | 'recoverySec' | 'detectionSec' | 'restartSec' | 'catchupSec' | 'outcome'> {
  const before = samples.filter((s) => s.tMs < injectedAtMs && s.tMs >= injectedAtMs - o.baselineMs && s.state === 'RUNNING');
  const t = recoveryTimeline(samples, injectedAtMs, o);
  const sec = (a?: number, b?: number) => (a !== undefined && b !== undefined ? (b - a) / 1000 : undefined);
  const recovered = t.recoveredAtMs !== undefined;
  return {
    throughputEps: meanOrNull(before.flatMap((s) => (s.inputEps === undefined ? [] : [s.inputEps]))),
    latencyMs: liveMean(warm(before, samples).flatMap((s) => (s.latencyP99Ms === undefined ? [] : [s.latencyP99Ms]))),
    detectionSec: sec(injectedAtMs, t.detectedAtMs),
    restartSec: sec(t.detectedAtMs, t.runningAtMs),
    catchupSec: recovered ? sec(t.runningAtMs ?? injectedAtMs, t.recoveredAtMs) : undefined,
    recoverySec: recovered ? sec(injectedAtMs, t.recoveredAtMs)! : null,
    // RUNNING again, yet every reading since is the dead attempt's: the recovery was not measured.
    outcome: recovered ? 'recovered' : t.runningAtMs !== undefined && t.freshAtMs === undefined ? 'unmeasured' : 'timeout',
  };
}

