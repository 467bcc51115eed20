import { KhaosError } from '../../core/errors.js';
import { createPolicy, parsePolicy } from '../../core/control/policies.js';
import type { ActuatorKind, ControlModels, PolicyOptions } from '../../core/control/policy.js';
import { detectorOptions } from '../../core/profiling/recovery.js';
import type { FailureSample } from '../../core/profiling/samples.js';
import type { KhaosConfig } from '../../config/schema.js';
import type { IntervalActuator } from '../../ports/actuator.js';
import type { Clock } from '../../ports/clock.js';
import type { ControlStore } from '../../ports/control-store.js';
import type { FlinkEngine } from '../../ports/flink-engine.js';
import { JobSampler, latencyMetricMissing } from '../observe.js';
import { Controller, type TickReport } from './controller.js';
import { runControlLoop } from './loop.js';
import { modelsFromSamples, type FittedFor } from './control-models.js';
import { Pacer } from './pacer.js';
import { checkJobRequirements, type RequirementOptions } from './requirements.js';
import { followLatency, type ControlLatency, type OutputFollower } from './latency-source.js';

/** The resolved `control` section of the config (see src/config/schema.ts). */
export interface ControlSettings {
  policy: string;
  actuator: ActuatorKind;
  dryRun: boolean;
  tickMs: number;
  statusEveryMs: number;
  windowMs: number;
  recoveryTimeoutMs: number;
  forecast: boolean;
  forecastHorizonMs: number;
  forecastHistoryMs: number;
  learning: boolean;
  learningWindow: number;
  sourceVertex: string;
  latencyMetric: string;
  options: PolicyOptions;
}

/** The session settings of the config's `control` section. */
export function controlSettings(c: KhaosConfig['control']): ControlSettings {
  return {
    policy: c.policy, actuator: c.actuator, dryRun: c.dryRun, tickMs: c.tickMs, statusEveryMs: c.statusEveryMs, windowMs: c.windowMs, recoveryTimeoutMs: c.recoveryTimeoutMs,
    forecast: c.forecast, forecastHorizonMs: c.forecastHorizonMs, forecastHistoryMs: c.forecastHistoryMs, learning: c.learning, learningWindow: c.learningWindow,
    sourceVertex: c.sourceVertex, latencyMetric: c.latencyMetric, options: c.options,
  };
}

export interface SessionDeps {
  flink: FlinkEngine;
  clock: Clock;
  store: ControlStore;
  log(line: string): void;
  /** A new run id. */
  newRunId(): string;
  ownerPid: number;
}

export interface SessionTarget {
  /** Job to control; undefined = the only RUNNING job at the REST address. */
  jobId?: string;
  /** Paced: the interval to pace at first; undefined = the job's own interval. */
  startIntervalMs?: number;
  /** restart: the actuator that relaunches the job (local stack only). */
  restartActuator?: IntervalActuator;
  /** Training samples for the models and online learning, with where they came from. */
  samples?: { samples: FailureSample[]; source: string };
  /** Models from files (no learning then). */
  models?: ControlModels;
  /** Check what the job must offer before anything is recorded or changed (`--attach`: a job Khaos did not start). */
  requirements?: RequirementOptions;
  config: unknown;
  /** While true, the session neither paces nor decides (see LoopOptions.paused). */
  paused?: () => boolean;
  /** How the job's latency is observed (latency-source.ts), and the Kafka its output is followed on; default: the gauge control.latencyMetric. */
  latency?: { way: ControlLatency; bus?: OutputFollower };
}

/** What a session learns from or decides with: training samples, or models from files. */
export type ModelInputs = Pick<SessionTarget, 'samples' | 'models'> & {
  /** The job the models were fitted for, as their files or samples say, and which file says it. */
  fittedFor?: FittedFor;
};

export interface SessionResult {
  runId: string;
  jobId: string;
  decisions: number;
  changes: number;
  failures: number;
}

/**
 * Finds the job, checks it can be controlled, and says what to do when it cannot: the REST
 * address does not answer, the job id is unknown, several jobs run, or checkpointing is off.
 */
export async function findControllableJob(flink: FlinkEngine, jobId?: string): Promise<{ jobId: string; intervalMs: number; runningSinceMs?: number; tolerable?: number }> {
  // A replica that just went RUNNING may miss one answer (seen on Kubernetes, where the REST is
  // reached through the deployment's service): three tries, a second apart, before saying so.
  let reachable = false;
  for (let attempt = 0; attempt < 3 && !reachable; attempt++) {
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 1000));
    reachable = await flink.isReachable();
  }
  if (!reachable) throw new KhaosError('platform', `no Flink REST API answers at ${flink.restUrl}`, 'check the address (the JobManager’s rest.address and rest.port) and that the cluster is up');
  const jobs = await flink.listJobs();
  const live = jobs.filter((j) => !['FINISHED', 'CANCELED', 'FAILED'].includes(j.state));
  let id = jobId;
  if (id === undefined) {
    if (live.length !== 1) throw new KhaosError('bad-input', `${live.length} jobs run at ${flink.restUrl}${live.length ? `: ${live.map((j) => `${j.id} (${j.name}, ${j.state})`).join(', ')}` : ''}`, live.length ? 'name one with --job-id' : 'start the job first, or check the address');
    id = live[0]!.id;
  } else if (!jobs.some((j) => j.id === id)) {
    throw new KhaosError('bad-input', `no job ${id} at ${flink.restUrl}`, jobs.length ? `jobs there: ${jobs.map((j) => `${j.id} (${j.name}, ${j.state})`).join(', ')}` : 'the cluster runs no job: check the address');
  } else if (!live.some((j) => j.id === id)) {
    throw new KhaosError('bad-input', `job ${id} at ${flink.restUrl} has ended (${jobs.find((j) => j.id === id)!.state})`, 'attach to a running job');
  }
  let config;
  try {
    config = await flink.checkpointConfig(id);
  } catch (e) {
    if (e instanceof KhaosError && /\b404\b|not enabled/i.test(e.message)) throw noCheckpointing(id);
    throw e;
  }
  // Flink reports a disabled interval as Long.MAX_VALUE (or ≤ 0).
  if (!(config.intervalMs > 0) || config.intervalMs >= 9e15) throw noCheckpointing(id);
  const details = await flink.job(id);
  return { jobId: id, intervalMs: config.intervalMs, runningSinceMs: details.state === 'RUNNING' ? details.timestamps.RUNNING : undefined, tolerable: config.tolerableFailures };
}

const noCheckpointing = (id: string) =>
  new KhaosError('bad-input', `job ${id} runs without checkpointing: there is no interval to control`, 'restart it with execution.checkpointing.interval set (a long one, e.g. 10 min: Khaos paces checkpoints itself and the job keeps that interval if Khaos stops)');

/**
 * One control session on a job reachable over REST: the loop runs until `shouldStop()`; the run,
 * every decision and event are recorded. With `paced` the job keeps its own (fallback) interval
 * and Khaos triggers checkpoints; when the session ends, pacing stops and the fallback remains.
 */
export async function runControlSession(deps: SessionDeps, s: ControlSettings, target: SessionTarget, shouldStop: () => boolean, onTick?: (r: TickReport) => void | Promise<void>): Promise<SessionResult> {
  const { flink, clock, log } = deps;
  // A reconfiguration a killed controller left half done is finished (or rolled back) first: until
  // then there may be no job to find.
  const resumed = s.actuator === 'restart' ? await target.restartActuator?.resume?.() : undefined;
  if (resumed) log(`control: ${resumed}`);
  const job = await findControllableJob(flink, target.jobId);
  if (target.requirements) for (const note of await checkJobRequirements(flink, clock, job.jobId, target.requirements)) log(`control: note: ${note}`);
  target.restartActuator?.adopt?.(job.intervalMs);
  const policy = createPolicy(s.policy, s.options);
  if (s.actuator === 'restart' && !target.restartActuator) throw new KhaosError('bad-input', 'the restart actuator needs a job Khaos started itself (it relaunches it)', 'use control.actuator: paced when attaching');
  const pacer = s.actuator === 'paced' ? new Pacer(flink, clock, target.startIntervalMs ?? job.intervalMs) : undefined;
  const actuator = pacer ?? target.restartActuator!;
  if (pacer && s.options.candidateMaxMs > job.intervalMs) {
    log(`control: note: the job's own interval (${job.intervalMs} ms) is shorter than the longest candidate (${s.options.candidateMaxMs} ms): paced intervals above it cannot take effect; give the job a longer fallback interval`);
  }

  let models = target.models;
  const learned: FailureSample[] = [...(target.samples?.samples ?? [])];
  if (!models && target.samples) models = modelsFromSamples(target.samples.samples, 1, `samples:${target.samples.source}#${target.samples.samples.length}`);
  if (models && (models.trainedCiMs.max < s.options.candidateMinMs || models.trainedCiMs.min > s.options.candidateMaxMs)) {
    log(`control: the models were trained on intervals ${models.trainedCiMs.min}–${models.trainedCiMs.max} ms, outside every candidate (${s.options.candidateMinMs}–${s.options.candidateMaxMs} ms): they are not used; profile this job at the candidate intervals, or change control.candidateMin/Max`);
    models = undefined;
  }
  if (!models) log('control: no models loaded (control.samples or control.latencyModel/recoveryModel): model-based policies will keep the interval');
  else log(`control: models ${models.version} (trained on intervals ${models.trainedCiMs.min}–${models.trainedCiMs.max} ms, ${models.trainedThroughputEps.min.toFixed(0)}–${models.trainedThroughputEps.max.toFixed(0)} ev/s)`);
  let refits = 0;
  // A policy that fits once (the original khaos) is never given refitted models.
  const learns = s.learning && parsePolicy(s.policy).entry.learnsOnline;
  if (s.learning && !learns) log(`control: control.learning is on, but ${s.policy} keeps the models it started with (as the original Khaos): no online refit`);
  const learn = learns && target.samples
    ? (sample: FailureSample) => {
        learned.push(sample);
        const window = learned.slice(-s.learningWindow);
        try {
          return modelsFromSamples(window, 1, `online:${target.samples!.source}+${++refits}#${window.length}`);
        } catch (e) {
          log(`control: refit skipped: ${(e as Error).message}`);
          return undefined;
        }
      }
    : undefined;

  const latencyWay = target.latency?.way ?? { kind: 'gauge', metric: s.latencyMetric, declared: false };
  // The interval + 2 s: a span that holds at least one commit of exactly-once output.
  const follower = await followLatency(latencyWay, target.latency?.bus, () => actuator.intervalMs() + 2000, Math.max(s.options.candidateMaxMs, actuator.intervalMs()) + 2000);
  log(`control: ${follower.says}`);
  try {
    return await controlled(deps, s, { job, target, policy, actuator, pacer, models, learn, resumed, follower, latencyWay }, shouldStop, onTick);
  } finally {
    await follower.close().catch(() => undefined);
  }
}

/** The time a declared latency metric may stay missing once the job's metrics are found (Flink registers an operator's gauges as it opens). */
const METRIC_GRACE_MS = 20_000;
/** The time without any committed output record after which a session says so. */
const OUTPUT_SILENCE_MS = 60_000;

interface Prepared {
  job: Awaited<ReturnType<typeof findControllableJob>>;
  target: SessionTarget;
  policy: ReturnType<typeof createPolicy>;
  actuator: IntervalActuator;
  pacer?: Pacer;
  models?: ControlModels;
  learn?: (sample: FailureSample) => ControlModels | undefined;
  resumed?: string;
  follower: Awaited<ReturnType<typeof followLatency>>;
  latencyWay: ControlLatency;
}

/** The run itself, once the job, policy, actuator, models and latency observation are ready. */
async function controlled(deps: SessionDeps, s: ControlSettings, p: Prepared, shouldStop: () => boolean, onTick?: (r: TickReport) => void | Promise<void>): Promise<SessionResult> {
  const { flink, clock, store, log } = deps;
  const { job, target, policy, actuator, pacer, models, learn, resumed, follower, latencyWay } = p;
  const runId = deps.newRunId();
  store.createRun({
    id: runId, startedAtMs: clock.now(), status: 'running', ownerPid: deps.ownerPid, policy: policy.name, actuator: actuator.kind, dryRun: s.dryRun,
    restUrl: flink.restUrl, jobId: job.jobId, fallbackIntervalMs: job.intervalMs, config: target.config,
    targets: { latencyMs: s.options.latencyTargetMs, recoveryS: s.options.recoveryTargetS },
  });
  if (resumed) store.recordEvent({ runId, atMs: clock.now(), kind: 'reconfig-resumed', detail: resumed });
  log(`control: run ${runId} on job ${job.jobId} at ${flink.restUrl}: policy ${policy.name}, actuator ${actuator.kind}${s.dryRun ? ' (dry run: decisions are recorded, never applied)' : ''}; the job's own interval ${job.intervalMs} ms${pacer ? ` stays as the fallback, paced at ${pacer.intervalMs()} ms` : ''}`);
  const sampler = new JobSampler(flink, clock, { sourceVertex: s.sourceVertex, latencyMetric: latencyWay.kind === 'gauge' ? latencyWay.metric : s.latencyMetric, jobMetrics: true, latency: follower.latencyAt });
  const controller = new Controller(
    { sampler, clock, store, policy, actuator, pacer: s.dryRun ? undefined : pacer, models, learn },
    {
      runId, windowMs: s.windowMs, dryRun: s.dryRun, recoveryTimeoutMs: s.recoveryTimeoutMs, latencyNotGauge: latencyWay.kind !== 'gauge',
      forecast: { enabled: s.forecast, horizonMs: s.forecastHorizonMs, historyMs: s.forecastHistoryMs },
      recovery: detectorOptions(s.windowMs, true, s.tickMs), // the controller samples once a tick
    },
    job.runningSinceMs,
  );
  let warnedLatency = false;
  const warn = (msg: string) => {
    warnedLatency = true;
    store.recordEvent({ runId, atMs: clock.now(), kind: 'warning', detail: msg });
    log(`control: ${msg}`);
  };
  const startedMs = clock.now();
  let metricMissingSinceMs: number | undefined;
  // The loop records a tick's error and goes on: a refusal ends it, and is thrown once it has.
  let refusal: KhaosError | undefined;
  try {
    await runControlLoop(controller, s.dryRun ? undefined : pacer, clock, store, {
      runId, tickMs: s.tickMs, statusEveryMs: s.statusEveryMs, pacerMaxSleepMs: 250, recoveryTargetS: s.options.recoveryTargetS, shouldStop: () => refusal !== undefined || shouldStop(), paused: target.paused, log,
      onTick: async (r) => {
        const now = clock.now();
        if (!warnedLatency && r.sample.state === 'RUNNING' && latencyWay.kind === 'gauge' && sampler.metrics && !sampler.metrics.latency) {
          if (!latencyWay.declared) warn(`no metric ending in "${latencyWay.metric}" on any vertex: latency is unknown, so latency-based decisions keep the interval; set control.latencyMetric to the job's p99 latency gauge`);
          else if (now - (metricMissingSinceMs ??= now) >= METRIC_GRACE_MS) {
            const missing = await latencyMetricMissing(flink, sampler, latencyWay.metric);
            if (missing) refusal = new KhaosError('bad-input', `job.latency metric:${latencyWay.metric}: ${METRIC_GRACE_MS / 1000} s after the job's metrics appeared, ${missing}`, 'set job.latency to metric:<one of those names>, output-timestamp or none');
          }
        }
        if (!warnedLatency && latencyWay.kind === 'output' && follower.seen() === 0 && now - startedMs >= Math.max(OUTPUT_SILENCE_MS, 3 * actuator.intervalMs())) {
          warn(`no committed record on topic ${latencyWay.topic} in ${((now - startedMs) / 1000).toFixed(0)} s: latency is unknown, so latency-based decisions keep the interval; check that the job writes that topic (exactly-once output appears as checkpoints complete)`);
        }
        await onTick?.(r);
      },
    });
  } finally {
    store.setRunStatus(runId, 'stopped');
  }
  if (refusal) throw refusal;
  const decisions = store.decisions(runId);
  log(`control: run ${runId} stopped; the job keeps its own interval ${job.intervalMs} ms${pacer ? ' (pacing ended)' : ''}`);
  return { runId, jobId: job.jobId, decisions: decisions.length, changes: decisions.filter((d) => d.outcome === 'applied').length, failures: controller.failures };
}
