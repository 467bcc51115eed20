import { describe, expect, it } from 'vitest';
import { KhaosError } from '../../src/core/errors.js';
import { physicalLatencyMs, physicalRecoverySec } from '../../src/core/models/regression.js';
import { abortSavepoint, cancel, injectFailure, reconfigure, relaunch, requestCheckpoint, setPacedInterval, setSlotsAvailable, stopWithSavepoint } from '../../src/core/sim/fluid-commands.js';
import { fluidParams } from '../../src/core/sim/fluid-params.js';
import { backlog, createFluidJob, headAgeMs, latencyP99Ms, processing, type FluidEvent, type FluidState } from '../../src/core/sim/fluid-state.js';
import { step } from '../../src/core/sim/fluid.js';
import { simulate } from '../../src/core/sim/simulate.js';

// Round numbers so that every expectation can be worked out by hand:
// capacity 10 000 ev/s; downtime D = detection 5 s + restart 3 s + restore (1 s + 100 MB at 50 MB/s = 2 s) = 11 s.
const CAPACITY = 10_000;
const D = 5 + 3 + 1 + 2;
const params = (over: Parameters<typeof fluidParams>[0] = {}) =>
  fluidParams({
    capacityEps: CAPACITY,
    checkpoint: { baseMs: 200, bytesPerSec: 100_000_000, capacityLoss: 0, latencyMs: 0 },
    detectionSec: { kill: 5, freeze: 10, exception: 0 },
    restartSec: 3,
    restore: { baseSec: 1, bytesPerSec: 50_000_000 },
    savepoint: { baseMs: 1000 },
    relaunchSec: 4,
    latency: { baseMs: 100, perCiMs: 0.001, queueMsEps: 500_000 },
    state: { baseBytes: 100_000_000, bytesPerEvent: 0, windowSec: 60 },
    ...over,
  });

const constant = (eps: number, seconds: number) => new Array<number>(seconds).fill(eps);

/** Steps a job second by second at `eps`, calling `each` after every second. */
function run(job: FluidState, eps: number, seconds: number, each?: (job: FluidState) => void, events?: FluidEvent[]): void {
  for (let s = 0; s < seconds; s++) {
    step(job, 1000, eps, undefined, events ? (e) => events.push(e) : undefined);
    each?.(job);
  }
}

describe('fluid job: steady state', () => {
  it('keeps the backlog at 0 below capacity, even while checkpoints cost capacity', () => {
    const r = simulate({ ratesEps: constant(8_000, 1800), actuator: 'restart', initialIntervalMs: 10_000, params: params({ checkpoint: { capacityLoss: 0.15 } }) });
    expect(Math.max(...r.series.backlog)).toBe(0);
    expect(r.totals.checkpoints).toBe(179);
  });

  it('builds a backlog during checkpoints near capacity and drains it between them', () => {
    // 9 500 ev/s with 8 500 ev/s left while a 3.2 s checkpoint runs: 1 000 ev/s pile up (3 000 at the
    // sample 3 s in), then drain at 500 ev/s.
    const r = simulate({ ratesEps: constant(9_500, 600), actuator: 'restart', initialIntervalMs: 30_000, params: params({ checkpoint: { baseMs: 2200, capacityLoss: 0.15 } }) });
    const peak = Math.max(...r.series.backlog);
    expect(peak).toBeCloseTo(3_000, 6);
    expect(peak).toBeLessThanOrEqual(3_200 + 1e-6);
    expect(r.series.backlog[r.series.backlog.length - 1]).toBe(0);
  });

  it('gives the latency of physicalLatencyMs when checkpoints cost nothing, plus the bump in seconds with a checkpoint', () => {
    const p = params();
    const quiet = simulate({ ratesEps: constant(6_000, 300), actuator: 'paced', initialIntervalMs: 20_000, params: p });
    const expected = physicalLatencyMs({ capacityEps: CAPACITY, baseMs: 100, perCiMs: 0.001, queueMsEps: 500_000 }, 6_000, 20_000);
    for (const l of quiet.series.latencyMs) expect(l).toBeCloseTo(expected, 9);

    const bumped = simulate({ ratesEps: constant(6_000, 300), actuator: 'paced', initialIntervalMs: 20_000, params: params({ checkpoint: { latencyMs: 40 } }) });
    const withBump = [...bumped.series.latencyMs].filter((l) => l > expected + 1e-9);
    // Paced checkpoints at 0, 20, 40 … s, each 1.2 s long: seconds 0 and 1 of every 20 carry the bump.
    expect(withBump.length).toBe(15 * 2);
    for (const l of withBump) expect(l).toBeCloseTo(expected + 40, 9);
  });

  it('checkpoints every interval: paced from the start, Flink periodic from deployment', () => {
    for (const actuator of ['paced', 'restart'] as const) {
      const job = createFluidJob(params(), { actuator, intervalMs: 15_000 });
      const events: FluidEvent[] = [];
      run(job, 1_000, 100, undefined, events);
      const triggers = events.filter((e) => e.kind === 'checkpoint-triggered').map((e) => e.atMs);
      expect(triggers).toEqual(actuator === 'paced' ? [0, 15_000, 30_000, 45_000, 60_000, 75_000, 90_000] : [15_000, 30_000, 45_000, 60_000, 75_000, 90_000]);
      const completed = events.flatMap((e) => (e.kind === 'checkpoint-completed' ? [e.checkpoint] : []));
      for (const c of completed) expect(c.completedAtMs - c.triggeredAtMs).toBeCloseTo(200 + 1000, 9);
      expect(job.restorePoint?.position).toBeCloseTo(90_000 * 1, 6);
    }
  });

  it('longer checkpoints and restores with more state', () => {
    const small = createFluidJob(params(), { actuator: 'paced', intervalMs: 10_000 });
    const large = createFluidJob(params({ state: { baseBytes: 500_000_000 } }), { actuator: 'paced', intervalMs: 10_000 });
    run(small, 1_000, 30);
    run(large, 1_000, 30);
    const duration = (j: FluidState) => j.lastCompleted!.completedAtMs - j.lastCompleted!.triggeredAtMs;
    expect(duration(small)).toBeCloseTo(200 + 1000, 9);
    expect(duration(large)).toBeCloseTo(200 + 5000, 9);
    // Restore: 1 s + 100 MB / 50 MB/s = 3 s, and 1 s + 500 MB / 50 MB/s = 11 s.
    const downtime = (j: FluidState) => {
      const events: FluidEvent[] = [];
      injectFailure(j, 'kill');
      const at = j.tMs;
      run(j, 1_000, 60, undefined, events);
      return (events.find((e) => e.kind === 'running')!.atMs - at) / 1000;
    };
    expect(downtime(small)).toBeCloseTo(5 + 3 + 3, 9);
    expect(downtime(large)).toBeCloseTo(5 + 3 + 11, 9);
  });

  it('grows the state with the processing rate when the state model says so', () => {
    const job = createFluidJob(params({ state: { baseBytes: 0, bytesPerEvent: 100, windowSec: 10 } }), { actuator: 'paced', intervalMs: 10_000 });
    run(job, 5_000, 200);
    // 5 000 ev/s × 10 s × 100 B = 5 MB: checkpoints of 200 ms + 50 ms.
    expect(job.lastCompleted!.stateBytes).toBeCloseTo(5_000_000, -2);
  });
});

describe('fluid job: failures', () => {
  it('rewinds to the last completed checkpoint and replays: every input event processed exactly once net of rewinds', () => {
    const job = createFluidJob(params({ checkpoint: { capacityLoss: 0.1 } }), { actuator: 'paced', intervalMs: 20_000 });
    let input = 0;
    const check = (j: FluidState) => {
      expect(j.consumed).toBeLessThanOrEqual(j.inputOffset + 1e-6);
      expect(j.restorePoint?.position ?? 0).toBeLessThanOrEqual(j.consumed + 1e-6);
      expect(j.processedTotal - j.rewoundTotal).toBeCloseTo(j.consumed, 3);
    };
    for (let s = 0; s < 3_000; s++) {
      const rate = 5_000 + 3_000 * Math.sin(s / 200);
      if (s === 300) injectFailure(job, 'kill');
      if (s === 700) injectFailure(job, 'exception');
      if (s === 1100) injectFailure(job, 'freeze', 4_000);
      if (s === 1500) injectFailure(job, 'freeze');
      if (s === 1900) expect(reconfigure(job, 40_000)).toBe(true);
      if (s === 1905) injectFailure(job, 'kill'); // during the relaunch: a restart from the savepoint
      if (s === 2300) {
        injectFailure(job, 'kill');
        step(job, 2_000, rate);
        input += 2 * rate;
        injectFailure(job, 'kill'); // a second one before the first is detected joins its restart
      }
      step(job, 1000, rate);
      input += rate;
      check(job);
    }
    // No failure pending at the end, and the backlog drained: the source has read exactly the input.
    expect(job.phase).toBe('running');
    expect(backlog(job)).toBe(0);
    expect(job.consumed).toBe(job.inputOffset);
    expect(job.inputOffset / input).toBeCloseTo(1, 12);
    expect((job.processedTotal - job.rewoundTotal) / job.inputOffset).toBeCloseTo(1, 12);
    expect(job.rewoundTotal).toBeGreaterThan(0);
    expect(job.processedTotal).toBeGreaterThan(job.inputOffset);
    expect(job.counters.failures).toBe(7);
    // kill, exception, long freeze, the kill during the relaunch, the two joined kills: 5 restarts; the short freeze none.
    expect(job.counters.restarts).toBe(5);
    expect(job.counters.reconfigurations).toBe(1);
  });

  it('recovers in the time physicalRecoverySec gives for a failure just before a checkpoint', () => {
    // The closed form: R = D + λ(φ·CI + D)/(capacity − λ), with φ·CI = CI − 0.5 s for a kill 0.5 s
    // before a checkpoint is due. The detector samples every second, with no lag slack here: the
    // simulated recovery ends at the first sample with an empty backlog, within 1 s after the closed form.
    for (const eps of [2_000, 5_000, 8_000])
      for (const ciMs of [10_000, 30_000, 60_000])
        for (const actuator of ['paced', 'restart'] as const) {
          const atSec = (Math.ceil(1_200_000 / ciMs) * ciMs) / 1000 - 0.5;
          const r = simulate({ ratesEps: constant(eps, 2_400), failures: [{ atSec, type: 'kill' }], actuator, initialIntervalMs: ciMs, params: params(), control: { recovery: { slackSeconds: 0 } } });
          const closed = physicalRecoverySec({ capacityEps: CAPACITY, downtimeSec: D, phi: (ciMs - 500) / ciMs }, eps, ciMs);
          const simulated = r.failures[0]!.recoverySec!;
          expect(simulated, `λ ${eps}, CI ${ciMs}, ${actuator}`).toBeGreaterThanOrEqual(closed - 1e-6);
          expect(simulated, `λ ${eps}, CI ${ciMs}, ${actuator}`).toBeLessThan(closed + 1);
          expect(r.failures[0]!.detectedAtSec! - atSec).toBeCloseTo(5.5, 9);
        }
  });

  it('detects a kill after its detection delay, restarts, restores, and only then processes again', () => {
    const job = createFluidJob(params(), { actuator: 'paced', intervalMs: 10_000 });
    run(job, 4_000, 25);
    const events: FluidEvent[] = [];
    injectFailure(job, 'kill', undefined, (e) => events.push(e));
    const phases: string[] = [];
    run(job, 4_000, 15, (j) => phases.push(j.phase), events);
    // Detected 5 s after the kill, restarted 3 s later, restored 3 s after that (phases at the end of each second).
    expect(phases).toEqual([...Array(4).fill('failed'), ...Array(3).fill('restarting'), ...Array(3).fill('restoring'), ...Array(5).fill('running')]);
    expect(events.map((e) => e.kind)).toEqual(['failure', 'detected', 'restore-started', 'running', 'checkpoint-triggered', 'checkpoint-completed']);
    // Checkpoint at 20 s stored offset 80 000: the kill at 25 s loses 5 s of processing, replayed.
    const restore = events.find((e) => e.kind === 'restore-started') as Extract<FluidEvent, { kind: 'restore-started' }>;
    expect(restore.from?.position).toBeCloseTo(80_000, 6);
    expect(restore.rewound).toBeCloseTo(20_000, 6);
  });

  it('a freeze shorter than its detection leaves a backlog and no restart; a longer one restarts as a kill does', () => {
    const short = createFluidJob(params(), { actuator: 'paced', intervalMs: 10_000 });
    run(short, 5_000, 25);
    injectFailure(short, 'freeze', 4_000);
    run(short, 5_000, 4);
    expect(short.phase).toBe('running');
    expect(backlog(short)).toBeCloseTo(20_000, 6);
    expect(short.rewoundTotal).toBe(0);
    run(short, 5_000, 10);
    expect(backlog(short)).toBe(0);
    expect(short.counters.restarts).toBe(0);

    const long = createFluidJob(params(), { actuator: 'paced', intervalMs: 10_000 });
    run(long, 5_000, 25);
    injectFailure(long, 'freeze', 60_000);
    run(long, 5_000, 10);
    expect(long.phase).toBe('restarting');
    expect(long.counters.restarts).toBe(0);
    run(long, 5_000, 10);
    expect(long.counters.restarts).toBe(1);
    expect(long.rewoundTotal).toBeCloseTo(25_000, 6);

    // Two short freezes that together outlast the 10 s heartbeat timeout: detected 10 s after the first began.
    const twice = createFluidJob(params(), { actuator: 'paced', intervalMs: 10_000 });
    run(twice, 5_000, 25);
    injectFailure(twice, 'freeze', 6_000);
    run(twice, 5_000, 5);
    injectFailure(twice, 'freeze', 6_000);
    run(twice, 5_000, 4);
    expect(twice.phase).toBe('frozen');
    run(twice, 5_000, 1);
    expect(twice.phase).toBe('restarting');
  });

  it('reports the wait of the oldest event as latency: replayed events keep their age', () => {
    const job = createFluidJob(params(), { actuator: 'paced', intervalMs: 10_000 });
    run(job, 5_000, 25);
    injectFailure(job, 'kill');
    run(job, 5_000, 11);
    // Processing resumes at 36 s from the checkpoint of 20 s: the event read next arrived 16 s ago.
    const t = step(job, 1, 5_000);
    expect(latencyP99Ms(job, t)).toBeCloseTo(100 + 10 + 500_000 / 5_000 + 16_000, 0);
  });
});

describe('fluid job: actuators', () => {
  it('paced: a new interval takes effect at once, with no outage', () => {
    const job = createFluidJob(params(), { actuator: 'paced', intervalMs: 60_000 });
    const events: FluidEvent[] = [];
    run(job, 1_000, 30, undefined, events);
    setPacedInterval(job, 10_000);
    run(job, 1_000, 30, (j) => expect(j.phase).toBe('running'), events);
    expect(events.filter((e) => e.kind === 'checkpoint-triggered').map((e) => e.atMs)).toEqual([0, 30_000, 40_000, 50_000, 60_000]);
    // Asked for one now while one is in flight: it follows as soon as that one completes (1.2 s).
    requestCheckpoint(job);
    step(job, 1500, 1_000, undefined, (e) => events.push(e));
    expect(events.at(-1)).toMatchObject({ kind: 'checkpoint-triggered', atMs: 61_200 });
    expect(backlog(job)).toBe(0);
  });

  it('restart: a change costs savepoint + relaunch + restore, during which the input piles up', () => {
    const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 60_000 });
    run(job, 4_000, 30);
    const events: FluidEvent[] = [];
    expect(reconfigure(job, 10_000, (e) => events.push(e))).toBe(true);
    expect(reconfigure(job, 20_000)).toBe(false); // one at a time
    // savepoint 1 s + 100 MB at 100 MB/s = 2 s, relaunch 4 s, restore 3 s: 9 s without processing.
    run(job, 4_000, 9, undefined, events);
    expect(job.phase).toBe('running');
    expect(backlog(job)).toBeCloseTo(36_000, 6);
    expect(job.counters.reconfigurations).toBe(1);
    expect(job.counters.reconfigurationDowntimeMs).toBeCloseTo(9_000, 6);
    expect(job.intervalMs).toBe(10_000);
    expect(job.rewoundTotal).toBe(0); // the savepoint holds exactly what was read
    expect(events.map((e) => e.kind)).toEqual(['savepoint-triggered', 'savepoint-completed', 'interval-changed', 'relaunch-started', 'restore-started', 'running', 'reconfigured']);
    expect(() => setPacedInterval(job, 5_000)).toThrow(KhaosError);
  });

  it('a failure during the savepoint fails the reconfiguration: the job restarts at its old interval', () => {
    const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 60_000 });
    run(job, 4_000, 30);
    reconfigure(job, 10_000);
    step(job, 500, 4_000);
    injectFailure(job, 'kill');
    run(job, 4_000, 30);
    expect(job.counters.reconfigurationsFailed).toBe(1);
    expect(job.counters.reconfigurations).toBe(0);
    expect(job.intervalMs).toBe(60_000);
    expect(job.phase).toBe('running');
  });
});

describe('fluid job: Flink’s lifecycle (what the test fake of Flink runs on)', () => {
  const kinds = (events: FluidEvent[]) => events.map((e) => e.kind);
  const triggers = (events: FluidEvent[]) => events.flatMap((e) => (e.kind === 'checkpoint-triggered' ? [e.atMs] : []));

  it('restart actuator: Flink’s own timer at the (fallback) interval and requested checkpoints together', () => {
    const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 60_000 });
    const events: FluidEvent[] = [];
    run(job, 1_000, 15, undefined, events);
    requestCheckpoint(job);
    run(job, 1_000, 10, undefined, events);
    requestCheckpoint(job);
    run(job, 1_000, 40, undefined, events);
    // Requested at 15 s and 25 s, fired at once; the timer still fires at 60 s.
    expect(triggers(events)).toEqual([15_000, 25_000, 60_000]);
  });

  it('starts: submitted, deployed after startupMs with nothing to restore, reading what the topic already holds from the earliest offset', () => {
    const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 10_000, atMs: 1000, startupMs: 4000, inputOffset: 10_000 });
    expect(job.phase).toBe('starting');
    const events: FluidEvent[] = [];
    run(job, 1_000, 3, undefined, events);
    expect(job.phase).toBe('starting');
    expect(job.consumed).toBe(0);
    run(job, 1_000, 1, undefined, events);
    expect(job.phase).toBe('running');
    expect(kinds(events)).toEqual(['running']);
    expect(events[0]!.atMs).toBe(5000);
    expect(backlog(job)).toBe(14_000);
    expect(headAgeMs(job)).toBe(4000); // the events already there arrived at submission
    expect(job.counters.deployments).toBe(1);
    run(job, 1_000, 11, undefined, events);
    expect(triggers(events)).toEqual([15_000]); // the timer starts with the deployed tasks
  });

  it('deploys only with free slots: a restart without them waits, nothing processed, until slots are back', () => {
    const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 10_000 });
    run(job, 2_000, 25);
    injectFailure(job, 'kill');
    setSlotsAvailable(job, false);
    const events: FluidEvent[] = [];
    run(job, 2_000, 20, undefined, events);
    // Detected after 5 s, restart delay 3 s: then scheduled, tasks not deployed.
    expect(kinds(events)).toEqual(['detected', 'scheduled']);
    expect(job.phase).toBe('scheduled');
    expect(job.numRestarts).toBe(1);
    expect(processing(job)).toBe(false);
    const consumed = job.consumed;
    events.length = 0;
    setSlotsAvailable(job, true, (e) => events.push(e));
    expect(kinds(events)).toEqual(['restore-started']);
    run(job, 2_000, 5, undefined, events);
    expect(job.phase).toBe('running');
    expect(job.consumed).toBeGreaterThan(consumed);
    // A new job without slots waits too, and then starts with nothing to restore.
    const late = createFluidJob(params(), { actuator: 'restart', intervalMs: 10_000, startupMs: 1000 });
    setSlotsAvailable(late, false);
    run(late, 2_000, 2);
    expect(late.phase).toBe('scheduled');
    setSlotsAvailable(late, true);
    expect(late.phase).toBe('running');
  });

  it('counts per job as Flink does: a relaunch is a new job, counted from 0', () => {
    const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 10_000 });
    run(job, 2_000, 35);
    injectFailure(job, 'kill');
    run(job, 2_000, 20);
    expect(job.job).toEqual({ number: 1, checkpointsCompleted: 3, checkpointsFailed: 0, restored: 1 });
    expect(job.numRestarts).toBe(1);
    expect(stopWithSavepoint(job)).toBe(true);
    run(job, 2_000, 3);
    expect(job.phase).toBe('stopped');
    expect(job.job.checkpointsCompleted).toBe(4); // and the savepoint
    expect(relaunch(job, 20_000)).toBe(true);
    run(job, 2_000, 10);
    expect(job.phase).toBe('running');
    expect(job.job).toEqual({ number: 2, checkpointsCompleted: 0, checkpointsFailed: 0, restored: 1 });
    expect(job.numRestarts).toBe(0);
    run(job, 2_000, 20);
    expect(job.job.checkpointsCompleted).toBe(1);
    expect(job.counters.checkpointsCompleted).toBe(4); // the totals run on
  });

  it('an aborted savepoint: the job runs on at its interval, the savepoint counted as failed', () => {
    const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 10_000 });
    run(job, 2_000, 5);
    expect(abortSavepoint(job)).toBe(false);
    stopWithSavepoint(job);
    step(job, 500, 2_000);
    const events: FluidEvent[] = [];
    expect(abortSavepoint(job, (e) => events.push(e))).toBe(true);
    expect(kinds(events)).toEqual(['reconfiguration-failed']);
    expect(job.phase).toBe('running');
    expect(job.job.checkpointsFailed).toBe(1);
    run(job, 2_000, 2);
    expect(backlog(job)).toBe(0); // the sources resumed
  });

  it('cancel: stopped, the checkpoint in flight aborted; a new job may start from an earlier savepoint', () => {
    const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 10_000 });
    run(job, 2_000, 5);
    stopWithSavepoint(job);
    run(job, 2_000, 3);
    const savepoint = job.restorePoint!;
    relaunch(job, 10_000);
    run(job, 2_000, 17);
    expect(job.inFlight).toBeDefined(); // running from 15 s (relaunch 4 s, restore 3 s), triggered at 25 s
    const events: FluidEvent[] = [];
    expect(cancel(job, (e) => events.push(e))).toBe(true);
    expect(kinds(events)).toEqual(['checkpoint-aborted', 'canceled']);
    expect(cancel(job)).toBe(false);
    run(job, 2_000, 5);
    expect(job.phase).toBe('stopped');
    expect(processing(job)).toBe(false);
    expect(relaunch(job, 5_000, undefined, savepoint)).toBe(true);
    run(job, 2_000, 10);
    expect(job.phase).toBe('running');
    expect(job.job.number).toBe(3);
    expect(job.restorePoint).toBe(savepoint);
  });

  it('checkpointsUntilDetected: Flink’s coordinator triggers during an undetected failure; a freeze delays the completion, a detection aborts it and drops the requests', () => {
    for (const untilDetected of [true, false]) {
      const job = createFluidJob(params(), { actuator: 'restart', intervalMs: 10_000, checkpointsUntilDetected: untilDetected });
      const events: FluidEvent[] = [];
      run(job, 2_000, 8, undefined, events);
      injectFailure(job, 'freeze', 4_000); // thawed at 12 s, before its 10 s detection
      run(job, 2_000, 6, undefined, events);
      const first = events.find((e) => e.kind === 'checkpoint-completed') as Extract<FluidEvent, { kind: 'checkpoint-completed' }>;
      // Due at 10 s during the freeze: triggered then, completed at the thaw — or held back to the thaw.
      expect([first.checkpoint.triggeredAtMs, first.checkpoint.completedAtMs]).toEqual(untilDetected ? [10_000, 12_000] : [12_000, 13_200]);
      run(job, 2_000, 8, undefined, events); // 22 s, the checkpoint of 20 s completed
      injectFailure(job, 'kill');
      run(job, 2_000, 1, undefined, events);
      requestCheckpoint(job);
      run(job, 2_000, 1, undefined, events);
      requestCheckpoint(job);
      run(job, 2_000, 12, undefined, events); // detected at 27 s, running again at 33 s
      const after = events.filter((e) => e.atMs > 22_000).map((e) => `${e.kind}@${e.atMs / 1000}`);
      // Asked for at 23 s (triggered at once, or held back) and again at 24 s (one in flight, or still held back).
      expect(after).toEqual(
        untilDetected
          ? ['checkpoint-triggered@23', 'checkpoint-aborted@27', 'detected@27', 'restore-started@30', 'running@33']
          : ['detected@27', 'restore-started@30', 'running@33', 'checkpoint-triggered@33', 'checkpoint-completed@34.2'],
      );
    }
  });
});

describe('fluid job: inputs', () => {
  it('is deterministic', () => {
    const once = () => {
      const job = createFluidJob(params({ checkpoint: { capacityLoss: 0.2 } }), { actuator: 'paced', intervalMs: 7_000 });
      const trace: number[] = [];
      for (let s = 0; s < 500; s++) {
        if (s === 123) injectFailure(job, 'kill');
        const t = step(job, 1000, 9_000 + (s % 7) * 100);
        trace.push(backlog(job), latencyP99Ms(job, t));
      }
      return trace;
    };
    expect(once()).toEqual(once());
  });

  it('rejects bad steps, parameters, intervals and failure types', () => {
    const job = createFluidJob(params(), { actuator: 'paced', intervalMs: 10_000 });
    expect(() => step(job, -1, 100)).toThrow(/dt must be/);
    expect(() => step(job, 1000, -5)).toThrow(/input rate must be/);
    expect(() => step(job, 1000, Number.NaN)).toThrow(/input rate must be/);
    expect(() => injectFailure(job, 'meteor' as never)).toThrow(/unknown failure type "meteor"/);
    expect(() => createFluidJob(params(), { actuator: 'paced', intervalMs: 0 })).toThrow(/positive number of ms/);
    expect(() => fluidParams({ capacityEps: -1, checkpoint: { capacityLoss: 1 } })).toThrow(/capacityEps must be > 0, got -1; checkpoint.capacityLoss must be in \[0, 1\), got 1/);
  });
});
