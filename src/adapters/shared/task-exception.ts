import { KhaosError } from '../../core/errors.js';
import { failMarker } from '../../core/load/events.js';
import type { Clock } from '../../ports/clock.js';
import type { InjectedFailure, TaskExceptionTarget } from '../../ports/failure-injector.js';
import type { FlinkEngine } from '../../ports/flink-engine.js';
import type { MessageBus } from '../../ports/message-bus.js';

/** The job vertex whose chain holds the operator that throws on the marker (jobs' ParseEvents, uid and name "parse"). */
const PARSE_OPERATOR = /(^|-> )parse( ->|$)/;

/**
 * A task exception through the job's own input (the FailureInjector's `exception` type on any
 * platform whose job is reachable over Flink REST and whose input is a MessageBus topic): reads
 * the execution attempt of the parse subtasks, then writes a marker failing at that attempt to
 * every partition of the input, so whichever subtask reads a partition throws. After the
 * failover every subtask runs a higher attempt and the replayed markers are ignored. Throws
 * KhaosError('platform') when the job is not running with every parse subtask RUNNING.
 */
export async function injectTaskException(flink: FlinkEngine, bus: MessageBus, clock: Clock, target: TaskExceptionTarget): Promise<InjectedFailure> {
  const job = (await flink.listJobs()).find((j) => j.state === 'RUNNING');
  if (!job) throw new KhaosError('platform', 'no RUNNING job to inject a task exception into', 'wait until the job runs (it may be recovering), then try again');
  const vertex = (await flink.job(job.id)).vertices.find((v) => PARSE_OPERATOR.test(v.name));
  if (!vertex) throw new KhaosError('platform', `job ${job.name} has no "parse" operator to throw on the marker`, 'task exceptions need a job whose "parse" operator throws on the marker (the sample jobs of jobs/, or an own job declaring job.failureMarker)');
  const subtasks = await flink.subtasks(job.id, vertex.id);
  const notRunning = subtasks.filter((t) => t.status !== 'RUNNING');
  if (subtasks.length === 0 || notRunning.length > 0) {
    throw new KhaosError('platform', `the parse subtasks of job ${job.id} are not all RUNNING (${notRunning.map((t) => `${t.subtask}: ${t.status}`).join(', ')})`, 'wait until every task runs, then try again');
  }
  // One pipelined region: every subtask has the same attempt. Should they differ, the highest
  // fails and the others ignore the marker; no subtask can reach it again after a restart.
  const failAtAttempt = Math.max(...subtasks.map((t) => t.attempt));
  const partitions = await bus.partitions(target.inputTopic);
  const injectedAtMs = clock.now();
  await bus.produce(target.inputTopic, Array.from({ length: partitions }, (_, partition) => ({ ...failMarker(target.markerField, failAtAttempt, target.groupId), partition })));
  const first = subtasks.find((t) => t.subtask === 0) ?? subtasks[0]!;
  return { type: 'exception', taskManagerId: first.taskManagerId, pid: 0, injectedAtMs, failAtAttempt };
}
