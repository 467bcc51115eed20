import { badInput } from '../errors.js';
import { FAILURE_TYPES, type FailureType } from '../failure-types.js';

/**
 * SIMULATED: the parameters of the fluid model of one Flink job (src/core/sim/fluid.ts): its
 * physics, their defaults and checks, and the durations that follow from them (each failure type
 * of the registry, core/failure-types.ts, has its own detection delay).
 *
 * Units: times ms unless the name says otherwise, rates events/s, sizes bytes.
 */


/** The physics of the job. */
export interface FluidParams {
  /** Events/s the job processes at most with no checkpoint in flight (what catch-up runs at). */
  capacityEps: number;
  checkpoint: {
    /** Fixed part of a checkpoint's duration (barrier travel, sync phase, metadata), ms. */
    baseMs: number;
    /** Snapshot upload bandwidth, bytes/s: duration = baseMs + 1000 · stateBytes / bytesPerSec. */
    bytesPerSec: number;
    /** Share of capacity lost while a checkpoint is in flight (alignment, snapshot I/O), in [0, 1). */
    capacityLoss: number;
    /** Added to the p99 latency of a second in which a checkpoint runs, ms. */
    latencyMs: number;
  };
  /**
   * Failure → the job leaves RUNNING, s, per failure type: a kill is noticed by peers' broken
   * connections, a freeze only by the heartbeat timeout, a task exception at once.
   */
  detectionSec: Record<FailureType, number>;
  /** RESTARTING → tasks deployed again (restart delay, slot allocation, scheduling), s. */
  restartSec: number;
  /** Restoring state before processing resumes: baseSec + stateBytes / bytesPerSec, s. */
  restore: { baseSec: number; bytesPerSec: number };
  /** Stop-with-savepoint: savepoint.baseMs + 1000 · stateBytes / checkpoint.bytesPerSec (a full snapshot), ms. */
  savepoint: { baseMs: number };
  /** After the savepoint, a new JobManager and job are up (before the restore), s. */
  relaunchSec: number;
  /**
   * p99 latency with an empty backlog, as physicalLatencyMs: baseMs + perCiMs · CI + queueMsEps / (capacity − λ)
   * (the queueing denominator is floored at 1 % of capacity). Waiting in the topic comes on top.
   */
  latency: { baseMs: number; perCiMs: number; queueMsEps: number };
  /**
   * State size: baseBytes + bytesPerEvent · (events processed in the last windowSec), the window
   * approximated by an exponential average of the processing rate with time constant windowSec.
   */
  state: { baseBytes: number; bytesPerEvent: number; windowSec: number };
}

/**
 * Original-scale defaults, matching DEFAULT_SIMULATION of profiling/simulated-samples.ts
 * (capacity 12 000 ev/s, detection 8 s + restart and restore 12 s, the same latency equation),
 * with a 200 MB state, 2.5 s checkpoints costing 10 % of capacity, and a reconfiguration outage
 * of 2.5 s savepoint + 4 s relaunch + 2 s restore = 8.5 s (the local measurement).
 */
export const DEFAULT_FLUID_PARAMS: FluidParams = {
  capacityEps: 12_000,
  checkpoint: { baseMs: 500, bytesPerSec: 100_000_000, capacityLoss: 0.1, latencyMs: 50 },
  detectionSec: { kill: 8, freeze: 30, exception: 0.5 },
  restartSec: 10,
  restore: { baseSec: 0, bytesPerSec: 100_000_000 },
  savepoint: { baseMs: 500 },
  relaunchSec: 4,
  latency: { baseMs: 120, perCiMs: 0.002, queueMsEps: 1_000_000 },
  state: { baseBytes: 200_000_000, bytesPerEvent: 0, windowSec: 60 },
};

/** Overrides of some parameters, one level deep (`{ checkpoint: { capacityLoss: 0 } }`). */
export type FluidParamsOverrides = { [K in keyof FluidParams]?: FluidParams[K] extends number ? number : Partial<FluidParams[K]> };

/** DEFAULT_FLUID_PARAMS (or `base`) with `over` merged in, checked. Throws `bad-input` listing every bad value. */
export function fluidParams(over: FluidParamsOverrides = {}, base: FluidParams = DEFAULT_FLUID_PARAMS): FluidParams {
  const p: FluidParams = {
    capacityEps: over.capacityEps ?? base.capacityEps,
    checkpoint: { ...base.checkpoint, ...over.checkpoint },
    detectionSec: { ...base.detectionSec, ...over.detectionSec },
    restartSec: over.restartSec ?? base.restartSec,
    restore: { ...base.restore, ...over.restore },
    savepoint: { ...base.savepoint, ...over.savepoint },
    relaunchSec: over.relaunchSec ?? base.relaunchSec,
    latency: { ...base.latency, ...over.latency },
    state: { ...base.state, ...over.state },
  };
  checkParams(p);
  return p;
}

/** Throws `bad-input` naming every parameter out of range. */
export function checkParams(p: FluidParams): void {
  const problems: string[] = [];
  const need = (ok: boolean, what: string, v: number) => {
    if (!ok || Number.isNaN(v)) problems.push(`${what} ${v}`);
  };
  const finite = Number.isFinite;
  need(finite(p.capacityEps) && p.capacityEps > 0, 'capacityEps must be > 0, got', p.capacityEps);
  need(finite(p.checkpoint.baseMs) && p.checkpoint.baseMs >= 0, 'checkpoint.baseMs must be ≥ 0, got', p.checkpoint.baseMs);
  need(p.checkpoint.bytesPerSec > 0, 'checkpoint.bytesPerSec must be > 0, got', p.checkpoint.bytesPerSec);
  need(p.checkpoint.capacityLoss >= 0 && p.checkpoint.capacityLoss < 1, 'checkpoint.capacityLoss must be in [0, 1), got', p.checkpoint.capacityLoss);
  need(finite(p.checkpoint.latencyMs) && p.checkpoint.latencyMs >= 0, 'checkpoint.latencyMs must be ≥ 0, got', p.checkpoint.latencyMs);
  for (const t of FAILURE_TYPES) need(finite(p.detectionSec[t]) && p.detectionSec[t] >= 0, `detectionSec.${t} must be ≥ 0, got`, p.detectionSec[t]);
  need(finite(p.restartSec) && p.restartSec >= 0, 'restartSec must be ≥ 0, got', p.restartSec);
  need(finite(p.restore.baseSec) && p.restore.baseSec >= 0, 'restore.baseSec must be ≥ 0, got', p.restore.baseSec);
  need(p.restore.bytesPerSec > 0, 'restore.bytesPerSec must be > 0, got', p.restore.bytesPerSec);
  need(finite(p.savepoint.baseMs) && p.savepoint.baseMs >= 0, 'savepoint.baseMs must be ≥ 0, got', p.savepoint.baseMs);
  need(finite(p.relaunchSec) && p.relaunchSec >= 0, 'relaunchSec must be ≥ 0, got', p.relaunchSec);
  need(finite(p.latency.baseMs) && p.latency.baseMs >= 0, 'latency.baseMs must be ≥ 0, got', p.latency.baseMs);
  need(finite(p.latency.perCiMs), 'latency.perCiMs must be finite, got', p.latency.perCiMs);
  need(finite(p.latency.queueMsEps) && p.latency.queueMsEps >= 0, 'latency.queueMsEps must be ≥ 0, got', p.latency.queueMsEps);
  need(finite(p.state.baseBytes) && p.state.baseBytes >= 0, 'state.baseBytes must be ≥ 0, got', p.state.baseBytes);
  need(finite(p.state.bytesPerEvent) && p.state.bytesPerEvent >= 0, 'state.bytesPerEvent must be ≥ 0, got', p.state.bytesPerEvent);
  need(finite(p.state.windowSec) && p.state.windowSec > 0, 'state.windowSec must be > 0, got', p.state.windowSec);
  if (problems.length > 0) throw badInput(`simulation parameters: ${problems.join('; ')}`, 'fix the fluid model parameters');
}

// Durations from the physics

/** Trigger → completion of a checkpoint of `stateBytes`, ms. */
export const checkpointDurationMs = (p: FluidParams, stateBytes: number): number => p.checkpoint.baseMs + (1000 * stateBytes) / p.checkpoint.bytesPerSec;
/** Trigger → completion of a (full, canonical) savepoint of `stateBytes`, ms. */
export const savepointDurationMs = (p: FluidParams, stateBytes: number): number => p.savepoint.baseMs + (1000 * stateBytes) / p.checkpoint.bytesPerSec;
/** Restoring `stateBytes` before processing resumes, s. */
export const restoreSec = (p: FluidParams, stateBytes: number): number => p.restore.baseSec + stateBytes / p.restore.bytesPerSec;
/** Failure → processing again after a restart from a checkpoint of `stateBytes` (D of physicalRecoverySec), s. */
export const downtimeSec = (p: FluidParams, type: FailureType, stateBytes: number): number => p.detectionSec[type] + p.restartSec + restoreSec(p, stateBytes);
/** Request → processing again of a stop-with-savepoint and relaunch at `stateBytes`, s. */
export const reconfigurationOutageSec = (p: FluidParams, stateBytes: number): number => savepointDurationMs(p, stateBytes) / 1000 + p.relaunchSec + restoreSec(p, stateBytes);

/** The queueing term of the latency, ms: queueMsEps / (capacity − λ), the spare capacity floored at 1 % of capacity. */
export const queueingMs = (p: FluidParams, inputEps: number): number => p.latency.queueMsEps / Math.max(p.capacityEps - inputEps, 0.01 * p.capacityEps);
