import type { JobDescriptor } from '../core/jobs.js';

/** What the app asks for when it deploys a job replica. */
export interface ReplicaRequest {
  name: string;
  /**
   * How to start the job: jar, entry class, args (the orchestrator fills their placeholders from
   * this request, its Kafka and a transaction prefix of its own per replica) and Flink options.
   */
  job: JobDescriptor;
  checkpointIntervalMs: number;
  parallelism: number;
  inputTopic: string;
  outputTopic: string;
  auditTopic: string;
  /** Each replica reads the shared input topic with its own consumer group. */
  groupId: string;
  /**
   * How often Flink's REST serves fresh metrics, ms (`metrics.fetcher.update-interval`); unset
   * keeps the platform's own (1 s locally). A sampler faster than this reads each value twice.
   */
  metricsRefreshMs?: number;
}

export interface ReplicaHandle {
  name: string;
  restUrl: string;
  checkpointIntervalMs: number;
  /**
   * Live TaskManagers by Flink resource id. Each platform's FailureInjector finds what the id
   * stands for there (a process, a pod) itself.
   */
  taskManagers: { id: string }[];
}

/** Timings of one reconfiguration (system clock, ms since the epoch). */
export interface Reconfiguration {
  savepointPath: string;
  requestedAtMs: number;
  /** The savepoint completed and the job stopped. */
  stoppedAtMs: number;
  /** The resubmitted job runs with every task deployed. */
  runningAtMs: number;
}

/**
 * Deploys and reconfigures job replicas on some platform (local JVM processes, Kubernetes).
 * Throws KhaosError: 'environment' for what the machine lacks, 'platform' for a replica that
 * does not start, 'timeout' for one that does not become ready in time. A failed start leaves
 * nothing running. Every method but `replica` (which answers from what the orchestrator holds)
 * may ask the platform, so each returns a promise; for a replica it does not know, each throws
 * (or rejects with) KhaosError('bad-input').
 */
export interface Orchestrator {
  startReplica(request: ReplicaRequest): Promise<ReplicaHandle>;
  replica(name: string): ReplicaHandle;
  /**
   * Stops the replica's job with a savepoint and resubmits it from that savepoint with a new
   * checkpoint interval (no Flink release changes the interval of a running job).
   */
  reconfigure(name: string, checkpointIntervalMs: number): Promise<Reconfiguration>;
  /**
   * First half of a reconfiguration: stops the replica's job with a savepoint (its application-mode
   * JobManager then exits). Throws, with the job still running, when the savepoint fails.
   */
  stopWithSavepoint(name: string): Promise<{ savepointPath: string; stoppedAtMs: number }>;
  /** Second half: relaunches the replica's job from a savepoint with a checkpoint interval; resolves once every task runs. */
  relaunch(name: string, savepointPath: string, checkpointIntervalMs: number): Promise<{ runningAtMs: number }>;
  /** Savepoints of the replica on its storage, newest first, with when each was completed (ms since the epoch). */
  savepoints(name: string): Promise<{ path: string; completedAtMs: number }[]>;
  /** Whether the replica's JobManager runs (its job may still be starting). */
  jobManagerAlive(name: string): Promise<boolean>;
  /** Brings back TaskManagers that died (or takes note of those the platform brought back); resolves to the new resource ids. */
  restartDeadTaskManagers(name: string): Promise<string[]>;
  stopReplica(name: string): Promise<void>;
}
