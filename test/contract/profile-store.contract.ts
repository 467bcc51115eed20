import { describe, expect, it, type TestContext } from 'vitest';
import type { FailureMeasurement, ProfilePlan, ProfileRecord, StepRecord } from '../../src/core/profiling/profile-records.js';
import type { JobKind } from '../../src/core/load/events.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';
import type { NewCalibration } from '../../src/core/sim/calibrate.js';
import type { ProfileStore } from '../../src/ports/profile-store.js';

export interface ProfileStoreFixture {
  store: ProfileStore;
  /**
   * Calls `store.saveStep(step, measurements)` in a way that fails after part of the write was
   * done (the fake's failNextSave; for SQLite, a measurement that cannot be stored).
   */
  failingSave: (step: StepRecord, measurements: FailureMeasurement[]) => void;
  /** Opens a new store on the same durable data; the caller has closed `store` first. */
  reopen?: () => ProfileStore;
  cleanup?: () => void;
}

export const samplePlan = (seed = 7): ProfilePlan => ({
  job: 'iot',
  intervalsMs: [1000, 5000, 30_000],
  points: [
    { index: 0, traceOffsetSec: 120.5, level: 0.25, rate: 1200 },
    { index: 1, traceOffsetSec: 3600, level: 0.75, rate: 5400.125 },
  ],
  repetitions: 2,
  failure: 'kill',
  freezeMs: 0,
  timing: 'before-checkpoint',
  leadMs: 500,
  parallelism: 2,
  seed,
  replay: { trace: 'traces/taxi.csv', peakRateEps: 20_000, compression: 60, beforeSec: 30, afterSec: 180 },
  sustainSec: 10,
  recoveryTimeoutMs: 300_000,
});

export const sampleProfile = (id: string, createdAtMs: number, over: Partial<ProfileRecord> = {}): ProfileRecord => ({
  id,
  createdAtMs,
  status: 'running',
  ownerPid: 4242,
  plan: samplePlan(),
  provenance: {
    config: {
      flink: { version: '2.2.1', restPort: null, options: ['a', 'b'], nested: { deep: [{ x: 1 }, { y: [true, false] }] } },
      note: 'unicode ✓ — "quoted"\nnewline',
      empty: {},
    },
    flinkVersion: '2.2.1',
    jobJarSha256: 'ab'.repeat(32),
    clock: 'createdAtMs, startedAtMs, endedAtMs, injectedAtMs: wall clock (Date.now) of the Khaos host',
    timeScaling: { compression: 60 },
  },
  ...over,
});

export const sampleStep = (profileId: string, pointIndex: number, repetition: number, over: Partial<StepRecord> = {}): StepRecord => ({
  profileId,
  pointIndex,
  repetition,
  status: 'done',
  startedAtMs: 1_700_000_000_000 + pointIndex * 100_000 + repetition * 10_000,
  endedAtMs: 1_700_000_000_000 + pointIndex * 100_000 + repetition * 10_000 + 9_500,
  ...over,
});

/** A recovered measurement with every optional field, for replica `ciMs`. */
export const fullMeasurement = (step: StepRecord, ciMs: number, over: Partial<FailureMeasurement> = {}): FailureMeasurement => ({
  profileId: step.profileId,
  pointIndex: step.pointIndex,
  repetition: step.repetition,
  ciMs,
  failure: 'kill',
  timing: 'before-checkpoint',
  injectedAtMs: step.startedAtMs + 3000,
  plannedLeadMs: 500,
  actualLeadMs: 487.25,
  outcome: 'recovered',
  throughputEps: 5123.5,
  latencyMs: 210.75,
  recoverySec: 14.5,
  detectionSec: 0.8,
  restartSec: 4.2,
  catchupSec: 9.5,
  stateBytes: 12_345_678,
  checkpointMs: 312,
  restoredCheckpointId: 17,
  ...over,
});

/** A timed-out measurement with only the required fields. */
export const bareMeasurement = (step: StepRecord, ciMs: number): FailureMeasurement => ({
  profileId: step.profileId,
  pointIndex: step.pointIndex,
  repetition: step.repetition,
  ciMs,
  failure: 'freeze',
  timing: 'random',
  injectedAtMs: step.startedAtMs + 2000,
  outcome: 'timeout',
  throughputEps: 0,
  latencyMs: 0,
  recoverySec: null,
});

/** A calibration as `khaos sim calibrate` would store it, with a fitted capacity. */
export const sampleCalibration = (job: JobKind, createdAtMs: number, capacityEps = 9876.5): NewCalibration => ({
  job,
  createdAtMs,
  sources: ['profile:p1', 'runs:out/runs.json'],
  params: { ...structuredClone(DEFAULT_FLUID_PARAMS), capacityEps },
  fitted: { capacityEps: { value: capacityEps, source: 'profile:p1 + runs:out/runs.json', n: 12, note: 'φ = 1 (profile:p1)' }, relaunchSec: { value: 4, source: 'default', n: 0 } },
  quality: { recovery: [{ source: 'profile:p1', ciMs: 5000, throughputEps: 2155.5, measuredSec: 9.9, predictedSec: 10.25 }], recoveryMape: 0.035, latencyMape: null, latencyN: 0 },
});

const badInput = (message: string) => ({ name: 'KhaosError', kind: 'bad-input', message, hint: expect.stringContaining('khaos profile list') });
const unknown = (id: string) => badInput(`no profile "${id}"`);

/**
 * One contract for every ProfileStore: the in-memory fake and the SQLite adapter both pass it.
 * Beyond the port's comments it pins down: ties in listProfiles put the later created first;
 * setStatus without ownerPid leaves the profile without an owner; steps come back by (point,
 * repetition), measurements by step and then in the order saved; steps/measurements/saveStep of
 * an unknown profile are bad-input; a measurement of another step, or a number JSON cannot hold
 * (NaN, ±Infinity), is refused as a bug.
 */
export function profileStoreContract(name: string, make: () => ProfileStoreFixture) {
  /** Runs `body` on a fresh fixture and always closes and cleans up, whatever the body opened. */
  const withStore = (body: (f: ProfileStoreFixture, opened: ProfileStore[], ctx: TestContext) => void) => (ctx: TestContext) => {
    const f = make();
    const opened = [f.store];
    try {
      body(f, opened, ctx);
    } finally {
      for (const s of opened) s.close();
      f.cleanup?.();
    }
  };

  describe(`ProfileStore contract: ${name}`, () => {
    it(
      'creates profiles, gets them back whole, lists them newest first',
      withStore(({ store }) => {
        expect(store.listProfiles()).toEqual([]);
        expect(store.getProfile('nope')).toBeUndefined();
        const a = sampleProfile('a', 1000);
        // Done, with no owner and another plan.
        const bWithoutOwner = sampleProfile('b', 3000, { status: 'done', plan: samplePlan(9) });
        delete bWithoutOwner.ownerPid;
        const c = sampleProfile('c', 2000);
        store.createProfile(a);
        store.createProfile(bWithoutOwner);
        store.createProfile(c);
        expect(store.getProfile('a')).toEqual(a);
        expect(store.getProfile('b')).toStrictEqual(bWithoutOwner);
        expect(store.listProfiles().map((p) => p.id)).toEqual(['b', 'c', 'a']);
        expect(store.listProfiles()).toEqual([bWithoutOwner, c, a]);
        // Same creation time: the later created comes first.
        store.createProfile(sampleProfile('d', 2000));
        expect(store.listProfiles().map((p) => p.id)).toEqual(['b', 'd', 'c', 'a']);
      }),
    );

    it(
      'refuses a second profile with the same id and keeps the first',
      withStore(({ store }) => {
        const first = sampleProfile('dup', 1000);
        store.createProfile(first);
        expect(() => store.createProfile(sampleProfile('dup', 2000, { status: 'done' }))).toThrow(
          expect.objectContaining({ kind: 'bad-input', message: 'profile "dup" already exists' }),
        );
        expect(store.getProfile('dup')).toEqual(first);
        expect(store.listProfiles()).toHaveLength(1);
      }),
    );

    it(
      'changes status together with the owner pid',
      withStore(({ store }) => {
        store.createProfile(sampleProfile('p', 1000, { ownerPid: 100 }));
        store.createProfile(sampleProfile('other', 500, { ownerPid: 300 }));
        store.setStatus('p', 'interrupted');
        expect(store.getProfile('p')).toMatchObject({ status: 'interrupted' });
        expect(store.getProfile('p')).not.toHaveProperty('ownerPid');
        store.setStatus('p', 'running', 200);
        expect(store.getProfile('p')).toMatchObject({ status: 'running', ownerPid: 200 });
        expect(store.listProfiles()[0]).toMatchObject({ id: 'p', status: 'running', ownerPid: 200 });
        store.setStatus('p', 'done');
        expect(store.getProfile('p')).toMatchObject({ status: 'done' });
        expect(store.getProfile('p')).not.toHaveProperty('ownerPid');
        store.setStatus('p', 'discarded');
        expect(store.getProfile('p')?.status).toBe('discarded');
        // Plan and provenance are untouched; the other profile too.
        expect(store.getProfile('p')?.provenance).toEqual(sampleProfile('p', 1000).provenance);
        expect(store.getProfile('other')).toEqual(sampleProfile('other', 500, { ownerPid: 300 }));
      }),
    );

    it(
      'round-trips steps and measurements exactly, optional fields and null recovery included',
      withStore(({ store }) => {
        store.createProfile(sampleProfile('p', 1000));
        store.createProfile(sampleProfile('q', 2000));
        const s11 = sampleStep('p', 1, 1, { status: 'failed', error: 'replica ci=5000 did not start: port 8081 in use' });
        const s01 = sampleStep('p', 0, 1);
        const s00 = sampleStep('p', 0, 0);
        const m11: FailureMeasurement[] = [];
        const m01 = [fullMeasurement(s01, 1000), bareMeasurement(s01, 5000), fullMeasurement(s01, 30_000, { recoverySec: null, outcome: 'timeout', timing: 'after-checkpoint' })];
        const m00 = [bareMeasurement(s00, 30_000), fullMeasurement(s00, 1000, { failure: 'freeze', stateBytes: 0 })];
        const q = sampleStep('q', 0, 0);
        // Saved out of order: read back by (point, repetition), measurements in the order saved.
        store.saveStep(s11, m11);
        store.saveStep(s01, m01);
        store.saveStep(q, [fullMeasurement(q, 1000)]);
        store.saveStep(s00, m00);
        expect(store.steps('p')).toStrictEqual([s00, s01, s11]);
        expect(store.measurements('p')).toStrictEqual([...m00, ...m01]);
        const bare = store.measurements('p')[0]!;
        expect(bare.recoverySec).toBeNull();
        expect(Object.keys(bare).sort()).toEqual(Object.keys(bareMeasurement(s00, 30_000)).sort());
        expect(store.steps('p')[0]).not.toHaveProperty('error');
        expect(store.steps('q')).toStrictEqual([q]);
        expect(store.measurements('q')).toStrictEqual([fullMeasurement(q, 1000)]);
        expect(store.getProfile('p')).toStrictEqual(sampleProfile('p', 1000));
      }),
    );

    it(
      'saving the same (point, repetition) again replaces the step and all its measurements',
      withStore(({ store }) => {
        store.createProfile(sampleProfile('p', 1000));
        const first = sampleStep('p', 2, 0, { status: 'failed', error: 'broker down' });
        const neighbour = sampleStep('p', 2, 1);
        store.saveStep(first, [fullMeasurement(first, 1000), fullMeasurement(first, 5000), bareMeasurement(first, 30_000)]);
        store.saveStep(neighbour, [fullMeasurement(neighbour, 1000)]);
        const redone = sampleStep('p', 2, 0, { startedAtMs: 1_800_000_000_000, endedAtMs: 1_800_000_009_000 });
        const redoneMs = [fullMeasurement(redone, 5000, { latencyMs: 99 })];
        store.saveStep(redone, redoneMs);
        expect(store.steps('p')).toStrictEqual([redone, neighbour]);
        expect(store.measurements('p')).toStrictEqual([...redoneMs, fullMeasurement(neighbour, 1000)]);
        // Redone again with no measurements: none are left for it.
        store.saveStep(redone, []);
        expect(store.measurements('p')).toStrictEqual([fullMeasurement(neighbour, 1000)]);
      }),
    );

    it(
      'saveStep is all or nothing: a write that fails half-way leaves the previous state',
      withStore(({ store, failingSave }) => {
        store.createProfile(sampleProfile('p', 1000));
        const kept = sampleStep('p', 0, 0);
        const keptMs = [fullMeasurement(kept, 1000), bareMeasurement(kept, 5000)];
        store.saveStep(kept, keptMs);
        // A redo of a saved step that fails keeps the old step and measurements...
        const redo = sampleStep('p', 0, 0, { status: 'failed', error: 'redo', startedAtMs: 1, endedAtMs: 2 });
        expect(() => failingSave(redo, [fullMeasurement(redo, 1000), fullMeasurement(redo, 5000), fullMeasurement(redo, 30_000)])).toThrow(
          expect.objectContaining({ name: 'KhaosError' }),
        );
        expect(store.steps('p')).toStrictEqual([kept]);
        expect(store.measurements('p')).toStrictEqual(keptMs);
        // ...and a new step that fails leaves no trace.
        const fresh = sampleStep('p', 1, 0);
        expect(() => failingSave(fresh, [fullMeasurement(fresh, 1000), fullMeasurement(fresh, 5000)])).toThrow(expect.objectContaining({ name: 'KhaosError' }));
        expect(store.steps('p')).toStrictEqual([kept]);
        expect(store.measurements('p')).toStrictEqual(keptMs);
        // The store still works afterwards.
        store.saveStep(fresh, [fullMeasurement(fresh, 1000)]);
        expect(store.steps('p')).toStrictEqual([kept, fresh]);
      }),
    );

    it(
      'refuses, as a bug and writing nothing, a measurement of another step or a number it cannot keep exactly',
      withStore(({ store }) => {
        store.createProfile(sampleProfile('p', 1000));
        const step = sampleStep('p', 0, 0);
        const other = sampleStep('p', 0, 1);
        const bug = expect.objectContaining({ name: 'KhaosError', kind: 'bug' });
        expect(() => store.saveStep(step, [fullMeasurement(step, 1000), fullMeasurement(other, 5000)])).toThrow(bug);
        expect(() => store.saveStep(step, [fullMeasurement(step, 1000), fullMeasurement(step, 5000, { latencyMs: Number.NaN })])).toThrow(bug);
        expect(() => store.saveStep(step, [fullMeasurement(step, Number.POSITIVE_INFINITY)])).toThrow(bug);
        expect(() => store.saveStep(step, [fullMeasurement(step, 1000, { recoverySec: Number.NEGATIVE_INFINITY })])).toThrow(bug);
        expect(store.steps('p')).toEqual([]);
        expect(store.measurements('p')).toEqual([]);
        const plan = { ...samplePlan(), leadMs: Number.NaN };
        expect(() => store.createProfile(sampleProfile('nan', 1000, { plan }))).toThrow(bug);
        expect(store.getProfile('nan')).toBeUndefined();
      }),
    );

    it(
      'deleteProfile removes the profile, its steps and measurements; a second delete is bad-input',
      withStore(({ store }) => {
        store.createProfile(sampleProfile('gone', 1000));
        store.createProfile(sampleProfile('stays', 2000));
        for (const id of ['gone', 'stays']) {
          const s = sampleStep(id, 0, 0);
          store.saveStep(s, [fullMeasurement(s, 1000), bareMeasurement(s, 5000)]);
        }
        store.deleteProfile('gone');
        expect(store.getProfile('gone')).toBeUndefined();
        expect(store.listProfiles().map((p) => p.id)).toEqual(['stays']);
        expect(() => store.steps('gone')).toThrow(expect.objectContaining(unknown('gone')));
        expect(() => store.measurements('gone')).toThrow(expect.objectContaining(unknown('gone')));
        expect(() => store.deleteProfile('gone')).toThrow(expect.objectContaining(unknown('gone')));
        expect(store.steps('stays')).toHaveLength(1);
        expect(store.measurements('stays')).toHaveLength(2);
        // The id can be used again, and starts with nothing recorded.
        store.createProfile(sampleProfile('gone', 3000));
        expect(store.steps('gone')).toEqual([]);
        expect(store.measurements('gone')).toEqual([]);
      }),
    );

    it(
      'answers an unknown profile id with bad-input naming it and how to list profiles',
      withStore(({ store }) => {
        store.createProfile(sampleProfile('known', 1000));
        const err = expect.objectContaining(unknown('ghost'));
        expect(store.getProfile('ghost')).toBeUndefined();
        expect(() => store.setStatus('ghost', 'done')).toThrow(err);
        expect(() => store.setStatus('ghost', 'running', 1)).toThrow(err);
        expect(() => store.deleteProfile('ghost')).toThrow(err);
        expect(() => store.steps('ghost')).toThrow(err);
        expect(() => store.measurements('ghost')).toThrow(err);
        const s = sampleStep('ghost', 0, 0);
        expect(() => store.saveStep(s, [fullMeasurement(s, 1000)])).toThrow(err);
        expect(store.listProfiles().map((p) => p.id)).toEqual(['known']);
        expect(store.steps('known')).toEqual([]);
      }),
    );

    it(
      'keeps its own copies: mutating what was passed in or handed out changes nothing stored',
      withStore(({ store }) => {
        const record = sampleProfile('p', 1000);
        store.createProfile(record);
        const step = sampleStep('p', 0, 0);
        const ms = [fullMeasurement(step, 1000)];
        store.saveStep(step, ms);
        record.plan.intervalsMs.push(1);
        (record.provenance.config as { note: string }).note = 'changed';
        step.status = 'failed';
        ms[0]!.latencyMs = -1;
        ms.push(fullMeasurement(step, 5000));
        const out = store.getProfile('p')!;
        out.plan.points[0]!.rate = -1;
        out.status = 'done';
        store.steps('p')[0]!.endedAtMs = 0;
        store.measurements('p')[0]!.ciMs = 0;
        store.listProfiles()[0]!.provenance.timeScaling.compression = 0;
        expect(store.getProfile('p')).toStrictEqual(sampleProfile('p', 1000));
        expect(store.steps('p')).toStrictEqual([sampleStep('p', 0, 0)]);
        expect(store.measurements('p')).toStrictEqual([fullMeasurement(sampleStep('p', 0, 0), 1000)]);
      }),
    );

    it(
      'stores calibrations as versions 1, 2, … per job kind, gets them back whole, lists them newest first',
      withStore(({ store }) => {
        expect(store.listCalibrations()).toEqual([]);
        expect(store.getCalibration('iot-v1')).toBeUndefined();
        const a = store.saveCalibration(sampleCalibration('iot', 1000));
        const b = store.saveCalibration(sampleCalibration('ysb', 3000));
        const c = store.saveCalibration(sampleCalibration('iot', 2000, 5000));
        expect([a, b, c].map((r) => [r.id, r.version])).toEqual([['iot-v1', 1], ['ysb-v1', 1], ['iot-v2', 2]]);
        expect(a).toStrictEqual({ id: 'iot-v1', version: 1, ...sampleCalibration('iot', 1000) });
        expect(store.getCalibration('iot-v2')).toStrictEqual(c);
        expect(store.listCalibrations().map((r) => r.id)).toEqual(['ysb-v1', 'iot-v2', 'iot-v1']);
        expect(store.listCalibrations('iot')).toStrictEqual([c, a]);
        expect(store.listCalibrations('ysb')).toStrictEqual([b]);
        // Same creation time: the later saved first. Calibrations leave the profiles alone.
        store.saveCalibration(sampleCalibration('iot', 2000));
        expect(store.listCalibrations('iot').map((r) => r.id)).toEqual(['iot-v3', 'iot-v2', 'iot-v1']);
        expect(store.listProfiles()).toEqual([]);
      }),
    );

    it(
      'refuses, as a bug and storing nothing, a calibration with a number it cannot keep exactly; hands out copies',
      withStore(({ store }) => {
        const bug = expect.objectContaining({ name: 'KhaosError', kind: 'bug' });
        const nan = sampleCalibration('iot', 1000);
        nan.quality.recoveryMape = Number.NaN;
        expect(() => store.saveCalibration(nan)).toThrow(bug);
        expect(() => store.saveCalibration(sampleCalibration('iot', 1000, Number.POSITIVE_INFINITY))).toThrow(bug);
        expect(store.listCalibrations()).toEqual([]);
        const saved = store.saveCalibration(sampleCalibration('iot', 1000));
        expect(saved.id).toBe('iot-v1');
        saved.params.capacityEps = -1;
        store.getCalibration('iot-v1')!.fitted.capacityEps!.n = 0;
        expect(store.getCalibration('iot-v1')).toStrictEqual({ id: 'iot-v1', version: 1, ...sampleCalibration('iot', 1000) });
      }),
    );

    it(
      'keeps calibrations across close and reopen, and goes on counting versions (durable stores)',
      withStore(({ store, reopen }, opened, ctx) => {
        if (!reopen) return ctx.skip('this store is not durable');
        const first = store.saveCalibration(sampleCalibration('iot', 1000));
        store.close();
        const again = reopen();
        opened.push(again);
        expect(again.listCalibrations()).toStrictEqual([first]);
        expect(again.saveCalibration(sampleCalibration('iot', 2000)).id).toBe('iot-v2');
      }),
    );

    it(
      'keeps everything across close and reopen (durable stores)',
      withStore(({ store, reopen }, opened, ctx) => {
        if (!reopen) return ctx.skip('this store is not durable');
        const a = sampleProfile('a', 1000);
        store.createProfile(a);
        store.createProfile(sampleProfile('b', 2000));
        store.setStatus('b', 'interrupted');
        const s = sampleStep('a', 1, 0, { status: 'failed', error: 'timeout waiting for RUNNING' });
        const ms = [fullMeasurement(s, 1000), bareMeasurement(s, 5000)];
        store.saveStep(s, ms);
        store.deleteProfile('b');
        store.close();
        const again = reopen();
        opened.push(again);
        expect(again.listProfiles()).toStrictEqual([a]);
        expect(again.steps('a')).toStrictEqual([s]);
        expect(again.measurements('a')).toStrictEqual(ms);
        // And it goes on writing where it left off.
        again.setStatus('a', 'running', 777);
        const next = sampleStep('a', 1, 1);
        again.saveStep(next, [fullMeasurement(next, 30_000)]);
        again.close();
        const third = reopen();
        opened.push(third);
        expect(third.getProfile('a')).toMatchObject({ status: 'running', ownerPid: 777 });
        expect(third.steps('a')).toStrictEqual([s, next]);
        expect(third.measurements('a')).toStrictEqual([...ms, fullMeasurement(next, 30_000)]);
      }),
    );
  });
}
