import { builtInJob } from '../../src/core/jobs.js';
import { taskManagerRunning } from '../../src/app/observe.js';
import { runControlSession, type ControlSettings } from '../../src/app/control/session.js';
import type { TickReport } from '../../src/app/control/controller.js';
import type { PolicyOptions } from '../../src/core/control/policy.js';
import { DEFAULT_SIMULATION, simulateSamples } from '../../src/core/models/simulated-samples.js';
import { seededRandom } from '../../src/core/random.js';
import type { FlinkEngine } from '../../src/ports/flink-engine.js';
import type { ControlStore } from '../../src/ports/control-store.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { FakeFlinkPlatform } from './fake-flink-platform.js';

/** Policy options of the control tests: targets 1 s p99 and 20 s recovery, candidates 1–30 s. */
export const controlOptions = (over: Partial<PolicyOptions> = {}): PolicyOptions => ({
  latencyTargetMs: 1000, recoveryTargetS: 20, evaluateEveryMs: 10_000, afterChangeMs: 20_000, minUptimeMs: 10_000, correctionEvaluations: 6,
  candidateMinMs: 1000, candidateMaxMs: 30_000, candidateStepMs: 1000, minChangeMs: 1000, recoveryIntervalLevel: 0.8, useForecast: false,
  objective: 'expected-violation', hysteresis: 0.05, maxChanges: 10, rateWindowMs: 600_000, restartDowntimeMs: 8500, costHorizonMs: 600_000, mtbfPriorMs: 3_600_000,
  backlogBaseIntervalMs: 2000, backlogIntervalMs: 20_000, backlogLagThresholdS: 5, ...over,
});

export const controlSettingsFor = (policy: string, over: Partial<ControlSettings> = {}): ControlSettings => ({
  policy, actuator: 'paced', dryRun: false, tickMs: 1000, statusEveryMs: 60_000, windowMs: 20_000, recoveryTimeoutMs: 120_000, forecast: false,
  forecastHorizonMs: 60_000, forecastHistoryMs: 120_000, learning: true, learningWindow: 100, sourceVertex: 'kafka-source', latencyMetric: 'e2eLatencyP99Ms',
  options: controlOptions(), ...over,
});

/** The fake platform with one IoT replica at 3000 ev/s and a `fallbackMs` interval of its own. */
export async function fakeControlTarget(fallbackMs = 600_000) {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { capacityEps: 10_000, detectionDelayMs: 2000, restartDelayMs: 1000, checkpointDurationMs: 200 });
  platform.setInputRate(3000);
  const handle = await platform.startReplica({ name: 'job', job: builtInJob('iot'), checkpointIntervalMs: fallbackMs, parallelism: 2, inputTopic: 'in', outputTopic: 'out', auditTopic: 'audit', groupId: 'g' });
  return { clock, platform, flink: platform.flinkAt(handle.restUrl) };
}

/** `flink` with a p99 gauge that moves a little: a live gauge does; one that never moves is taken for stale (and its failure is no sample). */
export function withLiveGauge(flink: FlinkEngine): FlinkEngine {
  let n = 0;
  return Object.assign(Object.create(flink) as FlinkEngine, {
    vertexMetrics: async (...a: Parameters<FlinkEngine['vertexMetrics']>) =>
      Object.fromEntries(Object.entries(await flink.vertexMetrics(...a)).map(([k, v]) => [k, k.endsWith('P99Ms') ? { ...v, max: v.max! + (n++ % 3) } : v])),
  });
}

/**
 * A real control session of `policy` on the fake platform, models from simulated samples, one
 * TaskManager killed at +40 s, for `seconds` of the manual clock; recorded into `store`. The
 * records the dashboard and the control tests read, and every tick's report.
 */
export async function controlledRunWithKill(store: ControlStore, policy: string, runId: string, { seconds = 120, config = {} as unknown } = {}) {
  const { clock, platform, flink } = await fakeControlTarget();
  const samples = simulateSamples(DEFAULT_SIMULATION, 16, seededRandom(3));
  const logs: string[] = [];
  const ticks: TickReport[] = [];
  const t0 = clock.now();
  let killed = false;
  const live = withLiveGauge(flink);
  await runControlSession(
    { flink: live, clock, store, log: (l) => logs.push(l), newRunId: () => runId, ownerPid: process.pid },
    controlSettingsFor(policy),
    { startIntervalMs: 20_000, samples: { samples, source: 'simulated' }, config },
    () => clock.now() - t0 > seconds * 1000,
    async (r) => {
      ticks.push(r);
      await platform.restartDeadTaskManagers('job');
      if (!killed && clock.now() - t0 > 40_000) {
        killed = true;
        await platform.injectorFor('job').inject({ type: 'kill', taskManagerId: (await taskManagerRunning(flink)).taskManagerId });
      }
    },
  );
  return { logs, clock, platform, ticks };
}
