import { describe, expect, it } from 'vitest';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { SystemClock } from '../../src/adapters/system/clock.js';
import { DeploymentUpgradeActuator } from '../../src/app/control/deployment-actuator.js';
import type { ReconfigStep } from '../../src/core/control/records.js';
import { FakeManagedDeployment, upgradingOperator } from '../fakes/fake-managed-deployment.js';

function setup(upgradeMode: 'savepoint' | 'last-state' = 'savepoint') {
  const d = new FakeManagedDeployment(60_000, upgradeMode);
  const store = new MemoryControlStore();
  const steps: ReconfigStep[] = [];
  const actuator = (onStep?: (s: ReconfigStep) => void) =>
    new DeploymentUpgradeActuator({ deployment: d, store, clock: new SystemClock(), log: () => {}, runId: () => 'run', onStep: onStep ?? ((s) => steps.push(s)), observeTimeoutMs: 100, upgradeTimeoutMs: 1000 }, 60_000);
  return { d, store, steps, actuator, records: () => store.reconfigurations('k8s/ns/job') };
}

describe('the restart actuator on an operator-managed deployment', () => {
  it('savepoint upgrade: patch, follow the status to RUNNING with the new interval, every step recorded before it is taken', async () => {
    const { d, steps, actuator, records } = setup();
    d.operator = upgradingOperator(() => 'file:///sp/savepoint-1');
    const a = actuator();
    const out = await a.apply(5000);
    expect(out).toMatchObject({ ok: true, fromIntervalMs: 60_000, toIntervalMs: 5000 });
    expect(steps).toEqual(['planned', 'stopping', 'stopped', 'relaunching', 'done']);
    expect(records()[0]).toMatchObject({ step: 'done', savepointPath: 'file:///sp/savepoint-1' });
    expect([a.intervalMs(), a.specIntervalMs()]).toEqual([5000, 5000]);
  });

  it('last-state upgrade: the operator’s marker stands for the snapshot', async () => {
    const { d, actuator, records } = setup('last-state');
    d.operator = upgradingOperator(() => 'KUBERNETES_OPERATOR_LAST_STATE');
    expect((await actuator().apply(5000)).ok).toBe(true);
    expect(records()[0]).toMatchObject({ step: 'done', savepointPath: 'KUBERNETES_OPERATOR_LAST_STATE' });
  });

  it('no operator: the status never moves, so the interval is put back within the deadline and the change reported failed (rolled back)', async () => {
    const { d, actuator, records } = setup();
    const a = actuator();
    const out = await a.apply(5000);
    expect(out).toMatchObject({ ok: false, toIntervalMs: 60_000, detail: expect.stringMatching(/^the operator did not observe the patch within 0\.1 s \(is it running\?\): the interval was put back to 60000 ms/) });
    expect(d.patches).toEqual([5000, 60_000]);
    expect(records()[0]!.step).toBe('rolled-back');
    expect([a.intervalMs(), a.specIntervalMs()]).toEqual([60_000, 60_000]);
  });

  it('the operator rolls back: failed, with its error; the spec keeps what Khaos wrote (so Khaos does not take it for a change by hand)', async () => {
    const { d, actuator, records } = setup();
    d.operator = upgradingOperator(() => 'file:///sp/savepoint-2', 'rolled-back');
    const a = actuator();
    const out = await a.apply(5000);
    expect(out.ok).toBe(false);
    expect(out.detail).toMatch(/rolled ns\/job back .*ROLLED_BACK.*not ready within the configured timeout/);
    expect(records()[0]!.step).toBe('failed');
    expect([a.intervalMs(), a.specIntervalMs()]).toEqual([60_000, 5000]);
  });

  it('resumes a change a killed controller left at each step, from the step and the status', async () => {
    for (const [step, expected] of [['planned', 'rolled back'], ['stopping', 'rolled back'], ['stopped', 'done'], ['relaunching', 'done']] as const) {
      const { d, store, records } = setup();
      d.operator = upgradingOperator(() => 'file:///sp/savepoint-3');
      // A controller killed right after persisting `step`: from then on it neither writes nor acts.
      let dead = false;
      const pass = (t: object, k: string | symbol) => {
        const v = Reflect.get(t, k) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
      };
      const deadStore = new Proxy(store, { get: (t, k) => (k === 'saveReconfiguration' ? (r: never) => (dead ? undefined : t.saveReconfiguration(r)) : pass(t, k)) });
      const deadDeployment = new Proxy(d, { get: (t, k) => (k === 'setInterval' ? (ms: number) => (dead ? Promise.reject(new Error('killed')) : t.setInterval(ms)) : pass(t, k)) });
      const dying = new DeploymentUpgradeActuator({ deployment: deadDeployment, store: deadStore, clock: new SystemClock(), log: () => {}, runId: () => 'run', onStep: (s) => (dead ||= s === step), observeTimeoutMs: 100, upgradeTimeoutMs: 1000 }, 60_000);
      await dying.apply(5000);
      expect(records()[0]!.step, step).toBe(step);
      await new Promise((r) => setTimeout(r, 20)); // the operator goes on meanwhile
      const again = new DeploymentUpgradeActuator({ deployment: d, store, clock: new SystemClock(), log: () => {}, runId: () => 'run', observeTimeoutMs: 100, upgradeTimeoutMs: 1000 }, 60_000);
      expect(await again.resume(), step).toMatch(new RegExp(`^${expected}`));
      expect(records().every((r) => ['done', 'rolled-back'].includes(r.step))).toBe(true);
      expect(d.view()!.specIntervalMs, step).toBe(expected === 'done' ? 5000 : 60_000);
      expect(again.intervalMs(), step).toBe(expected === 'done' ? 5000 : 60_000);
    }
  });
});
