import { parentPort, workerData } from 'node:worker_threads';
import type { ControlModels, PolicyOptions } from '../core/control/policy.js';
import { runPolicy, type PolicyUnderTest, type RunOutcome } from '../core/sim/sim-evaluation.js';
import type { FailureSpec } from '../core/sim/failures.js';
import type { FluidParams } from '../core/sim/fluid-params.js';
import { fluidControlModels, type FluidModelOptions } from '../core/sim/fluid-models.js';
import type { OracleOptions } from '../core/sim/oracle.js';
import type { SimulationInput } from '../core/sim/simulate.js';

/** A thread of app/evaluate-sim.ts: runs the (policy, schedule) pairs it is sent, one at a time, and replies with each outcome. */
export interface WorkerSetup {
  /** Over a SharedArrayBuffer: one copy for every thread. */
  ratesEps: Float64Array;
  params: FluidParams;
  modelOptions: FluidModelOptions;
  policyOptions: PolicyOptions;
  control?: SimulationInput['control'];
  latencyWindowSec?: number;
  initialIntervalMs: number;
  policies: readonly PolicyUnderTest[];
  schedules: FailureSpec[][];
  /** EvaluationPlan.oracle. */
  oracle?: OracleOptions;
}
export interface WorkerTask {
  policy: number;
  schedule: number;
}
export interface WorkerReply extends WorkerTask {
  outcome: RunOutcome;
}

if (parentPort) {
  const port = parentPort;
  const s = workerData as WorkerSetup;
  const models: ControlModels = fluidControlModels(s.params, s.modelOptions);
  const input = { ratesEps: s.ratesEps, params: s.params, models, policyOptions: s.policyOptions, control: s.control, latencyWindowSec: s.latencyWindowSec, initialIntervalMs: s.initialIntervalMs, oracle: s.oracle };
  port.on('message', (t: WorkerTask) => {
    const outcome = runPolicy(input, s.policies[t.policy]!, s.schedules[t.schedule]!, t.schedule === 0);
    const reply: WorkerReply = { ...t, outcome };
    port.postMessage(reply, outcome.series ? [outcome.series.intervalMs.buffer as ArrayBuffer, outcome.series.latencyMs.buffer as ArrayBuffer] : []);
  });
}
