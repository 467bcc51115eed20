import type { JobState } from '../job-state.js';
import type { FluidPhase } from './fluid-state.js';

/** A task's (execution's) state as Flink's REST API reports it per vertex and subtask. */
export type TaskStatus = 'CREATED' | 'SCHEDULED' | 'DEPLOYING' | 'INITIALIZING' | 'RUNNING' | 'FINISHED' | 'CANCELING' | 'CANCELED' | 'FAILED';

/**
 * How Flink shows each phase of the fluid job: the job's state and every task's. `ended`: the job
 * is FINISHED (savepoint) or CANCELED, and in application mode its JobManager is gone, so nothing
 * answers; a relaunch has no JobManager until the new job is submitted.
 *
 * Checked against Flink's sources (apache/flink, flink-runtime, DefaultScheduler and SchedulerBase)
 * and the answers recorded from Flink 2.2.1 in test/fixtures/flink-2.2.1 (scripts/record-flink-fixtures.ts):
 * - A new job is INITIALIZING only while its JobMaster is created, then CREATED and RUNNING at
 *   once: `startSchedulingInternal` calls `transitionToRunning()` before it schedules a task. The
 *   tasks then go CREATED → SCHEDULED (slots requested) → DEPLOYING → INITIALIZING (operators open,
 *   state restored) → RUNNING under a RUNNING job. Recorded (job.json, vertex-sink.json): job
 *   INITIALIZING +0 ms, CREATED +153 ms, RUNNING +257 ms; the sink's subtasks SCHEDULED 9.1 s,
 *   DEPLOYING 0.9 s, INITIALIZING 2.2 s. `starting` (tasks on their way) shows DEPLOYING.
 * - A failover (`restartTasksWithDelay`): `addVerticesToRestartPending` turns the job RUNNING →
 *   RESTARTING and `cancelTasksAsync` cancels every task to restart (CANCELING, then CANCELED
 *   within milliseconds); after the restart delay `restartTasks` turns the job RUNNING again and
 *   redeploys new executions, which restore the checkpoint while INITIALIZING. `restarting` (the
 *   delay) shows RESTARTING with CANCELED tasks; `restoring` RUNNING with INITIALIZING tasks.
 * - Tasks waiting for slots stay SCHEDULED under a RUNNING job (`scheduled`).
 * - A failure not yet detected (`failed`, `frozen`), or a stop-with-savepoint under way
 *   (`savepointing`), changes nothing Flink shows: RUNNING, tasks RUNNING.
 */
export const FLINK_STATES: Readonly<Record<FluidPhase, { job: JobState | 'ended'; tasks: TaskStatus | 'ended' }>> = {
  starting: { job: 'RUNNING', tasks: 'DEPLOYING' },
  running: { job: 'RUNNING', tasks: 'RUNNING' },
  failed: { job: 'RUNNING', tasks: 'RUNNING' },
  frozen: { job: 'RUNNING', tasks: 'RUNNING' },
  savepointing: { job: 'RUNNING', tasks: 'RUNNING' },
  scheduled: { job: 'RUNNING', tasks: 'SCHEDULED' },
  restoring: { job: 'RUNNING', tasks: 'INITIALIZING' },
  restarting: { job: 'RESTARTING', tasks: 'CANCELED' },
  stopped: { job: 'ended', tasks: 'ended' },
  relaunching: { job: 'ended', tasks: 'ended' },
};

/**
 * What the controller's sampler (app/observe.ts) reports in each phase: RUNNING only once every
 * task runs (a RUNNING job with tasks still deploying or restoring reads INITIALIZING), and
 * UNREACHABLE when no JobManager answers.
 */
export function reportedState(phase: FluidPhase): JobState | 'UNREACHABLE' {
  const { job, tasks } = FLINK_STATES[phase];
  if (job === 'ended') return 'UNREACHABLE';
  return job === 'RUNNING' && tasks !== 'RUNNING' ? 'INITIALIZING' : job;
}
