import { describe, expect, it } from 'vitest';
import { recoveryTimeline, type JobSample } from '../../src/core/profiling/recovery.js';

const opts = { baselineMs: 20_000, sustainSamples: 5, slackSeconds: 2 };

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
    // lag 15000 - (s-40)*1000 <= 2120 from s = 53
    expect(t.recoveredAtMs).toBe(53_000);
  });

  it('sees a restart between two samples from Flink’s restart count alone', () => {
    // no sample catches the job out of RUNNING: the restart shows only as numRestarts 0 → 1 at 36 s
    const fast = series().map((x) => (x.state === 'RUNNING' ? x : { ...x, state: 'RUNNING' as const, lag: 15_000, inputEps: 0 })).map((x) => ({ ...x, restarts: x.tMs >= 36_000 ? 1 : 0 }));
    const t = recoveryTimeline(fast, 30_000, opts);
    expect(t.detectedAtMs).toBe(36_000);
    expect(t.runningAtMs).toBe(36_000);
    expect(t.recoveredAtMs).toBe(53_000);
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
    expect(t.recoveredAtMs).toBe(53_000); // not 40 s: the stale lag did not count
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
    expect(recoveryTimeline(small, 30_000, opts)).toMatchObject({ recoveredAtMs: 53_000, freshAtMs: 47_000 });
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
    expect(recoveryTimeline(s, 30_000, opts).recoveredAtMs).toBe(53_000);
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
    expect(t.recoveredAtMs).toBe(40_000); // 9000 - 4*2000 = 1000 <= 2100 at s = 40
    expect(recoveryTimeline(s, 30_000, opts).recoveredAtMs).toBeUndefined(); // a kill must see a restart
  });

  it('does not let stale normal samples before the detection end a kill', () => {
    const t = recoveryTimeline(series(), 30_000, opts);
    expect(t.recoveredAtMs).toBeGreaterThan(t.runningAtMs!);
  });
});
