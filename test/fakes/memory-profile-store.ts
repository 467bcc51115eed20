import { KhaosError } from '../../src/core/errors.js';
import type { JobKind } from '../../src/core/load/events.js';
import type { FailureMeasurement, ProfileRecord, ProfileStatus, StepRecord } from '../../src/core/profiling/profile-records.js';
import { calibrationId, type CalibrationRecord, type NewCalibration } from '../../src/core/sim/calibrate.js';
import type { ProfileStore } from '../../src/ports/profile-store.js';

export interface ProfileStoreCall {
  method: keyof ProfileStore;
  args: unknown[];
}

const unknownProfile = (id: string) => new KhaosError('bad-input', `no profile "${id}"`, 'list the stored profiles with `khaos profile list`');
const stepKey = (pointIndex: number, repetition: number) => `${pointIndex}/${repetition}`;

/**
 * A ProfileStore in plain maps, passing the same contract as SqliteProfileStore. Records are
 * deep-copied in and out, so a caller cannot change what is stored by mutating an object.
 * Switch: `failNextSave` makes the next saveStep throw KhaosError('environment') having written
 * nothing (a full disk, say). Recorder: `calls`, every method call with copies of its arguments.
 */
export class MemoryProfileStore implements ProfileStore {
  readonly calls: ProfileStoreCall[] = [];
  failNextSave = false;

  private readonly profiles = new Map<string, { record: ProfileRecord; created: number }>();
  /** profile id → "point/repetition" → the step and its measurements. */
  private readonly stepsById = new Map<string, Map<string, { step: StepRecord; measurements: FailureMeasurement[] }>>();
  /** In the order saved. */
  private readonly calibrations: CalibrationRecord[] = [];
  private created = 0;

  createProfile(record: ProfileRecord): void {
    this.record('createProfile', record);
    if (this.profiles.has(record.id)) {
      throw new KhaosError('bad-input', `profile "${record.id}" already exists`, 'choose another id; list the stored profiles with `khaos profile list`');
    }
    checkFinite(record.plan, `plan of profile "${record.id}"`);
    checkFinite(record.provenance, `provenance of profile "${record.id}"`);
    this.profiles.set(record.id, { record: structuredClone(record), created: this.created++ });
    this.stepsById.set(record.id, new Map());
  }

  getProfile(id: string): ProfileRecord | undefined {
    this.record('getProfile', id);
    const stored = this.profiles.get(id);
    return stored && structuredClone(stored.record);
  }

  listProfiles(): ProfileRecord[] {
    this.record('listProfiles');
    return [...this.profiles.values()]
      .sort((a, b) => b.record.createdAtMs - a.record.createdAtMs || b.created - a.created)
      .map((p) => structuredClone(p.record));
  }

  setStatus(id: string, status: ProfileStatus, ownerPid?: number): void {
    this.record('setStatus', id, status, ownerPid);
    const stored = this.profiles.get(id);
    if (!stored) throw unknownProfile(id);
    stored.record.status = status;
    if (ownerPid === undefined) delete stored.record.ownerPid;
    else stored.record.ownerPid = ownerPid;
  }

  saveStep(step: StepRecord, measurements: FailureMeasurement[]): void {
    this.record('saveStep', step, measurements);
    if (this.failNextSave) {
      this.failNextSave = false;
      throw new KhaosError('environment', `saving step (point ${step.pointIndex}, repetition ${step.repetition}) of profile "${step.profileId}" failed: disk full (failNextSave)`);
    }
    const steps = this.stepsById.get(step.profileId);
    if (!steps) throw unknownProfile(step.profileId);
    const what = `step (point ${step.pointIndex}, repetition ${step.repetition}) of profile "${step.profileId}"`;
    measurements.forEach((m, seq) => {
      if (m.profileId !== step.profileId || m.pointIndex !== step.pointIndex || m.repetition !== step.repetition) {
        throw new KhaosError('bug', `measurement ${seq} of ${what} belongs to (point ${m.pointIndex}, repetition ${m.repetition}) of profile "${m.profileId}"`);
      }
      checkFinite(m, `measurement ${seq} of ${what}`);
    });
    steps.set(stepKey(step.pointIndex, step.repetition), { step: structuredClone(step), measurements: structuredClone(measurements) });
  }

  steps(profileId: string): StepRecord[] {
    this.record('steps', profileId);
    return this.ordered(profileId).map((s) => structuredClone(s.step));
  }

  measurements(profileId: string): FailureMeasurement[] {
    this.record('measurements', profileId);
    return this.ordered(profileId).flatMap((s) => structuredClone(s.measurements));
  }

  deleteProfile(id: string): void {
    this.record('deleteProfile', id);
    if (!this.profiles.has(id)) throw unknownProfile(id);
    this.profiles.delete(id);
    this.stepsById.delete(id);
  }

  saveCalibration(calibration: NewCalibration): CalibrationRecord {
    this.record('saveCalibration', calibration);
    const version = 1 + Math.max(0, ...this.calibrations.filter((c) => c.job === calibration.job).map((c) => c.version));
    const record: CalibrationRecord = { id: calibrationId(calibration.job, version), version, ...structuredClone(calibration) };
    checkFinite(record, `calibration ${record.id}`);
    this.calibrations.push(record);
    return structuredClone(record);
  }

  getCalibration(id: string): CalibrationRecord | undefined {
    this.record('getCalibration', id);
    const c = this.calibrations.find((r) => r.id === id);
    return c && structuredClone(c);
  }

  listCalibrations(job?: JobKind): CalibrationRecord[] {
    this.record('listCalibrations', job);
    return this.calibrations
      .map((c, i) => ({ c, i }))
      .filter(({ c }) => job === undefined || c.job === job)
      .sort((a, b) => b.c.createdAtMs - a.c.createdAtMs || b.i - a.i)
      .map(({ c }) => structuredClone(c));
  }

  close(): void {
    this.record('close');
  }

  private ordered(profileId: string) {
    const steps = this.stepsById.get(profileId);
    if (!steps) throw unknownProfile(profileId);
    return [...steps.values()].sort((a, b) => a.step.pointIndex - b.step.pointIndex || a.step.repetition - b.step.repetition);
  }

  private record(method: keyof ProfileStore, ...args: unknown[]): void {
    this.calls.push({ method, args: structuredClone(args) });
  }
}

/** Like the SQLite store, refuse numbers JSON cannot give back exactly (NaN, ±Infinity). */
function checkFinite(value: unknown, what: string, key = ''): void {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw new KhaosError('bug', `${what}: ${key === '' ? 'the value' : `"${key}"`} is ${value}, which the profile store cannot keep exactly`);
  }
  if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) checkFinite(v, what, k);
  }
}
