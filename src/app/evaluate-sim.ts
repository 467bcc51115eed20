import { createRequire } from 'node:module';
import os from 'node:os';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { KhaosConfig } from '../config/schema.js';
import { KhaosError } from '../core/errors.js';
import { assembleEvaluation, evaluateInSimulation, ORACLE_POLICY, planEvaluation, type EvaluationInput, type EvaluationPlan, type EvaluationResult, type PolicyUnderTest, type RunOutcome } from '../core/sim/sim-evaluation.js';
import { fluidControlModels, type FluidModelOptions } from '../core/sim/fluid-models.js';
import type { WorkerSetup, WorkerTask, WorkerReply } from './evaluate-worker.js';

/**
 * The SIMULATED evaluation use case: the checks and the summary of core/sim/sim-evaluation.ts, with the
 * runs (one per policy and schedule) spread over worker threads when there is much to simulate.
 * khaos and khaos+ get the simulated job's own models, fluidControlModels(params, modelOptions),
 * which each worker builds again (models hold functions, which do not cross threads).
 */
export interface FluidEvaluationInput extends Omit<EvaluationInput, 'models'> {
  modelOptions: FluidModelOptions;
}

/** The controller of the config (control.*) as the simulator runs it: ticks in whole seconds. */
export function simulatedControl(c: KhaosConfig['control']): NonNullable<EvaluationInput['control']> {
  return {
    tickSec: Math.max(1, Math.round(c.tickMs / 1000)),
    windowMs: c.windowMs,
    forecast: { enabled: c.forecast, horizonMs: c.forecastHorizonMs, historyMs: c.forecastHistoryMs },
    recoveryTimeoutMs: c.recoveryTimeoutMs,
  };
}

/**
 * The evaluation a config describes (sections evaluate, control, job), on `ratesEps`, with the
 * policies, schedule count and seed `over` gives instead of the config's.
 */
export function evaluationFromConfig(c: KhaosConfig, ratesEps: ArrayLike<number>, over: { policies?: PolicyUnderTest[]; schedules?: number; seed?: number; oracle?: boolean } = {}): FluidEvaluationInput {
  const e = c.evaluate;
  const o = c.control.options;
  return {
    ratesEps,
    // The load oracle last, beside the others (evaluate.oracle, or --no-oracle).
    policies: [...(over.policies ?? e.evaluated), ...((over.oracle ?? e.oracle) ? [ORACLE_POLICY] : [])],
    failures: { schedules: over.schedules ?? e.schedules, perSchedule: e.failuresPerSchedule, minSpacingSec: e.minSpacingSec, seed: over.seed ?? e.seed, type: e.failure },
    params: e.params,
    // The simulated job's own models, exact, trusted over the candidate intervals (docs/evaluate.md).
    modelOptions: { failure: e.failure, trainedCiMs: { min: o.candidateMinMs, max: o.candidateMaxMs }, version: 'simulated:fluid-parameters' },
    policyOptions: o,
    control: simulatedControl(c.control),
    latencyWindowSec: e.latencyWindowSec,
    initialIntervalMs: c.job.checkpointIntervalMs,
  };
}

/** Below this many simulated seconds in all (runs × trace), threads cost more than they save. */
export const PARALLEL_FROM_SECONDS = 3_000_000;

/** How many threads to run on: `workers` when ≥ 1 (at most one per run), else one per core when the work is large, else 1 (in this thread). */
export function workerCount(workers: number, runs: number, traceSec: number): number {
  if (workers >= 1) return Math.max(1, Math.min(workers, runs));
  return runs * traceSec < PARALLEL_FROM_SECONDS ? 1 : Math.max(1, Math.min(os.availableParallelism(), runs));
}

const workerUrl = new URL(`./evaluate-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url);

/** A worker thread on evaluate-worker; from TypeScript sources through tsx, as the CLI itself runs. */
function startWorker(setup: WorkerSetup): Worker {
  if (!workerUrl.pathname.endsWith('.ts')) return new Worker(workerUrl, { workerData: setup });
  // tsx's ESM entry (its package exports name the CommonJS one to require.resolve).
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx/esm/api').replace(/\.cjs$/, '.mjs')).href;
  return new Worker(`import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(workerUrl.href)});`, { eval: true, workerData: setup });
}

/**
 * Checks everything (throwing `bad-input` before any run), then runs every policy on every
 * schedule on `workerCount(workers, …)` threads (`onStart` says how many, once the checks have
 * passed). The result does not depend on the number of threads. `onProgress` is called when
 * all runs of a policy are done (in the order they finish).
 */
export async function runEvaluation(input: FluidEvaluationInput, o: { workers: number; onStart?: (plan: EvaluationPlan, threads: number) => void }): Promise<EvaluationResult> {
  const models = fluidControlModels(input.params, input.modelOptions);
  const plan = planEvaluation(input);
  const P = input.policies.length;
  const S = plan.schedules.length;
  const threads = workerCount(o.workers, P * S, plan.durationSec);
  o.onStart?.(plan, threads);
  if (threads === 1) return evaluateInSimulation({ ...input, models });

  const shared = new Float64Array(new SharedArrayBuffer(8 * input.ratesEps.length));
  shared.set(input.ratesEps);
  const setup: WorkerSetup = {
    ratesEps: shared, params: input.params, modelOptions: input.modelOptions, policyOptions: input.policyOptions, control: input.control,
    latencyWindowSec: input.latencyWindowSec, initialIntervalMs: input.initialIntervalMs, policies: input.policies, schedules: plan.schedules, oracle: plan.oracle,
  };
  // The most expensive runs first (policies with a controller), so that no thread is left with a long one at the end.
  const tasks: WorkerTask[] = [];
  for (const adaptive of [true, false])
    input.policies.forEach((p, i) => {
      if ((p.staticMs === undefined) === adaptive) for (let k = 0; k < S; k++) tasks.push({ policy: i, schedule: k });
    });
  const outcomes: RunOutcome[][] = input.policies.map(() => new Array<RunOutcome>(S));
  const done = new Array<number>(P).fill(0);
  let finished = 0;
  const workers: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      const feed = (w: Worker) => {
        if (next < tasks.length) w.postMessage(tasks[next++]);
      };
      for (let t = 0; t < threads; t++) {
        const w = startWorker(setup);
        workers.push(w);
        w.on('message', (m: WorkerReply) => {
          outcomes[m.policy]![m.schedule] = m.outcome;
          if (++done[m.policy]! === S) input.onProgress?.({ policy: input.policies[m.policy]!.name, index: m.policy, of: P, runs: S });
          if (++finished === tasks.length) resolve();
          else feed(w);
        });
        w.on('error', (e) => reject(e instanceof KhaosError ? e : new KhaosError('bug', `an evaluation thread failed: ${e.stack ?? e.message}`)));
        w.on('exit', (code) => {
          if (finished < tasks.length) reject(new KhaosError('bug', `an evaluation thread exited (code ${code}) with runs left`));
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return assembleEvaluation(input, plan, outcomes);
}
