import { KhaosError } from '../core/errors.js';
import { FAILURE_TYPE_REGISTRY, failureSpec } from '../core/failure-types.js';
import type { JobSample } from '../core/profiling/recovery.js';
import type { Clock } from '../ports/clock.js';
import type { FailureInjector, FailureType, InjectedFailure, TaskExceptionTarget } from '../ports/failure-injector.js';
import type { FlinkEngine } from '../ports/flink-engine.js';
import type { Orchestrator } from '../ports/orchestrator.js';
import type { JobSampler } from './observe.js';
import type { RunScope } from './run-scope.js';

/**
 * What the demo's watch and a profile step share: replicas sampled once a tick while a replay
 * runs, their dead TaskManagers brought back, and a failure injected into each at its time.
 */
export interface WatchedReplica {
  readonly name: string;
  readonly flink: FlinkEngine;
  readonly sampler: JobSampler;
  samples: JobSample[];
  /** When to inject; with the victim and the checkpoint it is timed against when known ahead. */
  target?: { atMs: number; nextDueMs?: number; taskManagerId?: string };
  /** 'armed' from the tick that armed the injection until it settled (a freeze: its thaw). */
  injection?: 'armed' | 'settled';
  /** On record from the moment the signal goes out (a freeze's is completed at its thaw). */
  failure?: InjectedFailure;
  /** The replica's input, where a task-exception marker goes. */
  input?: TaskExceptionTarget;
}

/** One look at each replica: its sample, and the TaskManagers started in place of dead ones. */
export interface ReplicaLook {
  replica: WatchedReplica;
  sample: JobSample;
  replacements: string[];
}

/** Samples every replica at once (a sample never throws: "not ready" is a state), then brings back their dead TaskManagers. */
export async function sampleAndRevive(orchestrator: Orchestrator, replicas: readonly WatchedReplica[]): Promise<ReplicaLook[]> {
  const samples = await Promise.all(replicas.map((r) => r.sampler.sample()));
  for (const [i, replica] of replicas.entries()) replica.samples.push(samples[i]!);
  const replacements = await Promise.all(replicas.map((r) => orchestrator.restartDeadTaskManagers(r.name)));
  return replicas.map((replica, i) => ({ replica, sample: samples[i]!, replacements: replacements[i]! }));
}

/**
 * Arms each planned injection that falls due before the next tick (`horizonMs` from now): it goes
 * out at its own time (ticks are too coarse for the timing) as a task of the run, so its error
 * ends the run at once; one whose time comes after the run stopped is not sent. Returns the
 * replicas armed now.
 */
export function armDueInjections<R extends WatchedReplica>(run: RunScope, clock: Clock, replicas: readonly R[], horizonMs: number, inject: (r: R) => Promise<void>): R[] {
  const due = replicas.filter((r) => r.target && r.injection === undefined && r.target.atMs < clock.now() + horizonMs);
  for (const r of due) {
    r.injection = 'armed';
    run.spawn(async () => {
      try {
        const wait = r.target!.atMs - clock.now();
        if (wait > 0) await clock.sleep(wait);
        if (!run.stopped) await inject(r);
      } finally {
        r.injection = 'settled';
      }
    });
  }
  return due;
}

/**
 * Injects a failure of `type` into the replica: into TaskManager `taskManagerId`, or through
 * `r.input` for one that strikes the job's input. The failure is on record (`r.failure`) from
 * the moment the signal goes out: one with a duration (a freeze) resolves only when it ends, and
 * the watch needs its start now. Resolves with the injector's own record.
 */
export async function injectFailure(injector: FailureInjector, clock: Clock, r: WatchedReplica, type: FailureType, taskManagerId: string, durationMs: number): Promise<InjectedFailure> {
  const spec = failureSpec(type, { replica: r.name, taskManagerId, durationMs, input: r.input });
  if (!FAILURE_TYPE_REGISTRY[type].hasDuration) return (r.failure = await injector.inject(spec));
  const injectedAtMs = clock.now();
  const injecting = injector.inject(spec);
  r.failure = { type, taskManagerId, pid: 0, injectedAtMs };
  return (r.failure = await injecting);
}

/** The run's error for an injection that failed: what was injected where, and why it failed. */
export function injectionFailed(type: FailureType, where: string, cause: unknown, hint: string): KhaosError {
  return new KhaosError('platform', `injecting a ${type}${where} failed: ${(cause as Error)?.message ?? String(cause)}`, hint, { cause });
}
