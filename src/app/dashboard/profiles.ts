import type { FailureMeasurement, ProfileRecord, StepRecord } from '../../core/profiling/profile-records.js';
import { failureSeries, type FailureSeries } from '../../report/failure-series.js';

/** One failure of a profile as the Profiles page shows it: its measurement (without the raw samples) and its series. */
export type FailureView = Omit<FailureMeasurement, 'series'> & { series?: FailureSeries };

export interface ProfileView {
  /** The profile's record without its resolved config (it may hold secrets: never sent to the page). */
  record: Omit<ProfileRecord, 'provenance'> & { provenance: Omit<ProfileRecord['provenance'], 'config'> };
  steps: StepRecord[];
  /** Every failure injected, in the order measured, each with its lag and throughput around it. */
  failures: FailureView[];
  /** Those that did not recover: timed out, or unmeasured (Flink kept serving the dead attempt's metrics). */
  notRecovered: { timeouts: number; unmeasured: number };
}

/** A profile's steps and failures with their series (src/report/failure-series.ts, as the profile report draws them), and its plan. */
export function profileView(record: ProfileRecord, steps: StepRecord[], measurements: readonly FailureMeasurement[]): ProfileView {
  const { flinkVersion, jobJarSha256, clock, timeScaling } = record.provenance;
  const provenance = { flinkVersion, jobJarSha256, clock, timeScaling };
  const failures = [...measurements]
    .sort((a, b) => a.injectedAtMs - b.injectedAtMs)
    .map(({ series: _raw, ...m }, i, sorted) => {
      const series = failureSeries(sorted[i]!);
      return series ? { ...m, series } : m;
    });
  return {
    record: { ...record, provenance },
    steps,
    failures,
    notRecovered: { timeouts: measurements.filter((m) => m.outcome === 'timeout').length, unmeasured: measurements.filter((m) => m.outcome === 'unmeasured').length },
  };
}
