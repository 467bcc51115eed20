import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { taskManagerRunning } from '../../src/app/observe.js';
import type { FailureInjector } from '../../src/ports/failure-injector.js';
import type { FlinkEngine } from '../../src/ports/flink-engine.js';
import type { Orchestrator, ReplicaHandle, ReplicaRequest } from '../../src/ports/orchestrator.js';
import { fullyRunning, khaosError, runningJob, until, type PlatformTime } from './until.js';

/**
 * A platform to run the Orchestrator and FailureInjector contracts against: the fake under a
 * ManualClock, or the local stack of real JVMs. The contracts start and stop their own replicas.
 */
export interface PlatformSubject extends PlatformTime {
  orchestrator: Orchestrator;
  /** A request for a replica called `name` (the subject picks job, topics and parallelism). */
  request(name: string, checkpointIntervalMs: number): ReplicaRequest;
  /** The FlinkEngine answering at a replica's REST URL. */
  flinkAt(restUrl: string): FlinkEngine;
  /** The FailureInjector of a replica. */
  injectorFor(replica: string): FailureInjector;
  /** The platform's time, ms since the epoch: the clock the adapters stamp their answers with. */
  now(): number;
  /** The process (pid) of the replica's TaskManager `taskManagerId`, as the platform's failure injector finds it; 0 where there are no pids (Kubernetes). */
  pidOf(replica: string, taskManagerId: string): number;
  /** Whether process `pid` of the replica runs: it exists and is not stopped (frozen). */
  processRunning(replica: string, pid: number): boolean;
  /** Pids of every process of the replica that still exists (its JobManager's too, where it has one). */
  processesOf(replica: string): number[];
  cleanup?(): Promise<void>;
}

/** Where a savepoint lies, whether named as a path or as a file: URI. */
export const location = (p: string) => p.replace(/^file:\/*/, '/').replace(/\/+$/, '');

/**
 * Cases of a contract that a subject cannot run, by exact title, each with the reason: the case is
 * skipped with the reason in its title, so that the output says why.
 */
export type SkippedCases = Readonly<Record<string, string>>;

/** Declares one case of a contract (vitest's `it`, or `it.skip` for a case the subject skips). */
export type ContractCase = (title: string, fn: () => Promise<void>) => void;

/**
 * A suite `title` whose tests share one subject, made once: afterwards the replicas the suite
 * starts are stopped (they may be gone already) and the subject is cleaned up, even when a test
 * failed. `body` declares its cases with the `test` it is given, which skips those in `skipped`;
 * a title in `skipped` that names no case fails the suite.
 */
export function platformSuite(title: string, make: () => Promise<PlatformSubject>, replicas: string[], body: (subject: () => PlatformSubject, test: ContractCase) => void, skipped: SkippedCases = {}) {
  describe(title, () => {
    let s: PlatformSubject | undefined;
    beforeAll(async () => {
      s = await make();
    });
    afterAll(async () => {
      if (!s) return;
      for (const r of replicas) await s.orchestrator.stopReplica(r).catch(() => undefined);
      await s.cleanup?.();
    });
    const declared = new Set<string>();
    const test: ContractCase = (caseTitle, fn) => {
      declared.add(caseTitle);
      const reason = skipped[caseTitle];
      if (reason === undefined) it(caseTitle, fn);
      else it.skip(`${caseTitle} [skipped here: ${reason}]`, fn);
    };
    body(() => {
      if (!s) throw new Error('the subject was not made');
      return s;
    }, test);
    const unknown = Object.keys(skipped).filter((t) => !declared.has(t));
    if (unknown.length > 0) throw new Error(`${title}: no case titled ${unknown.map((t) => `"${t}"`).join(', ')} to skip (the titles must match exactly)`);
  });
}

/** The FlinkEngine of the replica as it is now. */
export const engineOf = (s: PlatformSubject, replica: string) => s.flinkAt(s.orchestrator.replica(replica).restUrl);

/** Starts `name` and returns its handle once its job runs with every task deployed. */
export async function startRunning(s: PlatformSubject, name: string, intervalMs: number): Promise<ReplicaHandle> {
  const handle = await s.orchestrator.startReplica(s.request(name, intervalMs));
  await runningJob(s, s.flinkAt(handle.restUrl));
  return handle;
}

/** The replica the Orchestrator contract starts (in its first case) and stops (in its last). */
export const ORCHESTRATOR_CONTRACT_REPLICA = 'orch-a';
const NAME = ORCHESTRATOR_CONTRACT_REPLICA;
const FIRST_MS = 1500;
const RELAUNCH_MS = 3000;
const RECONFIGURE_MS = 2000;

/**
 * One contract for every Orchestrator: FakeFlinkPlatform passes it under a ManualClock, LocalStack
 * with real JVMs. The tests run in order on one replica (starting one takes the real stack a
 * minute), from its start to its stop. Every wait is bounded by the subject's deadline. `skipped`
 * names the cases this subject cannot run, each with why.
 */
export function orchestratorContract(name: string, make: () => Promise<PlatformSubject>, skipped: SkippedCases = {}) {
  platformSuite(`Orchestrator contract: ${name}`, make, [NAME], (subject, test) => {
    let first: ReplicaHandle | undefined;
    const engine = () => engineOf(subject(), NAME);
    /** The running job, once it has completed a checkpoint (a stop-with-savepoint needs every task initialised). */
    const settled = async () => {
      const s = subject();
      const job = await runningJob(s, engine());
      await until(s, 'a completed checkpoint', async () => (await engine().checkpoints(job.id)).latestCompleted);
      return job;
    };

    test('starts a replica: a handle with its REST URL, the requested interval and live TaskManagers that run its RUNNING job', async () => {
      const s = subject();
      const request = s.request(NAME, FIRST_MS);
      const h = (first = await s.orchestrator.startReplica(request));
      expect(h).toMatchObject({ name: NAME, checkpointIntervalMs: FIRST_MS, restUrl: expect.stringMatching(/^https?:\/\/[^/]+:\d+$/) });
      expect(h.taskManagers.length).toBeGreaterThanOrEqual(request.parallelism);
      expect(new Set(h.taskManagers.map((t) => t.id)).size).toBe(h.taskManagers.length);
      const pids = h.taskManagers.map((t) => s.pidOf(NAME, t.id));
      expect(new Set(pids).size).toBe(h.taskManagers.length);
      for (const [i, t] of h.taskManagers.entries()) expect(s.processRunning(NAME, pids[i]!), `TaskManager ${t.id} (pid ${pids[i]}) runs`).toBe(true);
      expect(s.orchestrator.replica(NAME)).toEqual(h);
      expect(await s.orchestrator.jobManagerAlive(NAME)).toBe(true);
      expect(await s.orchestrator.savepoints(NAME)).toEqual([]);
      const flink = s.flinkAt(h.restUrl);
      const job = await runningJob(s, flink);
      expect((await flink.checkpointConfig(job.id)).intervalMs).toBe(FIRST_MS);
      // The handle names TaskManagers by Flink's resource ids: the job's tasks run on them, and each registers.
      const ids = new Set(h.taskManagers.map((t) => t.id));
      for (const v of job.vertices) for (const t of await flink.subtasks(job.id, v.id)) expect(ids.has(t.taskManagerId), `${v.name} ${t.subtask} on ${t.taskManagerId}`).toBe(true);
      await until(s, 'every TaskManager of the handle registered', async () => {
        const registered = new Set((await flink.taskManagers()).map((t) => t.id));
        return [...ids].every((id) => registered.has(id)) ? true : undefined;
      });
    });

    test('throws KhaosError("bad-input") for a replica it does not know, from every method', async () => {
      const o = subject().orchestrator;
      const unknown = 'no-such-replica';
      expect(() => o.replica(unknown)).toThrow(expect.objectContaining(khaosError('bad-input')));
      await expect(o.jobManagerAlive(unknown)).rejects.toMatchObject(khaosError('bad-input'));
      await expect(o.savepoints(unknown)).rejects.toMatchObject(khaosError('bad-input'));
      await expect(o.restartDeadTaskManagers(unknown)).rejects.toMatchObject(khaosError('bad-input'));
      await expect(o.stopWithSavepoint(unknown)).rejects.toMatchObject(khaosError('bad-input'));
      await expect(o.relaunch(unknown, 'file:/nowhere/savepoint-0', 1000)).rejects.toMatchObject(khaosError('bad-input'));
      await expect(o.reconfigure(unknown, 1000)).rejects.toMatchObject(khaosError('bad-input'));
      await expect(o.stopReplica(unknown)).rejects.toMatchObject(khaosError('bad-input'));
    });

    test('refuses a second replica with the same name and leaves the first one as it was', async () => {
      const s = subject();
      const before = s.processesOf(NAME);
      await expect(s.orchestrator.startReplica(s.request(NAME, RELAUNCH_MS))).rejects.toMatchObject(khaosError('bad-input'));
      expect(s.orchestrator.replica(NAME)).toEqual(first);
      expect(s.processesOf(NAME).sort()).toEqual(before.sort());
      expect(await fullyRunning(engine())).toBeDefined();
    });

    test('restartDeadTaskManagers: none while all live; after a kill, a new TaskManager in place of the dead one, and the job runs again', async () => {
      const s = subject();
      const o = s.orchestrator;
      await runningJob(s, engine());
      expect(await o.restartDeadTaskManagers(NAME)).toEqual([]);
      const before = o.replica(NAME).taskManagers;
      const { taskManagerId } = await taskManagerRunning(engine());
      const killed = await s.injectorFor(NAME).inject({ type: 'kill', taskManagerId: taskManagerId });
      await until(s, `TaskManager ${taskManagerId} (pid ${killed.pid}) gone`, () => (s.processRunning(NAME, killed.pid) ? undefined : true));
      const started = await o.restartDeadTaskManagers(NAME);
      expect(started).toHaveLength(1);
      expect(before.map((t) => t.id)).not.toContain(started[0]);
      const after = o.replica(NAME).taskManagers;
      expect(after.map((t) => t.id).sort()).toEqual([...before.filter((t) => t.id !== taskManagerId).map((t) => t.id), started[0]].sort());
      expect(after.length).toBe(before.length);
      for (const t of after) expect(s.processRunning(NAME, s.pidOf(NAME, t.id)), `TaskManager ${t.id} (pid ${s.pidOf(NAME, t.id)}) runs`).toBe(true);
      expect(await o.restartDeadTaskManagers(NAME)).toEqual([]);
      await runningJob(s, engine());
      await until(s, `the new TaskManager ${started[0]} registered`, async () => ((await engine().taskManagers()).some((t) => t.id === started[0]) ? true : undefined));
    });

    test('stopWithSavepoint, then relaunch from the listed savepoint with a new interval: RUNNING again at the same REST URL, restored from it', async () => {
      const s = subject();
      const o = s.orchestrator;
      const { restUrl } = o.replica(NAME);
      await settled();
      const earlier = await o.savepoints(NAME);
      const before = s.now();
      const stop = await o.stopWithSavepoint(NAME);
      expect(stop.savepointPath).toMatch(/savepoint-/);
      expect(stop.stoppedAtMs).toBeGreaterThanOrEqual(before);
      expect(stop.stoppedAtMs).toBeLessThanOrEqual(s.now());
      // The application-mode JobManager exits once its job has stopped.
      await until(s, 'the JobManager gone after the stop', async () => ((await o.jobManagerAlive(NAME)) ? undefined : true));
      expect(await engine().isReachable()).toBe(false);
      await expect(o.stopWithSavepoint(NAME), 'a second stop, with no job running').rejects.toMatchObject(khaosError('platform'));
      const listed = await o.savepoints(NAME);
      expect(listed).toHaveLength(earlier.length + 1);
      expect(location(listed[0]!.path)).toBe(location(stop.savepointPath));
      expect(listed[0]!.completedAtMs).toBeGreaterThanOrEqual(before - 1000);
      expect(listed[0]!.completedAtMs).toBeLessThanOrEqual(stop.stoppedAtMs + 1000);

      const { runningAtMs } = await o.relaunch(NAME, listed[0]!.path, RELAUNCH_MS);
      expect(runningAtMs).toBeGreaterThanOrEqual(stop.stoppedAtMs);
      expect(runningAtMs).toBeLessThanOrEqual(s.now());
      expect(o.replica(NAME)).toMatchObject({ restUrl, checkpointIntervalMs: RELAUNCH_MS });
      expect(await o.jobManagerAlive(NAME)).toBe(true);
      // relaunch resolves once every task runs.
      const job = await fullyRunning(engine());
      expect(job, 'the relaunched job RUNNING with every vertex RUNNING').toBeDefined();
      await until(s, `the checkpoint interval ${RELAUNCH_MS} ms`, async () => ((await engine().checkpointConfig(job!.id)).intervalMs === RELAUNCH_MS ? true : undefined));
      const stats = await engine().checkpoints(job!.id);
      expect(stats.latestRestored).toMatchObject({ isSavepoint: true });
      expect(stats.counts.restored).toBeGreaterThanOrEqual(1);
    });

    test('reconfigure: savepoint and relaunch in one call, with ordered timings; savepoints are listed newest first', async () => {
      const s = subject();
      const o = s.orchestrator;
      await settled();
      const before = s.now();
      const r = await o.reconfigure(NAME, RECONFIGURE_MS);
      const after = s.now();
      expect(r.savepointPath).toMatch(/savepoint-/);
      expect(before).toBeLessThanOrEqual(r.requestedAtMs);
      expect(r.requestedAtMs).toBeLessThanOrEqual(r.stoppedAtMs);
      expect(r.stoppedAtMs).toBeLessThanOrEqual(r.runningAtMs);
      expect(r.runningAtMs).toBeLessThanOrEqual(after);
      const listed = await o.savepoints(NAME);
      expect(listed.length).toBeGreaterThanOrEqual(2);
      expect(location(listed[0]!.path)).toBe(location(r.savepointPath));
      for (let i = 1; i < listed.length; i++) expect(listed[i - 1]!.completedAtMs).toBeGreaterThanOrEqual(listed[i]!.completedAtMs);
      expect(o.replica(NAME).checkpointIntervalMs).toBe(RECONFIGURE_MS);
      const job = await fullyRunning(engine());
      expect(job, 'the reconfigured job RUNNING with every vertex RUNNING').toBeDefined();
      await until(s, `the checkpoint interval ${RECONFIGURE_MS} ms`, async () => ((await engine().checkpointConfig(job!.id)).intervalMs === RECONFIGURE_MS ? true : undefined));
      expect((await engine().checkpoints(job!.id)).latestRestored).toMatchObject({ isSavepoint: true });
    });

    test('stopReplica: the replica is unknown afterwards and none of its processes is left', async () => {
      const s = subject();
      const o = s.orchestrator;
      const h = o.replica(NAME);
      const flink = s.flinkAt(h.restUrl);
      const pids = s.processesOf(NAME);
      const tmPids = h.taskManagers.map((t) => s.pidOf(NAME, t.id));
      for (const pid of tmPids) expect(pids).toContain(pid);
      await o.stopReplica(NAME);
      expect(() => o.replica(NAME)).toThrow(expect.objectContaining(khaosError('bad-input')));
      await expect(o.jobManagerAlive(NAME)).rejects.toMatchObject(khaosError('bad-input'));
      expect(s.processesOf(NAME)).toEqual([]);
      for (const [i, t] of h.taskManagers.entries()) expect(s.processRunning(NAME, tmPids[i]!), `TaskManager ${t.id} (pid ${tmPids[i]}) gone`).toBe(false);
      expect(await flink.isReachable()).toBe(false);
    });
  }, skipped);
}
