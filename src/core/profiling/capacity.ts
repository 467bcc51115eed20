import { median } from '../stats.js';
import type { ProbeStep } from './profile-records.js';
import type { JobSample } from './recovery.js';

/**
 * The capacity probe's judgement, pure: a staircase of input rates on one replica, each held until
 * its throughput and lag are steady; sustainable is the highest rate whose lag does not grow
 * (bench/replica-capacity.ts measures the same by hand).
 */
export const PROBE = {
  /** Seconds judged at the end of a hold (one sample a second). */
  windowSec: 6,
  /** A hold is judged no earlier than this: the replay and the sampler's counters settle first. */
  minHoldSec: 10,
  /** The lag grows when its slope exceeds this fraction of the input rate (absorbs fetch batching). */
  growth: 0.03,
  /** Throughput is steady when every reading of the window is within this of their median. */
  spread: 0.15,
  /**
   * A rate is sustained only when the replica processed at least this fraction of it: on a
   * saturated machine the replayer itself falls behind, and then the lag cannot grow (measured:
   * 3 IoT replicas on 2 cores processed 1,912 ev/s of 4,000 offered with a flat lag).
   */
  delivered: 0.85,
  /** The staircase ends once the gap between the highest sustained and lowest failed rate is below this fraction. */
  resolution: 0.05,
} as const;

/** Least-squares slope of y over t (ms), per second; 0 for fewer than two points. */
function slopePerSec(ts: readonly number[], ys: readonly number[]): number {
  const n = ts.length;
  if (n < 2) return 0;
  const mt = ts.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (ts[i]! - mt) * (ys[i]! - my);
    den += (ts[i]! - mt) ** 2;
  }
  return den > 0 ? (num / den) * 1000 : 0;
}

/**
 * Records per second from the source's counter, first to last reading of the last minHoldSec
 * samples: per-second rates alias (Flink refreshes metrics about once a second, so a sample can
 * see no change and the next twice as much); over 10 s the error is one refresh in ten at most.
 * Undefined without two readings or across a reset.
 */
function counted(w: readonly JobSample[]): number | undefined {
  const c = w.filter((s) => s.processed !== undefined);
  const [a, b] = [c[0], c.at(-1)];
  if (!a || !b || b.tMs <= a.tMs || b.processed! < a.processed!) return undefined;
  return ((b.processed! - a.processed!) * 1000) / (b.tMs - a.tMs);
}

/**
 * Judges a hold at `rateEps` from its samples so far (oldest first): undefined while not steady
 * yet (and `final` is false), else the step. Steady: after minHoldSec, the lag clearly grows, or
 * it does not and the throughput is steady over the window. At the last second of the hold
 * (`final`) the lag and the throughput decide. Sustained: the lag did not grow and the replica
 * processed at least PROBE.delivered of the rate.
 */
export function judgeHold(rateEps: number, samples: readonly JobSample[], final: boolean): ProbeStep | undefined {
  const held = samples.length;
  if (held < PROBE.minHoldSec && !final) return undefined;
  const w = samples.slice(-PROBE.windowSec).filter((s) => s.state === 'RUNNING' && s.lag !== undefined);
  const lagSlopeEps = slopePerSec(w.map((s) => s.tMs), w.map((s) => s.lag!));
  const rates = w.flatMap((s) => (s.inputEps === undefined ? [] : [s.inputEps]));
  const throughputEps = counted(samples.slice(-PROBE.minHoldSec).filter((s) => s.state === 'RUNNING')) ?? (rates.length ? median(rates) : null);
  const growing = lagSlopeEps > PROBE.growth * rateEps;
  const steadyRate = throughputEps !== null && throughputEps > 0 && rates.every((r) => Math.abs(r - throughputEps) <= PROBE.spread * throughputEps);
  if (!final && w.length < PROBE.windowSec) return undefined;
  if (!final && !growing && !steadyRate) return undefined;
  const delivered = throughputEps !== null && throughputEps >= PROBE.delivered * rateEps;
  return { rateEps, heldSec: held, throughputEps, lagSlopeEps, sustained: !growing && delivered && w.length >= 2 };
}

/**
 * One hold's verdict over replicas fed the same input: undefined until every replica has one;
 * sustained only when every replica sustained it, with the slowest throughput and the steepest lag.
 */
export function judgeReplicas(steps: readonly (ProbeStep | undefined)[]): ProbeStep | undefined {
  if (steps.length === 0 || steps.some((s) => s === undefined)) return undefined;
  const all = steps as ProbeStep[];
  const rates = all.flatMap((s) => (s.throughputEps === null ? [] : [s.throughputEps]));
  return {
    rateEps: all[0]!.rateEps,
    heldSec: Math.max(...all.map((s) => s.heldSec)),
    throughputEps: rates.length === all.length ? Math.min(...rates) : null,
    lagSlopeEps: Math.max(...all.map((s) => s.lagSlopeEps)),
    sustained: all.every((s) => s.sustained),
    replicaThroughputEps: all.map((s) => s.throughputEps),
  };
}

/**
 * The next rate of the staircase, or undefined when done: doubling from `startEps` until a rate
 * is not sustained, then bisecting between the highest sustained and the lowest failed rate until
 * they are within PROBE.resolution. `maxEps` caps the climb (what the replayer can produce).
 */
export function nextProbeRate(steps: readonly ProbeStep[], startEps: number, maxEps: number): number | undefined {
  if (steps.length === 0) return startEps;
  const ok = steps.filter((s) => s.sustained).map((s) => s.rateEps);
  const bad = steps.filter((s) => !s.sustained).map((s) => s.rateEps);
  const lo = ok.length ? Math.max(...ok) : 0;
  const hi = bad.length ? Math.min(...bad) : undefined;
  if (hi === undefined) return lo >= maxEps ? undefined : Math.min(maxEps, Math.max(startEps, lo * 2));
  if (lo === 0) return hi / 2 >= startEps / 8 ? Math.round(hi / 2) : undefined;
  return (hi - lo) / lo <= PROBE.resolution ? undefined : Math.round((lo + hi) / 2);
}

/** The highest sustained rate of a probe, 0 when none was. */
export const sustainableEps = (steps: readonly ProbeStep[]) => Math.max(0, ...steps.filter((s) => s.sustained).map((s) => s.rateEps));
