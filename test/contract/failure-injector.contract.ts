import { expect } from 'vitest';
import { taskManagerRunning } from '../../src/app/observe.js';
import { FAILURE_TYPE_REGISTRY, FAILURE_TYPES, failureSpec, failureTypeList, type FailureSpec } from '../../src/core/failure-types.js';
import { fullyRunning, khaosError, runningJob, until } from './until.js';
import { engineOf, platformSuite, startRunning, type PlatformSubject, type SkippedCases } from './orchestrator.contract.js';

const NAME = 'inj-a';
const INTERVAL_MS = 2000;
/** How long a task exception must not be followed by a second restart (platform time, ms). */
const NO_LOOP_MS = 10_000;

/** A freeze well below the platform's heartbeat timeout (the TaskManager is not declared lost), and how late it may resolve, ms. */
const FREEZE = { ms: 1500, slackMs: 2000 };

/**
 * One contract for every FailureInjector: the fake's under a ManualClock, ProcessFailureInjector
 * on real TaskManager JVMs. The tests share one replica; every wait is bounded by the subject's
 * deadline. `skipped` names the cases this subject cannot run, each with why.
 */
export function failureInjectorContract(name: string, make: () => Promise<PlatformSubject>, skipped: SkippedCases = {}) {
  platformSuite(`FailureInjector contract: ${name}`, make, [NAME], (subject, test) => {
    const engine = () => engineOf(subject(), NAME);
    const running = () => runningJob(subject(), engine());
    /** The TaskManager running the job's sink, with its pid from the handle. */
    const sinkTaskManager = async () => {
      const { taskManagerId } = await taskManagerRunning(engine());
      const tm = subject().orchestrator.replica(NAME).taskManagers.find((t) => t.id === taskManagerId);
      if (!tm) throw new Error(`the sink runs on ${taskManagerId}, which the handle does not list`);
      return { ...tm, pid: subject().pidOf(NAME, tm.id) };
    };

    test('throws KhaosError("bad-input") for a failure type the registry does not have, naming the types it has', async () => {
      await expect(subject().injectorFor(NAME).inject({ type: 'nuke', taskManagerId: 'no-such-taskmanager' } as unknown as FailureSpec)).rejects.toMatchObject({
        ...khaosError('bad-input'),
        message: 'unknown failure type "nuke"',
        hint: `use ${failureTypeList()}`,
      });
    });

    test('throws KhaosError("bad-input") for a TaskManager the replica does not have, and touches nothing', async () => {
      const s = subject();
      await startRunning(s, NAME, INTERVAL_MS);
      const injector = s.injectorFor(NAME);
      for (const type of FAILURE_TYPES.filter((t) => FAILURE_TYPE_REGISTRY[t].strikes === 'task-manager')) {
        const spec = failureSpec(type, { replica: NAME, taskManagerId: 'no-such-taskmanager', durationMs: FREEZE.ms });
        await expect(injector.inject(spec), type).rejects.toMatchObject(khaosError('bad-input'));
      }
      for (const t of s.orchestrator.replica(NAME).taskManagers) expect(s.processRunning(NAME, s.pidOf(NAME, t.id)), `TaskManager ${t.id} (pid ${s.pidOf(NAME, t.id)}) runs`).toBe(true);
      expect(await fullyRunning(engine())).toBeDefined();
    });

    test('throws KhaosError("bad-input") for a task exception into a replica the platform does not have', async () => {
      const s = subject();
      const { job, inputTopic, groupId } = s.request(NAME, INTERVAL_MS);
      await expect(s.injectorFor('no-such-replica').inject({ type: 'exception', target: { markerField: job.failureMarker!.field, inputTopic, groupId } })).rejects.toMatchObject(khaosError('bad-input'));
    });

    test('exception: the job fails over once on the marker and runs again; the replayed marker starts no restart loop', async () => {
      const s = subject();
      const job = await running();
      const restarts = async () => (await engine().jobMetrics(job.id, ['numRestarts'])).numRestarts;
      const before = await until(s, 'numRestarts reported', restarts);
      const pids = s.orchestrator.replica(NAME).taskManagers.map((t) => s.pidOf(NAME, t.id));
      const { job: kind, inputTopic, groupId } = s.request(NAME, INTERVAL_MS);
      const f = await s.injectorFor(NAME).inject({ type: 'exception', target: { markerField: kind.failureMarker!.field, inputTopic, groupId } });
      expect(f).toMatchObject({ type: 'exception', failAtAttempt: expect.any(Number), injectedAtMs: expect.any(Number) });
      expect(f.injectedAtMs).toBeLessThanOrEqual(s.now());
      // Flink records the wrapper (the Kafka source's IOException), not InjectedTaskFailure: counted by time.
      const since = async () => (await engine().exceptions(job.id)).filter((e) => e.timestampMs >= f.injectedAtMs - 1000);
      await until(s, 'the injected task failure in the job\'s exceptions', async () => ((await since()).length > 0 ? true : undefined));
      await until(s, 'numRestarts one up', async () => ((await restarts()) === before + 1 ? true : undefined));
      const back = await running();
      expect(back.id).toBe(job.id);
      await s.waitMs(NO_LOOP_MS);
      expect(await restarts(), 'no second restart').toBe(before + 1);
      expect(await fullyRunning(engine())).toBeDefined();
      expect(await since(), 'one failure since the injection').toHaveLength(1);
      for (const pid of pids) expect(s.processRunning(NAME, pid), `TaskManager pid ${pid} lives: a task exception kills no process`).toBe(true);
    });

    test('freeze: stops the TaskManager for the duration, resolves after the thaw, and the TaskManager lives on', async () => {
      const s = subject();
      await running();
      const tm = await sinkTaskManager();
      const before = s.now();
      const freezing = s.injectorFor(NAME).inject({ type: 'freeze', taskManagerId: tm.id, durationMs: FREEZE.ms });
      await s.waitMs(FREEZE.ms / 2);
      expect(s.processRunning(NAME, tm.pid), 'frozen halfway through').toBe(false);
      const f = await freezing;
      const after = s.now();
      expect(f).toMatchObject({ type: 'freeze', taskManagerId: tm.id, pid: tm.pid });
      expect(f.injectedAtMs).toBeGreaterThanOrEqual(before);
      expect(f.resumedAtMs! - f.injectedAtMs).toBeGreaterThanOrEqual(FREEZE.ms);
      expect(f.resumedAtMs!).toBeLessThanOrEqual(after);
      expect(after - before).toBeGreaterThanOrEqual(FREEZE.ms);
      expect(after - before).toBeLessThanOrEqual(FREEZE.ms + FREEZE.slackMs);
      expect(s.processRunning(NAME, tm.pid), 'thawed').toBe(true);
      expect(s.orchestrator.replica(NAME).taskManagers).toContainEqual({ id: tm.id });
      await running();
    });

    test('kill: the TaskManager is gone at once; the job fails over, and runs again once restartDeadTaskManagers brought it back', async () => {
      const s = subject();
      const job = await running();
      const tm = await sinkTaskManager();
      const before = s.now();
      const f = await s.injectorFor(NAME).inject({ type: 'kill', taskManagerId: tm.id });
      expect(f).toEqual({ type: 'kill', taskManagerId: tm.id, pid: tm.pid, injectedAtMs: expect.any(Number) });
      expect(f.injectedAtMs).toBeGreaterThanOrEqual(before);
      expect(f.injectedAtMs).toBeLessThanOrEqual(s.now());
      await until(s, `pid ${tm.pid} gone`, () => (s.processRunning(NAME, tm.pid) ? undefined : true));
      expect(s.orchestrator.replica(NAME).taskManagers.map((t) => t.id), 'live TaskManagers of the handle').not.toContain(tm.id);
      await expect(s.injectorFor(NAME).inject({ type: 'kill', taskManagerId: tm.id }), 'a dead TaskManager is no target').rejects.toMatchObject(khaosError('bad-input'));
      await until(s, 'the job RESTARTING after the kill', async () => (((await engine().job(job.id)).timestamps.RESTARTING ?? 0) >= f.injectedAtMs ? true : undefined));
      await until(s, `${tm.id} no longer registered with Flink`, async () => ((await engine().taskManagers()).some((t) => t.id === tm.id) ? undefined : true));
      const [started, ...more] = await s.orchestrator.restartDeadTaskManagers(NAME);
      expect(more).toEqual([]);
      expect(started).toBeDefined();
      expect(s.orchestrator.replica(NAME).taskManagers.map((t) => t.id)).toContain(started);
      const back = await running();
      expect(back.id).toBe(job.id);
      await until(s, `the new TaskManager ${started} registered`, async () => ((await engine().taskManagers()).some((t) => t.id === started) ? true : undefined));
    });
  }, skipped);
}
