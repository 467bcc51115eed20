import type { ActuatorKind } from '../core/control/policy.js';

export type { ActuatorKind };

/** What one interval change did to the job. */
export interface ActuationOutcome {
  ok: boolean;
  fromIntervalMs: number;
  toIntervalMs: number;
  /** How long the job was not processing because of the change, ms (0 for paced). */
  outageMs: number;
  /** One line for people: what happened, or why it failed and what state the job is in. */
  detail: string;
}

/**
 * Moves a running job to a new checkpoint interval. `paced` triggers checkpoints itself over
 * REST (a change is instant); `restart` stops the job with a savepoint and relaunches it with the
 * new interval. A runtime interval update in Flink (FLIP-571, not released) would be a third
 * implementation of this port. `apply` never throws for a refused change: it reports it.
 */
export interface IntervalActuator {
  readonly kind: ActuatorKind;
  /** The interval the job checkpoints at now, ms. */
  intervalMs(): number;
  apply(intervalMs: number): Promise<ActuationOutcome>;
  /** Finishes or rolls back a change a killed controller left half done; what it did, or undefined if nothing was open. */
  resume?(): Promise<string | undefined>;
  /** Takes the job's real interval (read from Flink) as the current one, where records may lag. */
  adopt?(intervalMs: number): void;
}
