/**
 * On the real local stack, under a steady replayed load, in one run: the outage of an interval
 * change with the paced actuator (Khaos triggers checkpoints; the change is a number in memory)
 * and with the restart actuator (stop with a savepoint, relaunch with the new interval): time the
 * job was not RUNNING with every task, plus catch-up until the source lag was back to its level
 * before the change. Then the decision time per controller tick (REST sampling included) and of
 * the khaos+ policy alone.
 * Run: npx tsx bench/control-outage.ts [changes per actuator] [rate ev/s]
 */
import { Controller } from '../src/app/control/controller.js';
import { RestartActuator } from '../src/app/control/restart-actuator.js';
import { modelsFromSamples } from '../src/app/control/control-models.js';
import { Pacer } from '../src/app/control/pacer.js';
import { JobSampler } from '../src/app/observe.js';
import { resolveConfig } from '../src/config/schema.js';
import { startLocalStack, SystemClock } from '../src/compose.js';
import { createPolicy } from '../src/core/control/policies.js';
import { initialPolicyState, type Observation } from '../src/core/control/policy.js';
import { recoveryTimeline, LAG_SLACK_SECONDS, type JobSample } from '../src/core/profiling/recovery.js';
import { parseSamplesCsv } from '../src/core/profiling/samples.js';
import fs from 'node:fs';
import { MemoryControlStore } from '../src/adapters/memory/memory-control-store.js';
import { loadedReplica, report, stats } from './lib.js';

const changes = Number(process.argv[2] ?? 3);
const rate = Number(process.argv[3] ?? 2000);
const config = resolveConfig({ stack: { name: 'bench-control' }, control: { window: '15s', evaluateEvery: '1s', afterChange: '1s', minUptime: '0s', candidateMin: '1s', candidateMax: '10s', candidateStep: '500ms', minChange: '1s', latencyTarget: '1500ms', recoveryTarget: '15s' } });
const clock = new SystemClock();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const samplesFile = 'examples/samples-iot-local-SIMULATED.csv';
const stack = await startLocalStack(config, console.log, true);
const rows: { actuator: string; fromMs: number; toMs: number; notRunningMs: number; catchUpMs: number; outageMs: number }[] = [];
const tickMs: number[] = [];
let loaded: Awaited<ReturnType<typeof loadedReplica>> | undefined;
try {
  loaded = await loadedReplica(stack, 'o', 5000, rate);
  const { flink } = loaded;
  const sampler = new JobSampler(flink, clock);
  const samples: JobSample[] = [];
  let sampling = true;
  const sampling$ = (async () => {
    while (sampling) {
      samples.push(await sampler.sample());
      await sleep(500);
    }
  })();
  /** Outage of one change: from its request until lag is back within the level before it (the profiling detector, no restart required). */
  const measure = async (actuator: string, fromMs: number, toMs: number, apply: () => Promise<unknown>) => {
    await sleep(20_000); // a baseline of normal lag
    const at = clock.now();
    await apply();
    const deadline = clock.now() + 120_000;
    for (;;) {
      await sleep(1000);
      const t = recoveryTimeline(samples, at, { baselineMs: 15_000, sustainMs: 6000, sampleEveryMs: 1000, slackSeconds: LAG_SLACK_SECONDS, requireRestart: false });
      const after = samples.filter((s) => s.tMs >= at);
      const down = after.filter((s, i) => s.state !== 'RUNNING' && i + 1 < after.length).reduce((sum, s, i) => sum + (after[i + 1]!.tMs - s.tMs), 0);
      const recovered = t.recoveredAtMs ?? (after.length >= 6 && after.every((s) => s.state === 'RUNNING' && s.lag !== undefined && s.lag <= t.thresholdLag) ? at : undefined);
      if (recovered !== undefined || clock.now() > deadline) {
        const end = recovered ?? clock.now();
        const row = { actuator, fromMs, toMs, notRunningMs: down, catchUpMs: Math.max(0, end - at - down), outageMs: Math.max(0, end - at) };
        console.log(row);
        rows.push(row);
        return;
      }
    }
  };
  // paced: the job keeps its own 5 s; the pacer takes over and its interval changes.
  const pacer = new Pacer(flink, clock, 5000);
  let pacing = true;
  const pacing$ = (async () => {
    while (pacing) {
      await pacer.tick().catch(() => undefined);
      await sleep(Math.max(10, Math.min(250, (pacer.dueAtMs() ?? 0) - clock.now())));
    }
  })();
  for (let i = 0; i < changes; i++) {
    const to = i % 2 === 0 ? 2000 : 6000;
    const from = pacer.intervalMs();
    await measure('paced', from, to, () => pacer.apply(to));
  }
  // Decision time per tick while paced control runs, with khaos+ on the SIMULATED local-scale models.
  const models = modelsFromSamples(parseSamplesCsv(fs.readFileSync(samplesFile, 'utf8'), samplesFile), 1, 'bench');
  const policy = createPolicy('khaos+', config.control.options);
  const store = new MemoryControlStore();
  const controller = new Controller(
    { sampler: new JobSampler(flink, clock, { jobMetrics: true }), clock, store, policy, actuator: pacer, pacer, models },
    { runId: 'bench', windowMs: 15_000, dryRun: false, recoveryTimeoutMs: 60_000, forecast: { enabled: true, horizonMs: 30_000, historyMs: 60_000 }, recovery: { baselineMs: 15_000, sustainMs: 5000, sampleEveryMs: 1000, slackSeconds: LAG_SLACK_SECONDS } },
    clock.now() - 60_000,
  );
  const observations: Observation[] = [];
  for (let i = 0; i < 30; i++) {
    const t0 = performance.now();
    const r = await controller.tick();
    tickMs.push(performance.now() - t0);
    observations.push(r.observation);
    await sleep(1000);
  }
  pacing = false;
  await pacing$;
  // restart: stop with a savepoint, relaunch with the new interval.
  const relaunch = new RestartActuator({ orchestrator: stack, flink, store, clock, log: console.log, runId: () => 'bench' }, 'iot-1', 'bench/iot-1');
  for (let i = 0; i < changes; i++) {
    const to = i % 2 === 0 ? 2000 : 6000;
    const from = relaunch.intervalMs();
    await measure('restart', from, to, () => relaunch.apply(to));
  }
  sampling = false;
  await sampling$;
  await loaded.end();
  // The policy alone: the recorded observations decided again, many times.
  const t0 = performance.now();
  let n = 0;
  for (let k = 0; k < 100; k++) {
    for (const o of observations) {
      policy.decide({ ...o, recovering: false, uptimeMs: 1e9 }, initialPolicyState(), { actuator: 'paced', models });
      n++;
    }
  }
  const perDecisionUs = ((performance.now() - t0) * 1000) / n;
  const by = (a: string, k: 'notRunningMs' | 'catchUpMs' | 'outageMs') => stats(rows.filter((r) => r.actuator === a).map((r) => r[k]));
  report(
    'control-outage',
    { job: 'iot, parallelism 2 + 1 spare TaskManager', loadEps: rate, changes: `${changes} per actuator, alternating 2 s / 6 s`, pacedFallbackIntervalMs: 5000, detector: 'lag back within the pre-change p95 + 0.5 s of input, 6 samples of 500 ms in a row', policyForTiming: 'khaos+ on SIMULATED local-scale samples (examples/samples-iot-local-SIMULATED.csv)' },
    {
      paced: { notRunningMs: by('paced', 'notRunningMs'), catchUpMs: by('paced', 'catchUpMs'), outageMs: by('paced', 'outageMs') },
      restart: { notRunningMs: by('restart', 'notRunningMs'), catchUpMs: by('restart', 'catchUpMs'), outageMs: by('restart', 'outageMs') },
      controllerTickMs: stats(tickMs),
      policyDecisionUs: perDecisionUs,
      rows,
    },
  );
} finally {
  await loaded?.end().catch(() => undefined);
  await stack.down();
}
