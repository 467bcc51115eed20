import { badInput } from '../errors.js';
import { seededRandom } from '../random.js';
import { FAILURE_TYPES, type FailureType } from './fluid-params.js';

/** One failure to inject into a simulated run. */
export interface FailureSpec {
  /** Seconds since the start of the trace (fractions allowed: the phase against checkpoints matters). */
  atSec: number;
  type: FailureType;
  /** freeze only: how long the process stays stopped, s; default: until the freeze is detected (then a restart). */
  freezeSec?: number;
}

/**
 * `count` seeded failure schedules for a trace of `traceLengthSec`, each of `perScheduleFailures`
 * failures of `type`, sorted, at least `minSpacingSec` apart and at least as far from either end
 * of the trace (a baseline before each, room to recover after). Times are uniform over the
 * placements allowed (their offsets drawn to the millisecond); the same arguments give the same schedules.
 * Throws `bad-input` for arguments out of range or failures that cannot fit the trace.
 */
export function failureSchedules(traceLengthSec: number, count: number, perScheduleFailures: number, minSpacingSec: number, seed: number, type: FailureType = 'kill'): FailureSpec[][] {
  const problems: string[] = [];
  if (!(Number.isFinite(traceLengthSec) && traceLengthSec > 0)) problems.push(`the trace length must be a positive number of seconds, got ${traceLengthSec}`);
  if (!(Number.isInteger(count) && count >= 1)) problems.push(`the number of schedules must be a whole number ≥ 1, got ${count}`);
  if (!(Number.isInteger(perScheduleFailures) && perScheduleFailures >= 1)) problems.push(`failures per schedule must be a whole number ≥ 1, got ${perScheduleFailures}`);
  if (!(Number.isFinite(minSpacingSec) && minSpacingSec > 0)) problems.push(`the minimum spacing must be a positive number of seconds, got ${minSpacingSec}`);
  if (!Number.isInteger(seed)) problems.push(`the seed must be a whole number, got ${seed}`);
  if (!FAILURE_TYPES.includes(type)) problems.push(`unknown failure type "${type}" (use ${FAILURE_TYPES.join(', ')})`);
  if (problems.length > 0) throw badInput(`failure schedules: ${problems.join('; ')}`);
  const n = perScheduleFailures;
  const needed = (n + 1) * minSpacingSec;
  if (needed > traceLengthSec)
    throw badInput(
      `failure schedules: ${n} failure(s) at least ${minSpacingSec} s apart and ${minSpacingSec} s from either end need a trace of ${needed} s; this one is ${traceLengthSec} s`,
      `use at most ${Math.max(0, Math.floor(traceLengthSec / minSpacingSec) - 1)} failures per schedule, a shorter spacing, or a longer trace`,
    );
  // n points in [s, L − s] at least s apart ⇔ n sorted points in [0, L − (n + 1)·s], the k-th shifted by (k + 1)·s.
  const slack = traceLengthSec - needed;
  const random = seededRandom(seed);
  const out: FailureSpec[][] = [];
  for (let c = 0; c < count; c++) {
    const offsets = Array.from({ length: n }, () => Math.floor(random.next() * slack * 1000) / 1000).sort((a, b) => a - b);
    out.push(offsets.map((u, k) => ({ atSec: (k + 1) * minSpacingSec + u, type })));
  }
  return out;
}
