import { describe, expect, it } from 'vitest';
import { builtInJob } from '../../src/core/jobs.js';
import { RestartActuator } from '../../src/app/control/restart-actuator.js';
import type { ReconfigStep } from '../../src/core/control/records.js';
import type { Orchestrator } from '../../src/ports/orchestrator.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';

class Crash extends Error {}

async function setup() {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { relaunchMs: 8000, savepointMs: 1000 });
  platform.setInputRate(1000);
  const handle = await platform.startReplica({ name: 'job', job: builtInJob('iot'), checkpointIntervalMs: 5000, parallelism: 2, inputTopic: 'in', outputTopic: 'out', auditTopic: 'a', groupId: 'g' });
  await clock.sleep(12_000); // a few checkpoints
  const flink = platform.flinkAt(handle.restUrl);
  const store = new MemoryControlStore();
  const actuator = (orchestrator: Orchestrator = platform, onStep?: (s: ReconfigStep) => void) =>
    new RestartActuator({ orchestrator, flink, store, clock, log: () => {}, runId: () => 'run', onStep, settleTimeoutMs: 60_000 }, 'job', 'fake/job');
  const state = async () => {
    const job = (await flink.listJobs()).find((j) => j.state === 'RUNNING');
    return job ? { state: 'RUNNING', intervalMs: (await flink.checkpointConfig(job.id)).intervalMs } : { state: 'DOWN' };
  };
  return { clock, platform, flink, store, actuator, state };
}

describe('restart actuator', { timeout: 30_000 }, () => {
  it('reconfigures through a savepoint, recording every step', async () => {
    const { store, actuator, state } = await setup();
    const steps: ReconfigStep[] = [];
    const out = await actuator(undefined, (s) => steps.push(s)).apply(2000);
    expect(out).toMatchObject({ ok: true, fromIntervalMs: 5000, toIntervalMs: 2000 });
    expect(out.outageMs).toBeGreaterThanOrEqual(9000); // savepoint 1 s + relaunch 8 s
    expect(steps).toEqual(['planned', 'stopping', 'stopped', 'relaunching', 'done']);
    expect(store.reconfigurations('fake/job')[0]).toMatchObject({ step: 'done', savepointPath: expect.stringMatching(/savepoint-/) });
    expect(await state()).toEqual({ state: 'RUNNING', intervalMs: 2000 });
  });

  it('keeps the job running and reports a failed savepoint', async () => {
    const { platform, store, actuator, state } = await setup();
    const refusing = Object.assign(Object.create(platform) as Orchestrator, { stopWithSavepoint: async () => Promise.reject(new Error('CheckpointException: declined')) });
    const out = await actuator(refusing).apply(2000);
    expect(out).toMatchObject({ ok: false, toIntervalMs: 5000, detail: expect.stringMatching(/keeps running at 5000 ms/) });
    expect(store.reconfigurations('fake/job')[0]!.step).toBe('failed');
    expect(await state()).toEqual({ state: 'RUNNING', intervalMs: 5000 });
  });

  it('retries a failed relaunch once from the same savepoint, then reports the job down', async () => {
    const { platform, store, actuator } = await setup();
    let tries = 0;
    const failing = Object.assign(Object.create(platform) as Orchestrator, {
      relaunch: async () => {
        tries++;
        throw new Error('JobManager exited');
      },
    });
    const out = await actuator(failing).apply(2000);
    expect(tries).toBe(2);
    expect(out).toMatchObject({ ok: false, detail: expect.stringMatching(/failed twice: the job is down/) });
    expect(store.reconfigurations('fake/job')[0]).toMatchObject({ step: 'failed', savepointPath: expect.any(String) });
  });

  // A controller killed right after persisting each step, and started again.
  const crashAt = async (step: ReconfigStep, inFlight: (p: FakeFlinkPlatform) => void = () => {}) => {
    const t = await setup();
    const dying = t.actuator(undefined, (s) => {
      if (s !== step) return;
      inFlight(t.platform); // what the dead controller had already asked for goes on without it
      throw new Crash(step);
    });
    await expect(dying.apply(2000)).rejects.toBeInstanceOf(Crash);
    const resumed = await t.actuator().resume();
    expect(await t.actuator().resume()).toBeUndefined(); // nothing left open
    return { ...t, resumed, record: t.store.reconfigurations('fake/job')[0]! };
  };

  it('resumed after a crash at "planned": rolled back, the job untouched', async () => {
    const { resumed, record, state } = await crashAt('planned');
    expect(resumed).toMatch(/rolled back/);
    expect(record.step).toBe('rolled-back');
    expect(await state()).toEqual({ state: 'RUNNING', intervalMs: 5000 });
  });

  it('resumed after a crash at "stopping" with the stop in flight: relaunched from the savepoint it made', async () => {
    const { resumed, record, state, platform } = await crashAt('stopping', (p) => void p.stopWithSavepoint('job'));
    expect(resumed).toMatch(/done \(relaunched from .*savepoint-/);
    expect(record).toMatchObject({ step: 'done', savepointPath: (await platform.savepoints('job'))[0]!.path });
    expect(await state()).toEqual({ state: 'RUNNING', intervalMs: 2000 });
  });

  it('resumed after a crash at "stopping" before the stop was sent: rolled back', async () => {
    const { resumed, record, state } = await crashAt('stopping');
    expect(resumed).toMatch(/rolled back \(the job kept running at 5000 ms\)/);
    expect(record.step).toBe('rolled-back');
    expect(await state()).toEqual({ state: 'RUNNING', intervalMs: 5000 });
  });

  it('resumed after a crash at "stopped": relaunched from the recorded savepoint', async () => {
    const { resumed, record, state } = await crashAt('stopped');
    expect(resumed).toMatch(/done \(relaunched/);
    expect(record.step).toBe('done');
    expect(await state()).toEqual({ state: 'RUNNING', intervalMs: 2000 });
  });

  it('resumed after a crash at "relaunching" with the relaunch under way: waits for it, no second launch', async () => {
    const { resumed, record, state, platform } = await crashAt('relaunching', (p) => void p.savepoints('job').then((sps) => p.relaunch('job', sps[0]!.path, 2000)));
    expect(resumed).toMatch(/the relaunched job runs at 2000 ms/);
    expect(record.step).toBe('done');
    expect(platform.calls.filter((c) => c.method === 'relaunch')).toHaveLength(1);
    expect(await state()).toEqual({ state: 'RUNNING', intervalMs: 2000 });
  });
});
