import { describe, expect, it } from 'vitest';
import { recoveryTimeline, sustains, type JobSample } from '../../src/core/profiling/recovery.js';

const opts = { baselineMs: 20_000, sustainMs: 5000, sampleEveryMs: 1000, slackSeconds: 2 };

/** 30 s normal (lag ~100 at 1000 ev/s), kill at 30 s, RESTARTING 35–40 s, lag peaks then drains by ~55 s. */
function series(neverRecovers = false): JobSample[] {
  const out: JobSample[] = [];
  for (let s = 0; s < 90; s++) {
    const tMs = s * 1000;
    if (s < 35) out.push({ tMs, state: 'RUNNING', lag: 100 + (s % 3) * 10, inputEps: 1000 });
    else if (s < 40) out.push({ tMs, state: s < 37 ? 'RESTARTING' : 'INITIALIZING' });
    else {
      const lag = neverRecovers ? 15_000 + s * 100 : Math.max(110, 15_000 - (s - 40) * 1000);
      out.push({ tMs, state: 'RUNNING', lag, inputEps: 1000 });
    }
  }
  return out;
}

describe('recoveryTimeline', () => {
  it('finds detection, restart and the sustained end of catch-up', () => {
    const t = recoveryTimeline(series(), 30_000, opts);
    expect(t.detectedAtMs).toBe(35_000);
    expect(t.runningAtMs).toBe(40_000);
    expect(t.baselineLag).toBeGreaterThan(100);
    expect(t.thresholdLag).toBeCloseTo(120 + 2000);
    // lag 15000 - (s-40)*1000 <= 2120 from s = 53; it crossed 2120 at 52.88 s (3000 at 52 s, 2000 at 53 s)
    expect(t.recoveredAtMs).toBeCloseTo(52_880, 6);
  });

  it('sees a restart between two samples from Flink’s restart count alone', () => {
    // no sample catches the job out of RUNNING: the restart shows only as numRestarts 0 → 1 at 36 s
    const fast = series().map((x) => (x.state === 'RUNNING' ? x : { ...x, state: 'RUNNING' as const, lag: 15_000, inputEps: 0 })).map((x) => ({ ...x, restarts: x.tMs >= 36_000 ? 1 : 0 }));
    const t = recoveryTimeline(fast, 30_000, opts);
    expect(t.detectedAtMs).toBe(36_000);
    expect(t.runningAtMs).toBe(36_000);
    expect(t.recoveredAtMs).toBeCloseTo(52_880, 6);
    // without the count, nothing says the job restarted: never recovered
    expect(recoveryTimeline(fast.map(({ restarts: _, ...x }) => x), 30_000, opts).recoveredAtMs).toBeUndefined();
  });

  it('does not take the dead attempt’s metrics, served on after a restart, for a recovery', () => {
    // the source counter grows 1000 a second; after the restart REST serves the old attempt's last
    // lag (normal) and count until 47 s, then the new attempt's (count reset, lag from the replay)
    const stale = series().map((x) => {
      const s = x.tMs / 1000;
      if (s < 35) return { ...x, processed: 100_000 + s * 1000 };
      if (s < 40) return x;
      if (s < 47) return { ...x, lag: 110, processed: 134_000 };
      return { ...x, processed: (s - 40) * 2000 };
    });
    const t = recoveryTimeline(stale, 30_000, opts);
    expect(t.runningAtMs).toBe(40_000);
    expect(t.recoveredAtMs).toBeCloseTo(52_880, 6); // not 40 s: the stale lag did not count
  });

  it('takes a moving counter after the restart as fresh, even when the replay passed the old count before the first sample', () => {
    // a short-lived job: 1000 + 10/s before the kill; the new attempt replays fast and its counter is
    // past the old one from its first sample, after the stale (constant) reading until 47 s
    const small = series().map((x) => {
      const s = x.tMs / 1000;
      if (s < 35) return { ...x, processed: 1000 + s * 10 };
      if (s < 40) return x;
      if (s < 47) return { ...x, lag: 110, processed: 1350 };
      return { ...x, processed: 5000 + (s - 47) * 2000 };
    });
    expect(recoveryTimeline(small, 30_000, opts)).toMatchObject({ recoveredAtMs: expect.closeTo(52_880, 6), freshAtMs: 47_000 });
    // a counter that never moves again is never trusted
    const frozen = small.map((x) => (x.tMs >= 47_000 ? { ...x, lag: 110, processed: 1350 } : x));
    const t = recoveryTimeline(frozen, 30_000, opts);
    expect([t.runningAtMs, t.freshAtMs, t.recoveredAtMs]).toEqual([40_000, undefined, undefined]);
  });

  it('leaves the end undefined for a failure that never recovers', () => {
    const t = recoveryTimeline(series(true), 30_000, opts);
    expect(t.runningAtMs).toBe(40_000);
    expect(t.recoveredAtMs).toBeUndefined();
  });

  it('does not end a recovery on a short dip that is not sustained', () => {
    const s = series();
    s[45] = { ...s[45]!, lag: 50 };
    expect(recoveryTimeline(s, 30_000, opts).recoveredAtMs).toBeCloseTo(52_880, 6);
  });

  it('is undefined while the data after the injection is still short (live use)', () => {
    const t = recoveryTimeline(series().slice(0, 55), 30_000, opts);
    expect(t.runningAtMs).toBe(40_000);
    expect(t.recoveredAtMs).toBeUndefined();
  });

  it('times a freeze that only builds a backlog (no restart) from the lag alone', () => {
    const s: JobSample[] = [];
    for (let i = 0; i < 60; i++) {
      const lag = i < 30 ? 100 : i < 33 ? 100 : i < 36 ? 3000 * (i - 32) : Math.max(100, 9000 - (i - 36) * 2000);
      s.push({ tMs: i * 1000, state: 'RUNNING', lag, inputEps: 1000 });
    }
    const t = recoveryTimeline(s, 30_000, { ...opts, requireRestart: false });
    expect(t.detectedAtMs).toBeUndefined();
    expect(t.recoveredAtMs).toBeCloseTo(39_450, 6); // 3000 at s = 39, 1000 ≤ 2100 at s = 40: crossed 2100 at 39.45 s
    expect(recoveryTimeline(s, 30_000, opts).recoveredAtMs).toBeUndefined(); // a kill must see a restart
  });

  it('does not let stale normal samples before the detection end a kill', () => {
    const t = recoveryTimeline(series(), 30_000, opts);
    expect(t.recoveredAtMs).toBeGreaterThan(t.runningAtMs!);
  });
});

describe('recovery measured finer than whole seconds', () => {
  const TRUE_END_MS = 6300;
  /**
   * 30 s of normal (lag 100 at 1000 ev/s: threshold 100 + 2 s · 1000 = 2100), a kill at 0, not
   * RUNNING from 0.4 s to 2 s, then the lag drains linearly from 20,000 to cross 2100 at exactly
   * 6.3 s, down to 100. Sampled every `periodMs` from a phase that puts no sample on 6.3 s, with
   * `jitterMs` of timer jitter (deterministic).
   */
  function sampled(periodMs: number, jitterMs = 0, dip?: { fromMs: number; toMs: number }): JobSample[] {
    const slope = (20_000 - 2100) / (TRUE_END_MS - 2000);
    const out: JobSample[] = [];
    for (let k = 0; ; k++) {
      const tMs = -30_000 + 900 + k * periodMs + jitterMs * Math.sin(k * 1.7);
      if (tMs > 40_000) return out;
      if (tMs >= 400 && tMs < 2000) out.push({ tMs, state: 'RESTARTING' });
      else {
        let lag = tMs < 0 ? 100 : Math.max(100, 20_000 - slope * (tMs - 2000));
        if (dip && tMs >= dip.fromMs && tMs < dip.toMs) lag = 150; // a short normal spell inside the catch-up
        out.push({ tMs, state: 'RUNNING', lag, inputEps: 1000 });
      }
    }
  }

  for (const periodMs of [1000, 250]) {
    it(`measures a recovery ending at 6.3 s within a tenth of the ${periodMs} ms sampling period`, () => {
      for (const jitterMs of [0, periodMs / 10]) {
        const t = recoveryTimeline(sampled(periodMs, jitterMs), 0, { ...opts, sampleEveryMs: periodMs });
        expect(t.thresholdLag).toBe(2100);
        // Whole samples would say the first normal one: up to a period late (6.9 s at 1 s, 6.4 s at 250 ms).
        expect(Math.abs(t.recoveredAtMs! - TRUE_END_MS)).toBeLessThanOrEqual(periodMs / 10);
      }
    });
  }

  it('keeps the sustain window a time at any period: 2 s of normal inside the catch-up does not end it at 250 ms', () => {
    const t = recoveryTimeline(sampled(250, 0, { fromMs: 3000, toMs: 5000 }), 0, { ...opts, sampleEveryMs: 250 });
    expect(Math.abs(t.recoveredAtMs! - TRUE_END_MS)).toBeLessThanOrEqual(25);
  });

  it('takes the same number of samples to sustain 5 s as it always did at 1 s, and 20 at 250 ms', () => {
    const samplesNeeded = (periodMs: number) => {
      for (let k = 1; ; k++) if (sustains(0, (k - 1) * periodMs, { sustainMs: 5000, sampleEveryMs: periodMs })) return k;
    };
    expect(samplesNeeded(1000)).toBe(5);
    expect(samplesNeeded(250)).toBe(20);
  });
});
