import type { Trace } from '../core/load/trace.js';

/**
 * Where a job's historical input rate comes from for the steady-state analysis (phase 1): a CSV
 * trace, a Prometheus range query, or the records of the job's Kafka input topic.
 */
export interface RateSource {
  /** One line for people: what is read and from where (path, URL and query, topic). */
  describe(): string;
  /**
   * Reads the whole rate history as a Trace (sample times in s, values as rates in any unit).
   * Throws KhaosError('bad-input') when the source exists but gives nothing usable (missing
   * file, bad rows, a query with no or several series, NaN samples) and KhaosError('platform')
   * or ('timeout') when the system behind it fails or does not answer.
   */
  load(): Promise<Trace>;
}
