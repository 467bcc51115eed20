import { badInput } from '../errors.js';
import type { Random } from '../random.js';
import { recoveryTimeline, type JobSample, type RecoveryOptions } from './recovery.js';
import type { FailureMeasurement, FailureTiming, PlannedPoint, ProfilePlan } from './profile-records.js';
import { mean } from '../stats.js';

/** Intervals evenly spaced over [minMs, maxMs], rounded to 100 ms (the original: 10–120 s, 5–8 values). */
export function evenIntervals(minMs: number, maxMs: number, count: number): number[] {
  if (count === 1) return [Math.round(minMs / 100) * 100];
  return Array.from({ length: count }, (_, i) => Math.round((minMs + ((maxMs - minMs) * i) / (count - 1)) / 100) * 100);
}

/** Checks a plan, reporting every problem at once. Intervals outside 0.5 s–10 min are refused. */
export function checkPlan(plan: ProfilePlan): ProfilePlan {
  const p: string[] = [];
  if (plan.intervalsMs.length === 0) p.push('no checkpoint intervals');
  for (const ci of plan.intervalsMs) if (!(ci >= 500 && ci <= 600_000)) p.push(`interval ${ci} ms is outside 500 ms–10 min`);
  if (new Set(plan.intervalsMs).size !== plan.intervalsMs.length) p.push('intervals repeat');
  if (plan.points.length === 0) p.push('no injection points');
  if (!(plan.repetitions >= 1 && Number.isInteger(plan.repetitions))) p.push(`repetitions must be a whole number ≥ 1, got ${plan.repetitions}`);
  if (!(plan.replay.beforeSec >= 10)) p.push(`replay.beforeSec must be ≥ 10 s to learn what normal looks like, got ${plan.replay.beforeSec}`);
  if (!(plan.replay.afterSec >= 10)) p.push(`replay.afterSec must be ≥ 10 s, got ${plan.replay.afterSec}`);
  if (!(plan.leadMs >= 0)) p.push(`leadMs must be ≥ 0, got ${plan.leadMs}`);
  const tooLong = plan.intervalsMs.filter((ci) => plan.timing === 'before-checkpoint' && plan.leadMs >= ci);
  if (tooLong.length) p.push(`leadMs ${plan.leadMs} must be shorter than every interval (not ${tooLong.join(', ')} ms)`);
  if (!(plan.sustainSec >= 1)) p.push(`sustainSec must be ≥ 1, got ${plan.sustainSec}`);
  if (p.length) throw badInput(`profile plan has ${p.length} problem(s):\n  ${p.join('\n  ')}`);
  return plan;
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
 * What one failure did to one replica, from its samples: pre-failure throughput and p99 latency
 * (means over the baseline window), and the recovery's phases. A recovery not complete by the
 * last sample is a timeout.
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
    latencyMs: liveMean(before.flatMap((s) => (s.latencyP99Ms === undefined ? [] : [s.latencyP99Ms]))),
    detectionSec: sec(injectedAtMs, t.detectedAtMs),
    restartSec: sec(t.detectedAtMs, t.runningAtMs),
    catchupSec: recovered ? sec(t.runningAtMs ?? injectedAtMs, t.recoveredAtMs) : undefined,
    recoverySec: recovered ? sec(injectedAtMs, t.recoveredAtMs)! : null,
    outcome: recovered ? 'recovered' : 'timeout',
  };
}

