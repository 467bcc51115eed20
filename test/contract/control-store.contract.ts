import { describe, expect, it } from 'vitest';
import type { ControlRun, DecisionRecord } from '../../src/core/control/records.js';
import { initialPolicyState } from '../../src/core/control/policy.js';
import type { ControlStore } from '../../src/ports/control-store.js';

const run = (id: string, startedAtMs: number): ControlRun => ({
  id, startedAtMs, status: 'running', ownerPid: 123, policy: 'khaos+', actuator: 'paced', dryRun: false,
  restUrl: 'http://127.0.0.1:8081', fallbackIntervalMs: 60_000, config: { control: { policy: 'khaos+' } },
});

const decision = (runId: string, atMs: number, toIntervalMs: number): DecisionRecord => ({
  runId, atMs, policy: 'khaos+', actuator: 'paced', action: toIntervalMs === 5000 ? 'keep' : 'change', fromIntervalMs: 5000, toIntervalMs,
  reason: 'because', outcome: 'applied', outageMs: 0, modelVersion: 'm1',
  observation: { atMs, intervalMs: 5000, throughputEps: 100, latencyMs: Number.NaN, uptimeMs: 1, failuresSeen: 0, observedForMs: 1, recovering: false },
  state: initialPolicyState(),
});

/** One suite for every ControlStore: the SQLite file and the in-memory fake. */
export function controlStoreContract(name: string, open: () => { store: ControlStore; reopen?: () => ControlStore }) {
  describe(`ControlStore contract: ${name}`, () => {
    it('keeps runs newest first and updates their status', () => {
      const { store } = open();
      store.createRun(run('a', 1));
      store.createRun(run('b', 2));
      expect(store.listRuns().map((r) => r.id)).toEqual(['b', 'a']);
      store.setRunStatus('a', 'stopped', 'job-1');
      expect(store.getRun('a')).toMatchObject({ status: 'stopped', jobId: 'job-1', fallbackIntervalMs: 60_000 });
      expect(store.getRun('zzz')).toBeUndefined();
      expect(() => store.setRunStatus('zzz', 'stopped')).toThrow(/no control run "zzz"/);
    });

    it('returns decisions and events of a run in order, NaN stored as null', () => {
      const { store, reopen } = open();
      store.createRun(run('a', 1));
      store.createRun(run('b', 1));
      store.recordDecision(decision('a', 10, 2000));
      store.recordDecision(decision('b', 11, 3000));
      store.recordDecision(decision('a', 12, 5000));
      store.recordEvent({ runId: 'a', atMs: 10, kind: 'checkpoint', detail: 'x' });
      store.recordEvent({ runId: 'a', atMs: 11, kind: 'error', detail: 'y' });
      const s = reopen ? (store.close(), reopen()) : store;
      const ds = s.decisions('a');
      expect(ds.map((d) => d.toIntervalMs)).toEqual([2000, 5000]);
      expect(ds[0]!.observation.latencyMs).toBeNull();
      expect(s.events('a').map((e) => e.kind)).toEqual(['checkpoint', 'error']);
      expect(s.events('a', 'error')).toHaveLength(1);
      expect(s.decisions('none')).toEqual([]);
      // A reader that has the first ones reads only those after them (the dashboard's live view).
      expect(s.decisions('a', 1).map((d) => d.toIntervalMs)).toEqual([5000]);
      expect(s.decisions('a', 2)).toEqual([]);
      expect(s.events('a', undefined, 1).map((e) => e.kind)).toEqual(['error']);
      expect(s.events('a', 'error', 1)).toEqual([]);
      s.close();
    });

    it('keeps each reconfiguration as its last saved step, and finds the open one of a target', () => {
      const { store, reopen } = open();
      const r = { id: 'x1', runId: 'a', target: 'st/iot', fromIntervalMs: 5000, toIntervalMs: 2000, step: 'planned' as const, startedAtMs: 10, updatedAtMs: 10 };
      store.saveReconfiguration(r);
      store.saveReconfiguration({ ...r, step: 'stopped', savepointPath: '/sp/1', updatedAtMs: 11 });
      store.saveReconfiguration({ ...r, id: 'x0', step: 'done', startedAtMs: 5, updatedAtMs: 6 });
      store.saveReconfiguration({ ...r, id: 'y1', target: 'other/iot', step: 'relaunching' });
      const s = reopen ? (store.close(), reopen()) : store;
      expect(s.openReconfiguration('st/iot')).toMatchObject({ id: 'x1', step: 'stopped', savepointPath: '/sp/1' });
      expect(s.reconfigurations('st/iot').map((x) => x.id)).toEqual(['x0', 'x1']);
      s.saveReconfiguration({ ...r, step: 'done', updatedAtMs: 12 });
      expect(s.openReconfiguration('st/iot')).toBeUndefined();
      s.close();
    });

    it("queues a person's commands per run and keeps what came of each", () => {
      const { store, reopen } = open();
      const a = store.queueCommand('a', 10, { kind: 'pause' });
      store.queueCommand('b', 11, { kind: 'dry-run', on: true });
      const c = store.queueCommand('a', 12, { kind: 'override', intervalMs: 2000, untilMs: 99 });
      expect(c).toBeGreaterThan(a);
      store.settleCommand(a, 15, 'applied');
      const s = reopen ? (store.close(), reopen()) : store;
      expect(s.pendingCommands('a')).toEqual([{ seq: c, runId: 'a', atMs: 12, command: { kind: 'override', intervalMs: 2000, untilMs: 99 } }]);
      expect(s.commands('a').map((x) => [x.command.kind, x.takenAtMs, x.outcome])).toEqual([['pause', 15, 'applied'], ['override', undefined, undefined]]);
      expect(s.pendingCommands('none')).toEqual([]);
      s.close();
    });
  });
}
