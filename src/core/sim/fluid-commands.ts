import { badInput } from '../errors.js';
import { FAILURE_TYPES, type FailureType } from '../failure-types.js';
import { savepointDurationMs } from './fluid-params.js';
import { checkInterval, stateBytes, type FluidCheckpoint, type FluidListener, type FluidState } from './fluid-state.js';
import { abortInFlight, deploy, startRelaunch } from './fluid.js';

/**
 * SIMULATED: the commands of the fluid model of one Flink job, given between steps
 * (src/core/sim/fluid.ts): failures, the checkpoint interval and on-demand checkpoints,
 * stop-with-savepoint and relaunch, cancel, and the TaskManager slots.
 */

/**
 * A failure now. A kill or an exception stops processing at once and is detected after
 * `detectionSec[type]`; a freeze stops it for `freezeMs` (default: until detected) and restarts
 * the job only when it outlasts `detectionSec.freeze`, else the job simply continues. Overlaps:
 * a failure while one is still undetected joins its restart (a kill during a freeze may be noticed
 * sooner); one during a restart, restore or relaunch starts the restart over; one during a
 * savepoint aborts it (the reconfiguration fails, the job keeps its interval); a stopped job, or
 * one with no task deployed (starting, scheduled), has nothing to fail. Throws `bad-input` for an
 * unknown type or a bad freeze duration.
 */
export function injectFailure(s: FluidState, type: FailureType, freezeMs?: number, on?: FluidListener): void {
  if (!FAILURE_TYPES.includes(type)) throw badInput(`unknown failure type "${type}"`, `use one of: ${FAILURE_TYPES.join(', ')}`);
  if (freezeMs !== undefined && !(freezeMs > 0)) throw badInput(`a freeze must last > 0 ms, got ${freezeMs}`);
  const now = s.tMs;
  const p = s.params;
  const detectAt = now + p.detectionSec[type] * 1000;
  s.counters.failures++;
  on?.({ kind: 'failure', atMs: now, type });
  switch (s.phase) {
    case 'stopped':
    case 'starting':
    case 'scheduled':
      return;
    case 'failed':
      s.phaseEndsAtMs = Math.min(s.phaseEndsAtMs, detectAt);
      return;
    case 'frozen':
      if (type === 'freeze') {
        // Frozen longer: detected once the whole freeze outlasts the heartbeat timeout.
        if (s.thawAtMs === Infinity) return;
        s.thawAtMs = Math.max(s.thawAtMs, now + (freezeMs ?? Infinity));
        if (s.thawAtMs - s.frozenSinceMs > p.detectionSec.freeze * 1000) {
          s.phaseEndsAtMs = s.frozenSinceMs + p.detectionSec.freeze * 1000;
          s.thawAtMs = Infinity;
        }
        return;
      }
      s.phase = 'failed';
      s.thawAtMs = Infinity;
      s.phaseEndsAtMs = Math.min(s.phaseEndsAtMs, detectAt);
      return;
    case 'restarting':
    case 'restoring':
    case 'relaunching':
      // The restart starts over; a relaunch in progress completes as a restart from the savepoint.
      if (s.reconfiguration?.savepoint && s.reconfiguration.toIntervalMs !== undefined) {
        s.counters.reconfigurations++;
        s.counters.reconfigurationDowntimeMs += now - s.reconfiguration.requestedAtMs;
        s.reconfiguration = undefined;
      }
      s.phase = 'failed';
      s.phaseEndsAtMs = detectAt;
      return;
    case 'savepointing':
      failSavepoint(s, 'the job failed while the savepoint was taken', on);
      break;
    case 'running':
      break;
  }
  if (type === 'freeze') {
    const d = freezeMs ?? Infinity;
    s.phase = 'frozen';
    s.frozenSinceMs = now;
    if (d > p.detectionSec.freeze * 1000) {
      s.phaseEndsAtMs = detectAt;
      s.thawAtMs = Infinity;
    } else {
      s.phaseEndsAtMs = Infinity;
      s.thawAtMs = now + d;
    }
    return;
  }
  s.phase = 'failed';
  s.phaseEndsAtMs = detectAt;
}

/** paced: checkpoints every `intervalMs` from now on (due at the last completed trigger + interval), no outage. */
export function setPacedInterval(s: FluidState, intervalMs: number, on?: FluidListener): void {
  checkInterval(intervalMs);
  if (s.actuator !== 'paced') throw badInput('setPacedInterval needs the paced actuator', 'use reconfigure (savepoint and relaunch) with the restart actuator');
  if (s.intervalMs !== intervalMs) on?.({ kind: 'interval-changed', atMs: s.tMs, fromMs: s.intervalMs, toMs: intervalMs });
  s.intervalMs = intervalMs;
}

/** A checkpoint as soon as the job runs with none in flight (the pacer's `requestCheckpoint`, or a REST trigger). */
export function requestCheckpoint(s: FluidState): void {
  s.checkpointRequested = true;
}

/**
 * Stop-with-savepoint: sources stop now, the savepoint completes after savepointDurationMs, then
 * the job is FINISHED (`stopped`), or relaunched at once with `relaunchIntervalMs` when given.
 * False (nothing changes) unless the job is running: Flink refuses a savepoint then.
 */
export function stopWithSavepoint(s: FluidState, relaunchIntervalMs?: number, on?: FluidListener): boolean {
  if (relaunchIntervalMs !== undefined) checkInterval(relaunchIntervalMs);
  if (s.phase !== 'running' || s.reconfiguration) return false;
  const bytes = stateBytes(s);
  const id = s.nextCheckpointId++;
  const savepoint: FluidCheckpoint = { id, triggeredAtMs: s.tMs, completedAtMs: NaN, position: s.consumed, stateBytes: bytes, savepoint: true };
  s.reconfiguration = { requestedAtMs: s.tMs, toIntervalMs: relaunchIntervalMs, savepoint };
  s.phase = 'savepointing';
  s.phaseEndsAtMs = s.tMs + savepointDurationMs(s.params, bytes);
  on?.({ kind: 'savepoint-triggered', atMs: s.tMs, id, position: s.consumed });
  return true;
}

/**
 * A stopped job (after a savepoint, or cancelled): a new job with `intervalMs` from savepoint
 * `from` (default: the one that stopped it), relaunched, then restored. False (nothing changes)
 * unless stopped with a savepoint to start from.
 */
export function relaunch(s: FluidState, intervalMs: number, on?: FluidListener, from = s.reconfiguration?.savepoint): boolean {
  checkInterval(intervalMs);
  if (s.phase !== 'stopped' || !from) return false;
  s.restorePoint = from;
  s.reconfiguration = { requestedAtMs: s.reconfiguration?.requestedAtMs ?? s.tMs, toIntervalMs: intervalMs, savepoint: from };
  startRelaunch(s, intervalMs, on);
  return true;
}

function failSavepoint(s: FluidState, why: string, on?: FluidListener): void {
  s.reconfiguration = undefined;
  s.counters.reconfigurationsFailed++;
  s.job.checkpointsFailed++;
  on?.({ kind: 'reconfiguration-failed', atMs: s.tMs, why });
}

/** A stop-with-savepoint given up (its caller timed out): the savepoint is aborted and the job runs on at its interval. False unless one is under way. */
export function abortSavepoint(s: FluidState, on?: FluidListener): boolean {
  if (s.phase !== 'savepointing') return false;
  failSavepoint(s, 'the savepoint was aborted', on);
  s.phase = 'running';
  s.phaseEndsAtMs = Infinity;
  return true;
}

/**
 * Cancels the job (CANCELED: nothing restarts it, an application-mode JobManager exits): it is
 * `stopped`, a checkpoint in flight is aborted and a savepoint under way fails. `relaunch` can
 * start a new job from an earlier savepoint. False when already stopped.
 */
export function cancel(s: FluidState, on?: FluidListener): boolean {
  if (s.phase === 'stopped') return false;
  if (s.phase === 'savepointing') failSavepoint(s, 'the job was cancelled', on);
  abortInFlight(s, 'the job was cancelled', on);
  s.reconfiguration = undefined;
  s.phase = 'stopped';
  s.phaseEndsAtMs = Infinity;
  s.thawAtMs = Infinity;
  on?.({ kind: 'canceled', atMs: s.tMs });
  return true;
}

/**
 * Whether enough free TaskManager slots exist for the job's tasks (true at creation). It only
 * gates deployments: a start, restart or relaunch that ends without slots leaves the job
 * `scheduled`, deployed once they are back (now, when this makes them so). Losing a TaskManager
 * that runs tasks is a failure: `injectFailure`.
 */
export function setSlotsAvailable(s: FluidState, available: boolean, on?: FluidListener): void {
  s.slotsAvailable = available;
  if (available && s.phase === 'scheduled') deploy(s, s.restoreOnDeploy, on);
}

/** The restart actuator: stop-with-savepoint, relaunch with `intervalMs`, restore. False (no change) unless running. */
export const reconfigure = (s: FluidState, intervalMs: number, on?: FluidListener): boolean => stopWithSavepoint(s, intervalMs, on);
