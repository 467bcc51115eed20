import type { JobName } from '../core/jobs.js';
import type { FailureMeasurement, ProfileRecord, ProfileStatus, StepRecord } from '../core/profiling/profile-records.js';
import type { CalibrationRecord, NewCalibration } from '../core/sim/calibrate.js';

/**
 * Durable records of chaos profiles: each one is an experiment on record, with the resolved config,
 * seed and plan it ran with, so it can be resumed and its numbers reproduced. Every write is committed before the
 * call returns, so a crash or kill -9 loses at most the step under way. Throws
 * KhaosError('bad-input') for an unknown profile id, KhaosError('environment') when the
 * database cannot be opened or written.
 */
export interface ProfileStore {
  createProfile(record: ProfileRecord): void;
  getProfile(id: string): ProfileRecord | undefined;
  /** Newest first. */
  listProfiles(): ProfileRecord[];
  setStatus(id: string, status: ProfileStatus, ownerPid?: number): void;
  /** Records a finished step and its measurements atomically (all or nothing). */
  saveStep(step: StepRecord, measurements: FailureMeasurement[]): void;
  steps(profileId: string): StepRecord[];
  measurements(profileId: string): FailureMeasurement[];
  /** Removes a profile and everything recorded for it. */
  deleteProfile(id: string): void;
  /**
   * Stores a simulator calibration as the next version for its job kind (1, 2, …; id
   * `<job>-v<version>`, see calibrationId) and returns it as stored. Throws KhaosError('bug') for
   * a number JSON cannot keep exactly (NaN, ±Infinity).
   */
  saveCalibration(calibration: NewCalibration): CalibrationRecord;
  getCalibration(id: string): CalibrationRecord | undefined;
  /** Newest first; only those of `job` when given. */
  listCalibrations(job?: JobName): CalibrationRecord[];
  close(): void;
}
