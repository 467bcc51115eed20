import type { JobSample } from '../profiling/recovery.js';

/**
 * The input's arrival rate between two consecutive samples, events/s: what the job read from its
 * input (the sample's rate, from the source's record counter) plus the growth of its consumer lag
 * (`pendingRecords`) since the previous sample. Equal to the processing rate while the job keeps
 * up; above it while a backlog grows (the processing rate is then pinned at the capacity the
 * checkpoints leave, whatever arrives), below it while a backlog drains. Undefined unless both
 * samples are RUNNING with a lag and the second has a rate (a restart resets the counter, and a
 * restore rewinds the lag: neither is input).
 *
 * The real controller (app/control/controller.ts) and the simulator's (sim/observer.ts) build
 * their observation's `arrivalEps` from this, over the same window.
 */
export function arrivalEps(prev: JobSample | undefined, cur: JobSample): number | undefined {
  if (!prev || prev.state !== 'RUNNING' || cur.state !== 'RUNNING') return undefined;
  if (cur.inputEps === undefined || prev.lag === undefined || cur.lag === undefined || !(cur.tMs > prev.tMs)) return undefined;
  return Math.max(0, cur.inputEps + ((cur.lag - prev.lag) * 1000) / (cur.tMs - prev.tMs));
}
