import { badInput, KhaosError } from '../errors.js';
import { checkpointDurationMs, restoreSec } from './fluid-params.js';
import { headAgeMs, newJobCounts, newStepTotals, stateBytes, type FluidCheckpoint, type FluidListener, type FluidState, type StepTotals } from './fluid-state.js';

/**
 * SIMULATED: a fluid model of one checkpointed Flink job. Input arrives as a rate (events/s), the
 * job reads it from its topic at up to its capacity, checkpoints store the source offset, and a
 * failure rewinds the job to the last completed checkpoint (exactly-once: the input since then is
 * read again). No single event is ever represented: a step costs the same whatever the rate.
 *
 * `step` advances the state by dt at a constant input rate, firing every state change (checkpoint
 * trigger and completion, detection, restart, restore, savepoint, relaunch) at its exact time in
 * between. Commands between steps: `injectFailure`, `setPacedInterval`, `requestCheckpoint`,
 * `reconfigure` (or its two halves `stopWithSavepoint` + `relaunch`), `abortSavepoint`, `cancel`,
 * `setSlotsAvailable`. The state is mutated in place, for speed (a week is 604 800 steps);
 * everything is deterministic. The simulator runs on it, and so does the simulated Flink cluster
 * (src/adapters/sim) behind SimFlinkEngine and the test fake of the platform (test/fakes).
 *
 * This file steps the model: time passes and what falls due fires. Its parameters are in
 * fluid-params.ts, its state and events in fluid-state.ts, the commands in fluid-commands.ts.
 *
 * Units: times ms unless the name says otherwise, rates events/s, sizes bytes, amounts events.
 */

/**
 * Advances the job by `dtMs` with input at `inputEps` throughout, firing every state change at
 * its time. Adds what happened to `into` (a fresh object unless given) and returns it. Throws
 * `bad-input` for a negative or non-finite dt or rate.
 */
export function step(s: FluidState, dtMs: number, inputEps: number, into: StepTotals = newStepTotals(), onEvent?: FluidListener): StepTotals {
  if (!(dtMs >= 0 && Number.isFinite(dtMs))) throw badInput(`step: dt must be a finite number ≥ 0 ms, got ${dtMs}`);
  if (!(inputEps >= 0 && Number.isFinite(inputEps))) throw badInput(`step: input rate must be a finite number ≥ 0 events/s, got ${inputEps}`);
  const end = s.tMs + dtMs;
  setRate(s, inputEps);
  into.durationMs += dtMs;
  into.maxHeadAgeMs = Math.max(into.maxHeadAgeMs, headAgeMs(s));
  const deployments = s.counters.deployments;
  for (let guard = 0; ; guard++) {
    if (guard > 10_000) throw new KhaosError('bug', `fluid model does not settle at ${s.tMs} ms (phase ${s.phase})`);
    const at = nextEventAtMs(s);
    if (at > end) {
      integrate(s, end, into);
      break;
    }
    integrate(s, at, into);
    fire(s, onEvent);
    into.maxHeadAgeMs = Math.max(into.maxHeadAgeMs, headAgeMs(s));
  }
  into.maxHeadAgeMs = Math.max(into.maxHeadAgeMs, headAgeMs(s));
  if (s.counters.deployments !== deployments) into.redeployed = true;
  prune(s);
  return into;
}

function setRate(s: FluidState, eps: number): void {
  s.inputEps = eps;
  const a = s.arrivals;
  const last = a.tMs.length - 1;
  if (a.eps[last] === eps) return;
  if (a.tMs[last] === s.tMs) {
    a.eps[last] = eps;
    return;
  }
  a.tMs.push(s.tMs);
  a.offset.push(s.inputOffset);
  a.eps.push(eps);
}

/** Drops input history no restore can go back to. */
function prune(s: FluidState): void {
  const a = s.arrivals;
  const keep = Math.min(s.consumed, s.restorePoint?.position ?? 0);
  const last = a.tMs.length - 1;
  while (a.start < last && a.offset[a.start + 1]! <= keep) a.start++;
  if (a.start > 1024 && a.start * 2 > a.tMs.length) {
    a.tMs.splice(0, a.start);
    a.offset.splice(0, a.start);
    a.eps.splice(0, a.start);
    a.head = Math.max(0, a.head - a.start);
    a.start = 0;
  }
}

/** Moves the fluid to `toMs` at constant rates: input arrives, the source reads at most capacity. */
function integrate(s: FluidState, toMs: number, into: StepTotals): void {
  const dtMs = toMs - s.tMs;
  if (!(dtMs > 0)) return;
  const dt = dtMs / 1000;
  const p = s.params;
  const arriving = s.inputEps * dt;
  s.inputOffset += arriving;
  into.inputEvents += arriving;
  if (s.phase === 'running') {
    const checkpointing = s.inFlight !== undefined;
    const capacity = p.capacityEps * (checkpointing ? 1 - p.checkpoint.capacityLoss : 1);
    const available = s.inputOffset - s.consumed;
    const done = Math.min(capacity * dt, available);
    // An emptied backlog is set exactly, so that "no backlog" is exactly 0 and offsets do not drift.
    s.consumed = done >= available ? s.inputOffset : s.consumed + done;
    s.processedTotal += done;
    into.processedEvents += done;
    s.rateEma += (done / dt - s.rateEma) * (1 - Math.exp(-dt / p.state.windowSec));
    if (checkpointing) {
      const lost = p.capacityEps * p.checkpoint.capacityLoss * dt;
      s.counters.checkpointingMs += dtMs;
      s.counters.lostCapacityEvents += lost;
      into.checkpointingMs += dtMs;
      into.lostCapacityEvents += lost;
    }
  }
  s.tMs = toMs;
}

/** When a paced checkpoint is due, ms. */
const pacedDueMs = (s: FluidState): number => (s.checkpointRequested ? s.tMs : Math.max(s.tMs, s.lastCompletedTriggerMs + s.intervalMs));
/** When the next checkpoint is due (with none in flight): the pacer's, or Flink's periodic timer or a request, ms. */
const triggerDueMs = (s: FluidState): number => (s.actuator === 'paced' ? pacedDueMs(s) : s.checkpointRequested ? s.tMs : s.nextPeriodicAtMs);
/** A failure not yet detected, during which Flink's coordinator goes on triggering (checkpointsUntilDetected). */
const triggersUndetected = (s: FluidState): boolean => s.checkpointsUntilDetected && !s.inFlight;

/** The time of the next state change (≥ now), Infinity when none. */
function nextEventAtMs(s: FluidState): number {
  let at = Infinity;
  switch (s.phase) {
    case 'failed':
      at = triggersUndetected(s) ? Math.min(s.phaseEndsAtMs, triggerDueMs(s)) : s.phaseEndsAtMs;
      break;
    case 'restarting':
    case 'restoring':
    case 'relaunching':
    case 'starting':
      at = s.phaseEndsAtMs;
      break;
    case 'frozen':
      at = Math.min(s.phaseEndsAtMs, s.thawAtMs, triggersUndetected(s) ? triggerDueMs(s) : Infinity);
      break;
    case 'savepointing':
      at = s.phaseEndsAtMs;
      if (s.inFlight) at = Math.min(at, s.inFlight.completesAtMs);
      break;
    case 'running':
      at = s.inFlight ? s.inFlight.completesAtMs : triggerDueMs(s);
      break;
    case 'stopped':
    case 'scheduled':
      break;
  }
  return Math.max(s.tMs, at);
}

/** Fires the state change due now (phase changes before checkpoint completion before a trigger). */
function fire(s: FluidState, on?: FluidListener): void {
  const now = s.tMs;
  const p = s.params;
  switch (s.phase) {
    case 'failed':
    case 'frozen':
      if (s.phase === 'frozen' && s.thawAtMs <= now) {
        s.phase = 'running';
        s.thawAtMs = Infinity;
        on?.({ kind: 'thawed', atMs: now });
        return;
      }
      if (s.phaseEndsAtMs <= now) {
        abortInFlight(s, 'the job failed', on);
        s.phase = 'restarting';
        s.thawAtMs = Infinity;
        s.phaseEndsAtMs = now + p.restartSec * 1000;
        // Flink's coordinator drops what it had not triggered yet with the failed job.
        if (s.checkpointsUntilDetected) s.checkpointRequested = false;
        on?.({ kind: 'detected', atMs: now });
        return;
      }
      if (triggersUndetected(s) && triggerDueMs(s) <= now) {
        trigger(s, on);
        return;
      }
      break;
    case 'restarting':
      if (s.phaseEndsAtMs <= now) {
        s.numRestarts++;
        s.counters.restarts++;
        deploy(s, true, on);
        return;
      }
      break;
    case 'relaunching':
      if (s.phaseEndsAtMs <= now) {
        deploy(s, true, on);
        return;
      }
      break;
    case 'starting':
      if (s.phaseEndsAtMs <= now) {
        deploy(s, false, on);
        return;
      }
      break;
    case 'restoring':
      if (s.phaseEndsAtMs <= now) {
        startRunning(s, on);
        return;
      }
      break;
    case 'savepointing':
      if (s.phaseEndsAtMs <= now) {
        completeSavepoint(s, on);
        return;
      }
      if (s.inFlight && s.inFlight.completesAtMs <= now) {
        completeCheckpoint(s, on);
        return;
      }
      break;
    case 'running':
      if (s.inFlight) {
        if (s.inFlight.completesAtMs <= now) {
          completeCheckpoint(s, on);
          return;
        }
        break;
      }
      if (triggerDueMs(s) <= now) {
        trigger(s, on);
        return;
      }
      break;
    case 'stopped':
    case 'scheduled':
      break;
  }
  throw new KhaosError('bug', `fluid model: nothing due at ${now} ms in phase ${s.phase}`);
}

// The transitions below are shared with the commands (fluid-commands.ts).

/** Tasks deployed once slots are free: they restore the restore point (restart, relaunch) or start empty (a new job). */
export function deploy(s: FluidState, restore: boolean, on?: FluidListener): void {
  if (!s.slotsAvailable) {
    s.phase = 'scheduled';
    s.phaseEndsAtMs = Infinity;
    s.restoreOnDeploy = restore;
    on?.({ kind: 'scheduled', atMs: s.tMs });
    return;
  }
  if (restore) beginRestore(s, on);
  else startRunning(s, on);
}

function startRunning(s: FluidState, on?: FluidListener): void {
  const now = s.tMs;
  s.phase = 'running';
  s.phaseEndsAtMs = Infinity;
  s.counters.deployments++;
  // Flink's periodic timer starts with the deployed job (the pacer keeps its own clock).
  s.nextPeriodicAtMs = now + s.intervalMs;
  on?.({ kind: 'running', atMs: now });
  const r = s.reconfiguration;
  if (r?.savepoint && r.toIntervalMs !== undefined) {
    const outageMs = now - r.requestedAtMs;
    s.counters.reconfigurations++;
    s.counters.reconfigurationDowntimeMs += outageMs;
    s.reconfiguration = undefined;
    on?.({ kind: 'reconfigured', atMs: now, intervalMs: s.intervalMs, outageMs });
  }
}

function trigger(s: FluidState, on?: FluidListener): void {
  const now = s.tMs;
  const bytes = stateBytes(s);
  const id = s.nextCheckpointId++;
  s.inFlight = { id, triggeredAtMs: now, completesAtMs: now + checkpointDurationMs(s.params, bytes), position: s.consumed, stateBytes: bytes };
  // A periodic trigger due while another checkpoint is in flight is skipped (max-concurrent-checkpoints 1).
  if (s.actuator === 'restart' && s.nextPeriodicAtMs <= now) s.nextPeriodicAtMs += Math.floor((now - s.nextPeriodicAtMs) / s.intervalMs + 1) * s.intervalMs;
  s.checkpointRequested = false;
  on?.({ kind: 'checkpoint-triggered', atMs: now, id, position: s.consumed });
}

function completeCheckpoint(s: FluidState, on?: FluidListener): void {
  const f = s.inFlight!;
  s.inFlight = undefined;
  const cp: FluidCheckpoint = { id: f.id, triggeredAtMs: f.triggeredAtMs, completedAtMs: s.tMs, position: f.position, stateBytes: f.stateBytes, savepoint: false };
  s.lastCompleted = cp;
  s.lastCompletedTriggerMs = Math.max(s.lastCompletedTriggerMs, f.triggeredAtMs);
  if (!s.restorePoint || cp.position >= s.restorePoint.position) s.restorePoint = cp;
  s.counters.checkpointsCompleted++;
  s.job.checkpointsCompleted++;
  if (s.actuator === 'restart' && s.nextPeriodicAtMs < s.tMs) s.nextPeriodicAtMs += Math.ceil((s.tMs - s.nextPeriodicAtMs) / s.intervalMs) * s.intervalMs;
  on?.({ kind: 'checkpoint-completed', atMs: s.tMs, checkpoint: cp });
}

export function abortInFlight(s: FluidState, why: string, on?: FluidListener): void {
  if (!s.inFlight) return;
  const id = s.inFlight.id;
  s.inFlight = undefined;
  s.counters.checkpointsAborted++;
  s.job.checkpointsFailed++;
  on?.({ kind: 'checkpoint-aborted', atMs: s.tMs, id, why });
}

/** Tasks restore the restore point: the source rewinds to its offset (the whole topic without one). */
function beginRestore(s: FluidState, on?: FluidListener): void {
  const from = s.restorePoint;
  const position = from?.position ?? 0;
  const rewound = Math.max(0, s.consumed - position);
  s.rewoundTotal += rewound;
  s.consumed = position;
  s.arrivals.head = s.arrivals.start;
  if (from) s.job.restored++;
  s.phase = 'restoring';
  s.phaseEndsAtMs = s.tMs + restoreSec(s.params, from?.stateBytes ?? s.params.state.baseBytes) * 1000;
  on?.({ kind: 'restore-started', atMs: s.tMs, from, rewound });
}

function completeSavepoint(s: FluidState, on?: FluidListener): void {
  const r = s.reconfiguration!;
  const sp = r.savepoint!;
  sp.completedAtMs = s.tMs;
  s.counters.savepoints++;
  s.job.checkpointsCompleted++;
  s.lastCompleted = sp;
  s.restorePoint = sp;
  // The job is FINISHED: a checkpoint still in flight is lost with it.
  abortInFlight(s, 'the job finished with a savepoint', on);
  on?.({ kind: 'savepoint-completed', atMs: s.tMs, checkpoint: sp });
  if (r.toIntervalMs === undefined) {
    s.phase = 'stopped';
    s.phaseEndsAtMs = Infinity;
    return;
  }
  startRelaunch(s, r.toIntervalMs, on);
}

export function startRelaunch(s: FluidState, intervalMs: number, on?: FluidListener): void {
  s.phase = 'relaunching';
  s.phaseEndsAtMs = s.tMs + s.params.relaunchSec * 1000;
  s.numRestarts = 0;
  s.job = newJobCounts(s.job.number + 1);
  if (s.intervalMs !== intervalMs) on?.({ kind: 'interval-changed', atMs: s.tMs, fromMs: s.intervalMs, toMs: intervalMs });
  s.intervalMs = intervalMs;
  on?.({ kind: 'relaunch-started', atMs: s.tMs, intervalMs });
}

