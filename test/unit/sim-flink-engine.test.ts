import { describe, expect, it } from 'vitest';
import { Controller } from '../../src/app/control/controller.js';
import { Pacer, type PacerReport } from '../../src/app/control/pacer.js';
import { JobSampler } from '../../src/app/observe.js';
import { resolveConfig } from '../../src/config/schema.js';
import { createPolicy } from '../../src/core/control/policies.js';
import { LAG_SLACK_SECONDS } from '../../src/core/profiling/recovery.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';
import { fluidControlModels } from '../../src/core/sim/fluid-models.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { SimFlinkEngine } from '../../src/adapters/sim/sim-flink-engine.js';
import { withLiveGauge } from '../fakes/controlled-run.js';

const HOUR = 3_600_000;

describe('SimFlinkEngine under the real controller (khaos+, paced)', () => {
  it('an hour with a load step and a kill: decisions are recorded, the failure is measured, paced checkpoints arrive at the chosen interval', async () => {
    const config = resolveConfig({
      stack: { name: 'sim-engine' },
      control: { tick: '10s', window: '60s', evaluateEvery: '60s', afterChange: '120s', minUptime: '0s', recoveryTarget: '120s', forecastHistory: '600s', forecastHorizon: '120s' },
    });
    const clock = new ManualClock();
    const t0 = clock.now();
    // 4 000 ev/s, then 9 000 ev/s from minute 20; a TaskManager kill at minute 40.
    const rateEps = Array.from({ length: 3600 }, (_, s) => (s < 1200 ? 4000 : 9000));
    const engine = new SimFlinkEngine(clock, { params: DEFAULT_FLUID_PARAMS, rateEps, fallbackIntervalMs: 600_000 });
    const store = new MemoryControlStore();
    const pacer = new Pacer(engine, clock, 60_000);
    // The fluid gauge is constant in steady state, and the controller takes a gauge that never moves
    // over a window as stale (latency unknown, keep): a live gauge, as in the control tests. Without
    // it the hour's only change was one made on the catch-up's window just after the recovery.
    const controller = new Controller(
      { sampler: new JobSampler(withLiveGauge(engine), clock, { jobMetrics: true }), clock, store, policy: createPolicy('khaos+', config.control.options), actuator: pacer, pacer, models: fluidControlModels(DEFAULT_FLUID_PARAMS) },
      { runId: 'r', windowMs: config.control.windowMs, dryRun: false, recoveryTimeoutMs: config.control.recoveryTimeoutMs, forecast: { enabled: true, horizonMs: config.control.forecastHorizonMs, historyMs: config.control.forecastHistoryMs }, recovery: { baselineMs: config.control.windowMs, sustainMs: 50_000, sampleEveryMs: 10_000, slackSeconds: LAG_SLACK_SECONDS, requireRestart: true } },
      t0,
    );
    const triggered: { atMs: number; intervalMs: number; reason: string }[] = [];
    const completed: Extract<PacerReport, { kind: 'completed' }>[] = [];
    const foreign: { id: number; triggeredAtMs: number }[] = [];
    let nextTick = t0;
    let pacerAt = t0;
    let killAt: number | undefined = t0 + 40 * 60_000;
    while (clock.now() < t0 + HOUR) {
      clock.advance(Math.min(nextTick, pacerAt, killAt ?? Infinity) - clock.now());
      const now = clock.now();
      if (killAt !== undefined && killAt <= now) {
        engine.fail('kill');
        killAt = undefined;
      }
      // As runControlLoop: the pacer sleeps until its checkpoint is due, at most 250 ms.
      if (pacerAt <= now) {
        const r = await pacer.tick();
        if (r.kind === 'triggered') triggered.push({ atMs: r.atMs, intervalMs: pacer.intervalMs(), reason: r.reason });
        if (r.kind === 'completed') completed.push(r);
        foreign.push(...pacer.drainForeign());
        pacerAt = r.kind === 'waiting' ? now + Math.max(10, Math.min(250, (r.dueAtMs ?? pacer.dueAtMs() ?? now + 250) - now)) : now;
      }
      if (nextTick <= now) {
        await controller.tick();
        nextTick += 10_000;
      }
    }

    // Decisions: every evaluation is recorded; the load step moves the interval down.
    const decisions = store.decisions('r');
    expect(decisions.length).toBeGreaterThanOrEqual(20);
    const applied = decisions.filter((d) => d.outcome === 'applied');
    expect(applied.length).toBeGreaterThan(0);
    const afterStep = applied.filter((d) => d.atMs >= t0 + 20 * 60_000);
    expect(afterStep.length).toBeGreaterThan(0);
    expect(afterStep[0]!.toIntervalMs).toBeLessThan(afterStep[0]!.fromIntervalMs);
    expect(decisions.every((d) => d.observation.throughputEps === null || d.observation.throughputEps >= 0)).toBe(true);

    // The kill is seen and its recovery measured from the sampled lag.
    expect(controller.failures).toBe(1);
    const recovery = store.events('r', 'recovery');
    expect(recovery.length).toBe(1);
    expect(recovery[0]!.detail).toMatch(/recovered in/);

    // Paced checkpoints: all complete (none fails away from the kill), spaced at the interval in force.
    expect(completed.length).toBeGreaterThan(30);
    // Pairs with a fallback checkpoint of Flink's own in between are left out: a trigger then waits for it (max one in flight).
    const due = triggered.filter(
      (t, i) => i > 0 && t.reason === 'due' && triggered[i - 1]!.intervalMs === t.intervalMs && t.atMs - triggered[i - 1]!.atMs < 2 * t.intervalMs && !engine.fallbackTriggersMs.some((f) => f >= triggered[i - 1]!.atMs && f <= t.atMs),
    );
    expect(due.length).toBeGreaterThan(20);
    for (const t of due) {
      const prev = triggered[triggered.indexOf(t) - 1]!;
      const gap = t.atMs - prev.atMs;
      expect(gap).toBeGreaterThanOrEqual(t.intervalMs);
      expect(gap).toBeLessThanOrEqual(t.intervalMs + 250);
    }
    // Every interval the policy chose was the pacer's spacing at some point.
    for (const d of applied) expect(triggered.some((t) => t.intervalMs === d.toIntervalMs)).toBe(true);
    // Flink's own periodic timer (the 10 min fallback) is not reset by triggered checkpoints, as in Flink: at most one per 10 min.
    expect(engine.fallbackTriggersMs.length).toBeGreaterThan(0);
    expect(engine.fallbackTriggersMs.length).toBeLessThanOrEqual(6);
    expect(foreign.length).toBeLessThanOrEqual(engine.fallbackTriggersMs.length);
  });

  it('answers 404 for a job it does not know, and lists its RUNNING job', async () => {
    const engine = new SimFlinkEngine(new ManualClock(), { params: DEFAULT_FLUID_PARAMS, rateEps: [1000], fallbackIntervalMs: 60_000 });
    await expect(engine.job('nope')).rejects.toThrow(/404/);
    const [job] = await engine.listJobs();
    expect(job!.state).toBe('RUNNING');
  });
});
