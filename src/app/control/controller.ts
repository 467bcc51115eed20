import { arrivalEps } from '../../core/control/arrival.js';
import { forecastPeak } from '../../core/control/forecast.js';
import { applyCommand, expireOverride, operatorDecision, type OperatorState } from '../../core/control/operator.js';
import { initialPolicyState, type ControlModels, type Decision, type Observation, type Policy, type PolicyState } from '../../core/control/policy.js';
import { measureFailure } from '../../core/profiling/profile-plan.js';
import type { RecoveryOptions, JobSample } from '../../core/profiling/recovery.js';
import { recoveryTimeline, trailingNormalSustained } from '../../core/profiling/recovery.js';
import type { FailureSample } from '../../core/profiling/samples.js';
import type { IntervalActuator } from '../../ports/actuator.js';
import type { Clock } from '../../ports/clock.js';
import type { ControlStore } from '../../ports/control-store.js';
import type { JobSampler } from '../observe.js';
import type { Pacer } from './pacer.js';
import { mean } from '../../core/stats.js';

export interface ControllerDeps {
  sampler: JobSampler;
  clock: Clock;
  store: ControlStore;
  policy: Policy;
  actuator: IntervalActuator;
  /** Present with the paced actuator: a decision may ask it for a checkpoint now. */
  pacer?: Pacer;
  /** Undefined when none are loaded: model-based policies then keep the interval. */
  models?: ControlModels;
  /** Online learning: called with each measured production failure; may return refitted models. */
  learn?: (sample: FailureSample) => ControlModels | undefined;
}

export interface ControllerOptions {
  runId: string;
  /** Observation window for mean throughput and latency, ms (original 300 s). */
  windowMs: number;
  forecast: { enabled: boolean; horizonMs: number; historyMs: number };
  /** How a production failure's recovery is judged (the profiling detector). */
  recovery: RecoveryOptions;
  /** Give up measuring a recovery after this long, ms. */
  recoveryTimeoutMs: number;
  /** Decide and record, never act. */
  dryRun: boolean;
  /** The samples' latency is not a gauge (it comes from the job's committed output): it cannot go stale, and a steady value is taken as it is. */
  latencyNotGauge?: boolean;
}

/** A production failure being measured. */
interface OpenFailure {
  /** Last RUNNING sample before it: the failure happened after this, ms. */
  startMs: number;
  seenMs: number;
  intervalMs: number;
  /**
   * False when only Flink's restart counter moved and every sample saw the job RUNNING (the
   * restart fell between samples; a kill can cost two restarts): its recovery is judged on lag
   * alone and it is not a sample to learn from, since its outage was not seen.
   */
  seenDown: boolean;
}

export interface TickReport {
  sample: JobSample;
  decision: Decision;
  /** Set when the decision was evaluated (keep/change): what came of it. */
  outcome?: string;
  /** A production failure whose recovery ended (or timed out) at this tick. */
  failure?: FailureSample | { timedOut: true; startMs: number };
  observation: Observation;
}


/**
 * Phase 3: one tick = collect (a sample of the job) → evaluate and decide (the policy on the
 * observation window, with the forecast) → act (the actuator, unless dry-run) → record (SQLite).
 * Production failures are measured with the profiling detector and fed to online learning.
 * A sample that finds the job unreachable or restarting is "not ready": the policy is told a
 * recovery is under way and waits.
 */
export class Controller {
  private samples: JobSample[] = [];
  private state: PolicyState = initialPolicyState();
  private failure?: OpenFailure;
  private failuresSeen = 0;
  private runningSinceMs?: number;
  /** When the last recovery ended (recovered, timed out, or an unseen restart settled), ms. */
  private recoveryEndedMs?: number;
  private readonly startedMs: number;
  private lastDecision?: Decision;
  private lastEvaluatedDecision?: Decision;
  private modelsNow?: ControlModels;
  /** What people told this controller through the dashboard (operator commands). */
  private operator: OperatorState;

  constructor(
    private readonly deps: ControllerDeps,
    private readonly settings: ControllerOptions,
    /** When the job last entered RUNNING before control began (attach), ms. */
    runningSinceMs?: number,
  ) {
    this.startedMs = deps.clock.now();
    this.runningSinceMs = runningSinceMs;
    this.modelsNow = deps.models;
    this.operator = { paused: false, dryRun: settings.dryRun };
  }

  get models(): ControlModels | undefined {
    return this.modelsNow;
  }

  get policyState(): PolicyState {
    return this.state;
  }

  get last(): Decision | undefined {
    return this.lastDecision;
  }

  /** The last decision that evaluated (keep or change), with its predictions. */
  get lastEvaluated(): Decision | undefined {
    return this.lastEvaluatedDecision;
  }

  get failures(): number {
    return this.failuresSeen;
  }

  async tick(): Promise<TickReport> {
    const sample = await this.deps.sampler.sample();
    const now = sample.tMs;
    const prev = this.samples.at(-1);
    this.samples.push(sample);
    const keepMs = Math.max(this.settings.windowMs, this.settings.forecast.historyMs, this.settings.recovery.baselineMs) + this.settings.recoveryTimeoutMs;
    while (this.samples.length > 0 && this.samples[0]!.tMs < now - keepMs) this.samples.shift();

    // A failure: Flink reports the job out of RUNNING, or its restart counter moved between two
    // samples. A sample that could not reach Flink says nothing about the job: not a failure.
    const running = sample.state === 'RUNNING';
    const ended = ['FINISHED', 'CANCELED', 'FAILED'].includes(sample.state);
    if (ended && prev?.state !== sample.state) this.event('job-ended', `job ${sample.jobId ?? ''} is ${sample.state}: nothing to control until a job runs again (no action taken)`);
    if (sample.state === 'UNREACHABLE' && prev?.state !== 'UNREACHABLE') this.event('unreachable', 'Flink does not answer, or runs no job (an application-mode JobManager exits with its job): waiting, no action taken');
    if (sample.state !== 'UNREACHABLE' && prev?.state === 'UNREACHABLE') this.event('reachable', `Flink answers again: job ${sample.jobId ?? ''} ${sample.state}`);
    const reported = sample.state !== 'UNREACHABLE' && !ended;
    const restarted = prev?.restarts !== undefined && sample.restarts !== undefined && sample.restarts > prev.restarts;
    if (!this.failure && reported && prev?.state === 'RUNNING' && (!running || restarted)) {
      this.failure = { startMs: prev.tMs, seenMs: now, intervalMs: this.deps.actuator.intervalMs(), seenDown: !running };
      this.failuresSeen++;
      this.event('failure', `job left RUNNING (${sample.state}${restarted ? `, numRestarts ${prev.restarts} → ${sample.restarts}` : ''})`, { startMs: prev.tMs });
    }
    if (reported && !running) this.runningSinceMs = undefined;
    else if (running) this.runningSinceMs ??= now;

    let failure: TickReport['failure'];
    let recoveryJustEnded = false;
    const wasOpen = this.failure !== undefined;
    if (this.failure) {
      const f = this.failure;
      const recovery = { ...this.settings.recovery, requireRestart: f.seenDown && this.settings.recovery.requireRestart };
      const t = recoveryTimeline(this.samples, f.startMs, recovery);
      const sustained = t.recoveredAtMs !== undefined; // set only once sustained
      // Unseen restart: it may have left no visible disturbance at all; normal lag, sustained, ends it.
      const normalNow = trailingNormalSustained(this.samples.filter((s) => s.tMs > f.startMs), t.thresholdLag, this.settings.recovery);
      if (!f.seenDown && (sustained || normalNow)) {
        this.event('recovery', 'a restart seen only in Flink’s counter (it fell between samples): lag is normal again; not a sample, its outage was not seen', { origin: 'production', unseen: true });
        this.failure = undefined;
      } else if (sustained) {
        const m = measureFailure(this.samples, f.startMs, recovery);
        if (m.recoverySec !== null && m.latencyMs !== null && m.throughputEps !== null && Number.isFinite(m.throughputEps)) {
          const s: FailureSample = { ciMs: f.intervalMs, throughputEps: m.throughputEps, latencyMs: m.latencyMs, recoverySec: m.recoverySec, detectionSec: m.detectionSec, restartSec: m.restartSec, catchupSec: m.catchupSec };
          failure = s;
          this.event('recovery', `recovered in ${m.recoverySec.toFixed(1)} s at ${m.throughputEps.toFixed(0)} ev/s, interval ${f.intervalMs} ms (origin: production)`, { origin: 'production', sample: s });
          const refit = this.deps.learn?.(s);
          if (refit) {
            this.modelsNow = refit;
            this.event('models', `models refitted with the production failure: ${refit.version}`);
          }
        } else this.event('recovery', `recovered in ${m.recoverySec?.toFixed(1)} s; not a sample (no pre-failure throughput or latency)`);
        this.failure = undefined;
        recoveryJustEnded = true;
      } else if (now - f.startMs > this.settings.recoveryTimeoutMs) {
        this.event('recovery', `no recovery within ${this.settings.recoveryTimeoutMs} ms: stored as a timeout`, { origin: 'production', timeout: true });
        failure = { timedOut: true, startMs: f.startMs };
        this.failure = undefined;
      }
    }

    if (wasOpen && this.failure === undefined) this.recoveryEndedMs = now;
    const observation = this.observe(now, recoveryJustEnded);
    this.takeCommands(observation);
    const byPerson = operatorDecision(this.operator, observation.intervalMs);
    const { decision, state } = byPerson ? { decision: byPerson, state: this.state } : this.deps.policy.decide(observation, this.state, { actuator: this.deps.actuator.kind, models: this.modelsNow });
    this.lastDecision = decision;
    if (decision.checkpointNow && this.deps.pacer && !this.operator.dryRun) this.deps.pacer.requestCheckpoint();
    if (decision.action === 'wait') {
      this.state = state;
      return { sample, decision, observation, failure };
    }
    this.lastEvaluatedDecision = decision;
    let outcome = 'kept';
    let outageMs = 0;
    if (decision.action === 'change') {
      if (this.operator.dryRun) outcome = 'dry-run';
      else {
        const r = await this.deps.actuator.apply(decision.toIntervalMs);
        outcome = r.ok ? 'applied' : `failed: ${r.detail}`;
        outageMs = r.outageMs;
      }
    }
    // A change that did not happen is not a change: the policy must not count it.
    this.state = outcome.startsWith('failed') ? { ...state, lastChangeMs: this.state.lastChangeMs, changeTimesMs: this.state.changeTimesMs } : state;
    this.record(decision, outcome, outageMs, observation, byPerson !== undefined);
    return { sample, decision, observation, outcome, failure };
  }

  private record(decision: Decision, outcome: string, outageMs: number, observation: Observation, byPerson: boolean): void {
    this.deps.store.recordDecision({
      runId: this.settings.runId,
      atMs: observation.atMs,
      policy: this.deps.policy.name,
      actuator: this.deps.actuator.kind,
      action: decision.action,
      fromIntervalMs: decision.fromIntervalMs,
      toIntervalMs: decision.toIntervalMs,
      reason: decision.reason,
      outcome,
      outageMs,
      modelVersion: this.modelsNow?.version,
      observation,
      predictions: decision.predictions,
      state: this.state,
      ...(byPerson ? { by: 'person' as const } : {}),
    });
  }

  /** Takes the people's commands queued since the last tick; each is recorded as a decision taken by a person. */
  private takeCommands(observation: Observation): void {
    const now = observation.atMs;
    const expired = expireOverride(this.operator, now);
    if (expired.expired) this.event('operator', `the interval a person set (${this.operator.override!.intervalMs} ms) expired: the policy decides again`);
    this.operator = expired.state;
    for (const c of this.deps.store.pendingCommands(this.settings.runId)) {
      const r = applyCommand(this.operator, c.command, now, observation.intervalMs, this.settings.dryRun);
      this.operator = r.state;
      const outcome = r.refused ? `refused: ${r.refused}` : 'applied';
      this.deps.store.settleCommand(c.seq, now, outcome);
      const keep = { action: 'keep' as const, fromIntervalMs: observation.intervalMs, toIntervalMs: observation.intervalMs, reason: r.reason };
      this.record(keep, outcome, 0, observation, true);
    }
  }

  /** The policy's input from the samples of the last window. */
  private observe(now: number, recoveryJustEnded: boolean): Observation {
    const window = this.samples.filter((s) => s.tMs > now - this.settings.windowMs && s.state === 'RUNNING');
    const rates = window.flatMap((s) => (s.inputEps === undefined ? [] : [s.inputEps]));
    const arrivals = this.samples.flatMap((s, k) => {
      const a = s.tMs > now - this.settings.windowMs ? arrivalEps(this.samples[k - 1], s) : undefined;
      return a === undefined ? [] : [a];
    });
    const reported = window.flatMap((s) => (s.latencyP99Ms === undefined ? [] : [s.latencyP99Ms]));
    // A gauge that never moves over a whole window is stale (Flink can serve a dead task's last value): unknown.
    const lats = !this.settings.latencyNotGauge && reported.length > 2 && reported.every((x) => x === reported[0]) ? [] : reported;
    const last = this.samples.at(-1);
    // Rates from counter deltas read 0 when Flink's metric store has not refreshed between two
    // samples: the forecast gets 5-sample means, not single samples.
    const recent = this.samples.filter((s) => s.tMs > now - this.settings.forecast.historyMs && s.inputEps !== undefined);
    const history: { tMs: number; eps: number }[] = [];
    for (let i = 0; i + 5 <= recent.length; i += 5) history.push({ tMs: recent[i + 4]!.tMs, eps: mean(recent.slice(i, i + 5).map((s) => s.inputEps!)) });
    return {
      atMs: now,
      intervalMs: this.deps.actuator.intervalMs(),
      throughputEps: mean(rates),
      ...(arrivals.length > 0 ? { arrivalEps: mean(arrivals) } : {}),
      latencyMs: mean(lats),
      forecastEps: this.settings.forecast.enabled ? this.forecast(history) : undefined,
      uptimeMs: this.runningSinceMs === undefined ? 0 : now - this.runningSinceMs,
      checkpointDurationMs: [...this.samples].reverse().find((s) => s.lastCheckpointMs !== undefined)?.lastCheckpointMs,
      failuresSeen: this.failuresSeen,
      observedForMs: now - this.startedMs,
      lagRecords: last?.lag,
      recovering: this.failure !== undefined || last?.state !== 'RUNNING',
      recoveryJustEnded,
      windowHasRecovery: this.recoveryEndedMs !== undefined && now - this.recoveryEndedMs < this.settings.windowMs,
    };
  }

  /**
   * The forecast peak, held to twice the highest 5-second mean seen: the catch-up burst after a
   * restart is a steep trend that a linear forecast would carry far beyond anything observed.
   */
  private forecast(history: { tMs: number; eps: number }[]): number | undefined {
    const f = forecastPeak(history, this.settings.forecast.horizonMs);
    return f === undefined ? undefined : Math.min(f, 2 * Math.max(...history.map((h) => h.eps)));
  }

  private event(kind: string, detail: string, data?: unknown): void {
    this.deps.store.recordEvent({ runId: this.settings.runId, atMs: this.deps.clock.now(), kind, detail, data });
  }
}
