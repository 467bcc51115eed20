/** One applied interval change: when, and to what (ms). */
export interface AppliedChange {
  atMs: number;
  toIntervalMs: number;
}

/** A completed checkpoint: when it was triggered and how long it took, ms. */
export interface CompletedTrigger {
  atMs: number;
  tookMs: number;
  /** False for a checkpoint Flink triggered itself (the fallback interval), not the pacer. */
  own?: boolean;
}

export interface SpacingReport {
  /** Gaps checked: from the second checkpoint after each change on, none near a failure. */
  checked: number;
  /** Gaps stretched because the checkpoint before took about the interval or longer (one in flight at a time). */
  deferred: number;
  /** Gaps that begin or end with one of Flink's own (fallback) checkpoints: its timer, not the pacer's. */
  fallback: number;
  /** Gaps more than `tolerance` away from the interval in force. */
  off: { intervalMs: number; gapMs: number; atMs: number }[];
}

/**
 * Does checkpoint spacing follow each applied interval? For every change, the gaps between the
 * trigger times of completed checkpoints under it are compared with the new interval, from the
 * second checkpoint after the change on (the first is still spaced from the old schedule),
 * leaving out gaps within `failureMarginMs` before a failure up to its end.
 */
export function checkSpacing(changes: readonly AppliedChange[], completed: readonly CompletedTrigger[], failuresMs: readonly number[], tolerance = 0.1, failureMarginMs = 30_000): SpacingReport {
  const off: SpacingReport['off'] = [];
  let checked = 0;
  let deferred = 0;
  let fallback = 0;
  changes.forEach((c, i) => {
    const until = changes[i + 1]?.atMs ?? Infinity;
    const under = completed.filter((t) => t.atMs > c.atMs && t.atMs < until);
    for (let k = 2; k < under.length; k++) {
      const [a, b] = [under[k - 1]!, under[k]!];
      if (failuresMs.some((f) => f > a.atMs - failureMarginMs && f < b.atMs + 1000)) continue;
      if (a.own === false || b.own === false) {
        fallback++;
        continue;
      }
      const gap = b.atMs - a.atMs;
      if (a.tookMs >= (1 - tolerance) * c.toIntervalMs && gap > c.toIntervalMs) {
        deferred++;
        continue;
      }
      checked++;
      if (Math.abs(gap - c.toIntervalMs) > tolerance * c.toIntervalMs) off.push({ intervalMs: c.toIntervalMs, gapMs: gap, atMs: b.atMs });
    }
  });
  return { checked, deferred, fallback, off };
}
