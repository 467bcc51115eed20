import type { FailureType } from '../../core/failure-types.js';
import type { FluidParams } from '../../core/sim/fluid-params.js';
import type { Clock } from '../../ports/clock.js';
import { FluidFlinkCluster, type InputRate } from './fluid-flink-cluster.js';
import { FluidFlinkEngine } from './fluid-flink-engine.js';
import { SAMPLE_JOBS } from './sample-jobs.js';

export interface SimFlinkEngineOptions {
  params: FluidParams;
  /** Input rate per simulated second from the start, ev/s; the last value holds after the end. */
  rateEps: readonly number[];
  /** The job's own (fallback) checkpoint interval, ms: Flink's periodic checkpoints (paced control keeps it long). */
  fallbackIntervalMs: number;
  /** Suffix of the latency gauge (control.latencyMetric, default e2eLatencyP99Ms). */
  latencyMetric?: string;
  /** Distinguishes the job ids and REST url of several engines. */
  name?: string;
  /** execution.checkpointing.tolerable-failed-checkpoints reported by checkpointConfig (default 3). */
  tolerableFailures?: number;
}

/** A rate per second from `startMs`, the last one holding after the end. */
class RatePerSecond implements InputRate {
  constructor(
    private readonly startMs: number,
    private readonly rateEps: readonly number[],
  ) {}
  rateAt(tMs: number): number {
    const r = this.rateEps;
    return r.length === 0 ? 0 : r[Math.min(r.length - 1, Math.max(0, Math.floor((tMs - this.startMs) / 1000)))]!;
  }
  /** The cluster steps one second at a time from the same start: a new second's rate needs no earlier stop. */
  changeAfter(): undefined {
    return undefined;
  }
}

/**
 * A FlinkEngine over one SIMULATED cluster running the iot sample job at parallelism 1 (one
 * TaskManager and a spare), for benches and simulated runs of the controller: it answers
 * in-process (no REST latency) what RestFlinkEngine answers, under the same contract. The job
 * runs Flink's own periodic checkpoints at the fallback interval; REST triggers are checkpoints
 * on demand. The fluid job is advanced lazily to the clock's now on every call, one simulated
 * second at a time with that second's input rate.
 */
export class SimFlinkEngine extends FluidFlinkEngine {
  readonly cluster: FluidFlinkCluster;
  /** Wall time spent advancing the simulation, ms (benches subtract it from the controller's). */
  simWallMs = 0;

  constructor(clock: Clock, options: SimFlinkEngineOptions) {
    const name = options.name ?? 'sim';
    const cluster = new FluidFlinkCluster(
      {
        name, job: SAMPLE_JOBS.iot, parallelism: 1, params: options.params, intervalMs: options.fallbackIntervalMs, atMs: clock.now(),
        latencyMetric: options.latencyMetric ?? 'e2eLatencyP99Ms', tolerableFailures: options.tolerableFailures ?? 3,
      },
      new RatePerSecond(clock.now(), options.rateEps),
    );
    super(`sim://${name}`, clock, () => cluster);
    this.cluster = cluster;
  }

  /** Trigger times of Flink's own periodic (fallback) checkpoints, ms: a REST trigger then waits for them (max one in flight). */
  get fallbackTriggersMs(): readonly number[] {
    return this.cluster.periodicTriggersMs;
  }

  protected override live(method: string, args: unknown[], http: string): FluidFlinkCluster {
    const t0 = performance.now();
    try {
      return super.live(method, args, http);
    } finally {
      this.simWallMs += performance.now() - t0;
    }
  }

  /**
   * A failure of the simulated job now, on the TaskManager running its tasks: a kill (the process
   * is restarted at once, as a supervisor would; the job restarts on the spare), a freeze for
   * `freezeMs` (default: until the job restarts without it), or a task exception.
   */
  fail(type: FailureType, freezeMs?: number): void {
    const c = this.cluster;
    c.advanceTo(this.clock.now());
    const tm = c.tms.find((t) => t.id === c.placement?.[0]);
    if (type === 'exception') c.taskException(c.fluid.numRestarts);
    else if (tm && type === 'freeze') c.freeze(tm, freezeMs ?? Infinity);
    else if (tm) {
      c.kill(tm);
      c.restartDeadTaskManagers();
    }
  }
}
