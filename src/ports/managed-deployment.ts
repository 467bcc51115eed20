import type { UpgradeMode } from '../core/k8s/deployment.js';

/**
 * A Flink job that a platform operator runs and Khaos controls through the operator's resource:
 * on Kubernetes a FlinkDeployment of the Flink Kubernetes Operator (`khaos control
 * --flinkdeployment`). Khaos changes only the checkpoint interval in its spec; the operator
 * performs the upgrade, and its status says how far it got.
 */

/** The resource as last seen (operator 1.15's status fields). */
export interface DeploymentView {
  /** `metadata.generation`: bumped by every spec change. */
  generation: number;
  /** `status.observedGeneration`: the generation the operator last reconciled. */
  observedGeneration?: number;
  /** The checkpoint interval the spec asks for, ms (undefined: checkpointing off). */
  specIntervalMs?: number;
  /** The interval of the spec the operator last reconciled (`reconciliationStatus.lastReconciledSpec`), ms. */
  reconciledIntervalMs?: number;
  upgradeMode: UpgradeMode;
  /** `status.lifecycleState`: CREATED, DEPLOYED, STABLE, UPGRADING, SUSPENDED, ROLLING_BACK, ROLLED_BACK, FAILED, DELETING. */
  lifecycleState?: string;
  /** `status.reconciliationStatus.state`: DEPLOYED, UPGRADING, ROLLING_BACK, ROLLED_BACK. */
  reconciliationState?: string;
  /** `status.jobManagerDeploymentStatus`: READY, DEPLOYED_NOT_READY, DEPLOYING, MISSING, ERROR. */
  jobManagerStatus?: string;
  /** `status.jobStatus.state` (Flink's job status as the operator observed it) and its id. */
  jobState?: string;
  jobId?: string;
  /** `status.jobStatus.upgradeSavepointPath`: the savepoint (or the last-state marker) the next deploy restores from. */
  upgradeSavepointPath?: string;
  /** `status.jobStatus.savepointInfo.lastSavepoint.location` and `status.jobStatus.checkpointInfo.lastCheckpoint`'s. */
  lastSavepoint?: string;
  /** `status.error`. */
  error?: string;
  /** `spec.flinkConfiguration` as is. */
  flinkConfiguration: Readonly<Record<string, string>>;
  /** A deletion is under way (`metadata.deletionTimestamp`). */
  deleting: boolean;
}

export interface ManagedDeployment {
  /** `<namespace>/<name>`. */
  readonly ref: string;
  /** Flink's REST address for this deployment's JobManager. */
  readonly restUrl: string;
  /** The resource as last seen; undefined once it is deleted. */
  view(): DeploymentView | undefined;
  /** Sets the checkpoint interval in the spec (the operator then upgrades the job); resolves with the new generation. */
  setInterval(intervalMs: number): Promise<number>;
  /** Records something Khaos did as an event on the resource (`kubectl describe` shows it); never throws. */
  recordEvent(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void>;
  /**
   * Resolves with what `check` returns once it is defined, re-evaluated at every change of the
   * resource; rejects with what `check` throws, or with a time-out after `ms` naming the last status.
   */
  waitFor<T>(what: string, ms: number, check: (v: DeploymentView | undefined) => T | undefined): Promise<T>;
  close(): void;
}
