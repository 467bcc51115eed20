import type { FailureMeasurement } from '../core/profiling/profile-records.js';

/** A replica's samples around one injected failure, in seconds from the injection. */
export interface FailureSeries {
  /** Consumer lag, records: [s from the injection, value] where reported. */
  lag: [number, number][];
  /** Input throughput, events/s: [s from the injection, value] where reported. */
  throughputEps: [number, number][];
  /** Seconds at which the job was not RUNNING (restarting, failing, unreachable). */
  notRunning: number[];
}

/**
 * The series a measurement kept (its replica's samples from its baseline to its recovery or
 * time-out), as the profile report's timeout plots and the dashboard's Profiles page draw them;
 * undefined for a measurement recorded before series were kept.
 */
export function failureSeries(m: FailureMeasurement): FailureSeries | undefined {
  if (!m.series?.length) return undefined;
  const t = m.series.map((x) => (x.tMs - m.injectedAtMs) / 1000);
  const pick = (f: (x: NonNullable<FailureMeasurement['series']>[number]) => number | undefined) => m.series!.flatMap((x, i) => (f(x) === undefined ? [] : [[t[i]!, f(x)!] as [number, number]]));
  return { lag: pick((x) => x.lag), throughputEps: pick((x) => x.inputEps), notRunning: m.series.flatMap((x, i) => (x.state === 'RUNNING' ? [] : [t[i]!])) };
}
