import { badInput } from '../errors.js';
import { seededRandom } from '../random.js';
import type { RealRunRecord } from './real-run.js';

/**
 * The plan of a real-stack evaluation (`khaos evaluate` without --sim): which runs, in which
 * seeded random order, each with its replay slice and kills. Run k of every policy gets the same
 * slice and the same kills, so that runs can be paired by k; the order is shuffled so that a
 * drift of the machine over a sitting (a warming disk, a busy neighbour) falls on no policy in
 * particular. The plan is written before the first run (`plan.json`) and named in every run
 * record (`planId`), so an interrupted evaluation can be resumed and sittings can be joined.
 */
export interface PlannedRun {
  /** 1-based place in the order the runs are made. */
  position: number;
  /** The repeat index k, 1-based. */
  run: number;
  /** The policies measured together: one when sequential, all of them when side by side. */
  policies: string[];
}

export interface RealPlan {
  job: string;
  parallelism: number;
  trace: string;
  peakRateEps: number;
  /** replay.peakPercentile when below 100 (absent: the trace's maximum, as in plans made before the option). */
  peakPercentile?: number;
  compression: number;
  /** Where the replayed slice starts, trace s: the warm-up first, then the scored window. */
  startOffsetSec: number;
  /** Wall s of replay at the start of each run that nothing is scored on and no kill falls in. */
  warmupSec: number;
  /** Wall s of the scored window (replay.duration). */
  durationSec: number;
  /** Seed of the replayed events. */
  seed: number;
  mode: 'sequential' | 'side-by-side';
  drainMs: number;
  initialIntervalMs: number;
  fallbackIntervalMs: number;
  policies: string[];
  repeats: number;
  orderSeed: number;
  /** The kills of run k at index k − 1, wall s after its scored window starts. */
  killsSec: number[][];
  order: PlannedRun[];
}

/** The seeded order: every (policy, k) when sequential, every k when side by side, shuffled (Fisher–Yates). */
export function planRealRuns(setup: Omit<RealPlan, 'order'>): RealPlan {
  const ks = Array.from({ length: setup.repeats }, (_, i) => i + 1);
  const units = setup.mode === 'sequential' ? ks.flatMap((run) => setup.policies.map((p) => ({ run, policies: [p] }))) : ks.map((run) => ({ run, policies: [...setup.policies] }));
  const random = seededRandom(setup.orderSeed);
  for (let i = units.length - 1; i > 0; i--) {
    const j = random.int(i + 1);
    [units[i], units[j]] = [units[j]!, units[i]!];
  }
  return { ...setup, order: units.map((u, i) => ({ position: i + 1, ...u })) };
}

/**
 * A short name of a plan (FNV-1a of its JSON, 32 bits): records with the same id were made under
 * the same plan. Not a security hash: it tells honest sittings apart, nothing more.
 */
export function planId(plan: RealPlan): string {
  const text = JSON.stringify(plan);
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return `plan-${h.toString(16).padStart(8, '0')}`;
}

/** The settings two plans differ in, as `key: a → b` (the order follows from them and is left out). */
export function planDifferences(a: RealPlan, b: RealPlan): string[] {
  const keys = (Object.keys(a) as (keyof RealPlan)[]).filter((k) => k !== 'order');
  return keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k}: ${JSON.stringify(a[k])} → ${JSON.stringify(b[k])}`);
}

/**
 * Everything about the plan that would waste or spoil runs, checked before anything starts; each
 * problem with its numbers. `traceSpanSec` is the trace's length, `recoveryTargetS` the target a
 * kill's recovery is judged against: a kill needs that long after it, before the next kill and
 * before the run ends (scored window + drain), for its recovery to be judged.
 */
export function realPlanProblems(p: RealPlan, traceSpanSec: number, recoveryTargetS: number): string[] {
  const problems: string[] = [];
  const sliceSec = (p.warmupSec + p.durationSec) * p.compression;
  if (p.startOffsetSec + sliceSec > traceSpanSec)
    problems.push(`the replayed slice (warm-up ${p.warmupSec} s + scored ${p.durationSec} s, ×${p.compression}) covers ${sliceSec} s of trace from +${p.startOffsetSec} s, ending at +${p.startOffsetSec + sliceSec} s, but ${p.trace} lasts ${traceSpanSec} s: lower replay.startOffset to at most ${Math.max(0, traceSpanSec - sliceSec)} s, or shorten replay.duration, evaluate.real.warmup or replay.compression`);
  const endSec = p.durationSec + p.drainMs / 1000;
  // The same kills in every run are checked once, and named without a run.
  const same = p.killsSec.every((k) => JSON.stringify(k) === JSON.stringify(p.killsSec[0]));
  (same ? p.killsSec.slice(0, 1) : p.killsSec).forEach((kills, i) => {
    const run = same ? '' : ` of run ${i + 1}`;
    const say = (s: string) => problems.push(s);
    for (const k of kills) if (!(k > 0 && k < p.durationSec)) say(`the kill${run} at +${k} s is outside the scored window (0, ${p.durationSec}) s after the warm-up: kill after the warm-up and before the replay ends`);
    kills.slice(1).forEach((k, j) => {
      if (k - kills[j]! < recoveryTargetS) say(`the kills${run} at +${kills[j]} s and +${k} s are ${Math.round((k - kills[j]!) * 10) / 10} s apart, less than the recovery target of ${recoveryTargetS} s: the first one's recovery cannot be judged; space them at least ${recoveryTargetS} s apart (evaluate.real.kills, or evaluate.real.minSpacing ≥ control.recoveryTarget)`);
    });
    const last = kills.at(-1);
    if (last !== undefined && last < p.durationSec && last + recoveryTargetS > endSec)
      say(`the last kill${run} at +${last} s leaves ${Math.round((endSec - last) * 10) / 10} s to the end of the run (scored ${p.durationSec} s + drain ${p.drainMs / 1000} s), less than the recovery target of ${recoveryTargetS} s: kill earlier, or lengthen replay.duration or evaluate.real.drain`);
  });
  return problems;
}

/**
 * A range of positions of the order (`--runs 1-5`, `--runs 3`), 1-based and inclusive, checked
 * against the plan's length. Throws `bad-input` for anything else.
 */
export function parseRunRange(text: string, total: number): { from: number; to: number } {
  const m = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/.exec(text);
  const from = m ? Number(m[1]) : NaN;
  const to = m ? Number(m[2] ?? m[1]) : NaN;
  if (!(from >= 1 && to >= from && to <= total)) throw badInput(`--runs "${text}": not a range of the planned runs 1-${total}`, `give positions of the printed order, e.g. --runs 1-${Math.min(total, 5)}`);
  return { from, to };
}

/**
 * A record as scored: its replay and checkpoints from the end of the warm-up on, so every figure
 * computed from it (QoS, the simulator's replay of it) leaves the warm-up out. The samples stay
 * whole (a kill's baseline may reach into the warm-up); those before the scored window are not
 * judged, as nothing before the replay is. A record without `warmupSec` (older ones) is its own.
 */
export function scoredView(r: RealRunRecord): RealRunRecord {
  const w = r.warmupSec ?? 0;
  if (w === 0) return r;
  const from = r.replayStartMs + w * 1000;
  return { ...r, replayStartMs: from, scheduleEps: r.scheduleEps.slice(w), checkpoints: r.checkpoints.filter((c) => c.triggeredAtMs >= from) };
}

/** The planned runs not in `records` (by position and policy). */
export function missingRuns(plan: RealPlan, records: readonly RealRunRecord[]): RealPlan['order'] {
  const done = new Set(records.map((r) => `${r.position}:${r.policy}`));
  return plan.order.filter((u) => u.policies.some((p) => !done.has(`${u.position}:${p}`)));
}
