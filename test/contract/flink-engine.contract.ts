import { describe, expect, it } from 'vitest';
import type { FlinkEngine, JobDetails } from '../../src/ports/flink-engine.js';
import { fullyRunning, until, type PlatformTime } from './until.js';

/** A freshly deployed job replica to run the contract against (one per test). */
export interface FlinkEngineSubject extends PlatformTime {
  engine: FlinkEngine;
  /** The checkpoint interval the job was deployed with, ms. */
  checkpointIntervalMs: number;
  /** Where stopWithSavepoint may write: for a real cluster, a file:// URI its JobManager can write to. */
  savepointDirectory: string;
  /** Kills the TaskManager running the job's sink (SIGKILL, as the app's injector does). */
  kill(): Promise<void>;
  cleanup(): Promise<void>;
}

const vertex = (job: JobDetails, fragment: string) => {
  const v = job.vertices.find((x) => x.name.includes(fragment));
  if (!v) throw new Error(`job ${job.id} has no vertex named like "${fragment}": ${job.vertices.map((x) => x.name).join(' | ')}`);
  return v;
};

/**
 * One contract for every FlinkEngine: the fake passes it under a ManualClock, RestFlinkEngine
 * against a replica of the local stack. Every wait is bounded by the subject's deadline.
 */
export function flinkEngineContract(name: string, make: () => Promise<FlinkEngineSubject>) {
  const withSubject = (body: (s: FlinkEngineSubject) => Promise<void>) => async () => {
    const s = await make();
    try {
      await body(s);
    } finally {
      await s.cleanup();
    }
  };

  describe(`FlinkEngine contract: ${name}`, () => {
    it(
      'lists a RUNNING job whose details have a source and a sink vertex, placed on known TaskManagers',
      withSubject(async (s) => {
        const job = await until(s, 'job RUNNING with every vertex RUNNING', () => fullyRunning(s.engine));
        expect(await s.engine.isReachable()).toBe(true);
        expect(job.timestamps.RUNNING).toBeGreaterThan(0);
        expect(job.startTimeMs).toBeLessThanOrEqual(job.timestamps.RUNNING!);
        vertex(job, 'kafka-source');
        const sink = vertex(job, 'kafka-sink');
        const subtasks = await s.engine.subtasks(job.id, sink.id);
        expect(subtasks.map((t) => t.subtask).sort((a, b) => a - b)).toEqual(Array.from({ length: sink.parallelism }, (_, i) => i));
        const registered = new Set((await s.engine.taskManagers()).map((t) => t.id));
        for (const t of subtasks) expect(registered.has(t.taskManagerId), `sink subtask ${t.subtask} on unknown TaskManager ${t.taskManagerId}`).toBe(true);
      }),
    );

    it(
      'completes checkpoints over time with increasing ids and reports the configured interval',
      withSubject(async (s) => {
        const job = await until(s, 'job RUNNING with every vertex RUNNING', () => fullyRunning(s.engine));
        expect((await s.engine.checkpointConfig(job.id)).intervalMs).toBe(s.checkpointIntervalMs);
        const first = await until(s, 'a first completed checkpoint', async () => (await s.engine.checkpoints(job.id)).latestCompleted);
        const later = await until(s, `a checkpoint after #${first.id}`, async () => {
          const stats = await s.engine.checkpoints(job.id);
          return stats.latestCompleted && stats.latestCompleted.id > first.id ? stats : undefined;
        });
        const second = later.latestCompleted!;
        expect(second.isSavepoint).toBe(false);
        expect(second.triggerTimestampMs).toBeGreaterThanOrEqual(first.triggerTimestampMs + s.checkpointIntervalMs / 2);
        expect(second.latestAckTimestampMs).toBeGreaterThanOrEqual(second.triggerTimestampMs);
        expect(second.stateSizeBytes).toBeGreaterThan(0);
        expect(later.counts.completed).toBeGreaterThanOrEqual(2);
        expect(later.counts.total).toBeGreaterThanOrEqual(later.counts.completed + later.counts.failed);
        // Flink's metric store refreshes on its own schedule: -1 ("none yet") until it has seen a checkpoint.
        const metrics = await until(s, 'lastCheckpointDuration reported', async () => {
          const m = await s.engine.jobMetrics(job.id, ['lastCheckpointDuration', 'no.such.metric']);
          return (m.lastCheckpointDuration ?? -1) >= 0 ? m : undefined;
        });
        expect(metrics).not.toHaveProperty('no.such.metric');
      }),
    );

    it(
      'after a TaskManager kill leaves RUNNING and comes back, with a restart, an exception and a restored checkpoint',
      withSubject(async (s) => {
        const job = await until(s, 'job RUNNING with every vertex RUNNING', () => fullyRunning(s.engine));
        await until(s, 'a completed checkpoint before the kill', async () => (await s.engine.checkpoints(job.id)).latestCompleted);
        const killedAtMs = (await s.engine.job(job.id)).timestamps.RUNNING ?? 0;
        await s.kill();
        await until(s, 'the job leaving RUNNING after the kill', async () => ((await fullyRunning(s.engine).catch(() => undefined)) ? undefined : true));
        const back = await until(s, 'the job RUNNING again after the kill', () => fullyRunning(s.engine));
        expect(back.id).toBe(job.id);
        // The restart as the execution graph records it (the metric store's numRestarts can lag far behind on a loaded machine).
        const restartedAt = await until(s, 'a RESTARTING timestamp after the kill', async () => {
          const t = (await s.engine.job(job.id)).timestamps.RESTARTING;
          return t !== undefined && t >= killedAtMs ? t : undefined;
        });
        expect(restartedAt).toBeGreaterThanOrEqual(killedAtMs);
        const exceptions = await s.engine.exceptions(job.id);
        expect(exceptions.length).toBeGreaterThan(0);
        expect(exceptions[0]!.exceptionName.length).toBeGreaterThan(0);
        const stats = await s.engine.checkpoints(job.id);
        expect(stats.latestRestored).toBeDefined();
        expect(stats.latestRestored!.isSavepoint).toBe(false);
        expect(stats.counts.restored).toBeGreaterThanOrEqual(1);
      }),
    );

    it(
      'reports the source backlog as a metric ending in .pendingRecords, and leaves unknown metrics out',
      withSubject(async (s) => {
        const job = await until(s, 'job RUNNING with every vertex RUNNING', () => fullyRunning(s.engine));
        const source = vertex(job, 'kafka-source');
        const lag = await until(s, 'a source metric ending in .pendingRecords', async () =>
          (await s.engine.vertexMetricNames(job.id, source.id)).find((n) => n.endsWith('.pendingRecords')),
        );
        const value = await until(s, `a value of ${lag}`, async () => (await s.engine.vertexMetrics(job.id, source.id, [lag]))[lag]);
        expect(value.sum).toBeGreaterThanOrEqual(0);
        expect(await s.engine.vertexMetrics(job.id, source.id, ['no.such.metric'])).toEqual({});
      }),
    );

    it(
      'stops the job with a savepoint: returns its path, and the job no longer runs',
      withSubject(async (s) => {
        const job = await until(s, 'job RUNNING with every vertex RUNNING', () => fullyRunning(s.engine));
        await until(s, 'a completed checkpoint (every task initialised)', async () => (await s.engine.checkpoints(job.id)).latestCompleted);
        const path = await s.engine.stopWithSavepoint(job.id, s.savepointDirectory, 120_000);
        expect(path).toMatch(/savepoint-/);
        // In application mode the JobManager exits after the job ends: no answer also means "not RUNNING".
        await until(s, 'the job no longer RUNNING after stop-with-savepoint', async () => {
          const jobs = await s.engine.listJobs().catch(() => []);
          return jobs.some((j) => j.id === job.id && j.state === 'RUNNING') ? undefined : true;
        });
      }),
    );

    it(
      'triggers one checkpoint on demand: it completes as an ordinary checkpoint, and the interval and job are unchanged',
      withSubject(async (s) => {
        const job = await until(s, 'job RUNNING with every vertex RUNNING', () => fullyRunning(s.engine));
        await until(s, 'a completed checkpoint (every task initialised)', async () => (await s.engine.checkpoints(job.id)).latestCompleted);
        const before = (await s.engine.checkpoints(job.id)).latestCompleted!.id;
        const trigger = await s.engine.triggerCheckpoint(job.id);
        expect(trigger).toMatch(/^[0-9a-f-]+$/);
        const done = await until(s, 'the triggered checkpoint completed', async () => {
          const st = await s.engine.checkpointTriggerStatus(job.id, trigger);
          if (st.state === 'FAILED') throw new Error(`triggered checkpoint failed: ${st.cause}`);
          return st.state === 'COMPLETED' ? st : undefined;
        });
        expect(done.checkpointId).toBeGreaterThan(before);
        const stats = await until(s, 'the triggered checkpoint among the completed ones', async () => {
          const c = await s.engine.checkpoints(job.id);
          return c.latestCompleted && c.latestCompleted.id >= done.checkpointId ? c : undefined;
        });
        expect(stats.latestCompleted!.isSavepoint).toBe(false);
        expect((await s.engine.checkpointConfig(job.id)).intervalMs).toBe(s.checkpointIntervalMs);
        expect((await s.engine.jobMetrics(job.id, ['numRestarts'])).numRestarts ?? 0).toBe(0);
        expect((await s.engine.listJobs()).find((j) => j.id === job.id)?.state).toBe('RUNNING');
        await expect(s.engine.checkpointTriggerStatus(job.id, '00000000000000000000000000000000')).rejects.toMatchObject({ name: 'KhaosError', kind: 'platform' });
      }),
    );

    it(
      'answers KhaosError("platform") for a job it does not know',
      withSubject(async (s) => {
        await until(s, 'job RUNNING with every vertex RUNNING', () => fullyRunning(s.engine));
        const unknown = '00000000000000000000000000000000';
        await expect(s.engine.job(unknown)).rejects.toMatchObject({ name: 'KhaosError', kind: 'platform' });
        await expect(s.engine.checkpoints(unknown)).rejects.toMatchObject({ name: 'KhaosError', kind: 'platform' });
      }),
    );
  });
}
