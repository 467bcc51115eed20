import { badInput } from './errors.js';
import { DEDUP_DEFAULTS, JOB_KINDS, type DedupOptions, type JobKind } from './load/events.js';

/**
 * How a replica of a job is started: its jar, entry class, arguments (with placeholders Khaos
 * fills per replica) and Flink options. The sample jobs are built-in descriptors (`builtInJob`);
 * a user's own job is `custom`, described by job.jar / job.jarURI / job.entryClass / job.args.
 */
export interface JobDescriptor {
  /** The built-in descriptor's name (a sample job), or `custom` for the user's own job. */
  name: JobKind | 'custom';
  /** The jar on this machine; unset for a built-in: the project's jobs jar (jobs/). */
  jar?: string;
  /** The jar inside the image on Kubernetes; unset for a built-in: k8s.jarURI. */
  jarURI?: string;
  entryClass: string;
  /** Program arguments; `{bootstrap}`, `{inputTopic}`, … are filled per replica (fillArgs). */
  args: readonly string[];
  /** Flink options merged over Khaos's own; Khaos's measurement keys (KHAOS_FLINK_KEYS) win. */
  flinkConf: Readonly<Record<string, string>>;
}

/** What makes one replica independent of its siblings: its Kafka, topics, consumer group and transaction prefix. */
export interface ReplicaBinding {
  bootstrap: string;
  inputTopic: string;
  outputTopic: string;
  auditTopic: string;
  groupId: string;
  txnPrefix: string;
}

/** The placeholders job.args may hold, one per ReplicaBinding field. */
export const PLACEHOLDERS: readonly (keyof ReplicaBinding)[] = ['bootstrap', 'inputTopic', 'outputTopic', 'auditTopic', 'groupId', 'txnPrefix'];

/** Placeholders every descriptor's args must hold, and why. */
const REQUIRED_PLACEHOLDERS: Readonly<Partial<Record<keyof ReplicaBinding, string>>> = {
  groupId: 'two replicas would read the input with one consumer group and split its records between them',
  txnPrefix: 'two replicas would write with one transactional id prefix and fence each other’s transactions',
};

const PLACEHOLDER = /\{([^{}]*)\}/g;

/** The arguments every sample job takes first (their shared Kafka options, see the Java job classes). */
const SAMPLE_ARGS = ['--bootstrap', '{bootstrap}', '--input-topic', '{inputTopic}', '--output-topic', '{outputTopic}', '--audit-topic', '{auditTopic}', '--group-id', '{groupId}', '--txn-prefix', '{txnPrefix}'];

/** The built-in descriptors: each sample job's entry class in the jobs jar and its own arguments after the shared ones. */
const BUILT_IN: Readonly<Record<JobKind, { entryClass: string; extraArgs: (dedup: DedupOptions) => string[] }>> = {
  iot: { entryClass: 'dev.khaos.jobs.IotVehiclesJob', extraArgs: () => [] },
  ysb: { entryClass: 'dev.khaos.jobs.YsbAdvertisingJob', extraArgs: () => [] },
  dedup: { entryClass: 'dev.khaos.jobs.DedupJob', extraArgs: (d) => ['--retention-ms', String(d.retentionMs), '--state-payload-bytes', String(d.statePayloadBytes)] },
};

/** The descriptor of a sample job (`dedup` takes the dedup settings; the others ignore them); `flinkConf` as job.flinkConf gives it. */
export function builtInJob(kind: JobKind, dedup: DedupOptions = DEDUP_DEFAULTS, flinkConf: Readonly<Record<string, string>> = {}): JobDescriptor {
  const b = BUILT_IN[kind];
  return { name: kind, entryClass: b.entryClass, args: [...SAMPLE_ARGS, ...b.extraArgs(dedup)], flinkConf };
}

/** The sample job a descriptor is, or undefined for an own job. */
export const sampleJobOf = (job: Pick<JobDescriptor, 'name'>): JobKind | undefined => (job.name === 'custom' ? undefined : job.name);

/**
 * The sample job of a descriptor, for what only the sample jobs have so far (an input generator,
 * reconciliation of their output); an own job is refused, naming `what` needs it.
 */
export function requireSampleJob(job: Pick<JobDescriptor, 'name'>, what: string): JobKind {
  const kind = sampleJobOf(job);
  if (kind === undefined) {
    throw badInput(
      `${what} needs a sample job's input generator and output reconciliation, which own jobs (job.kind: custom) do not have yet`,
      `use job.kind ${JOB_KINDS.join(', ')} for this command; with an own job, \`khaos stack up\` and \`khaos k8s render\` work, and \`khaos control --attach\` attaches to a job you started`,
    );
  }
  return kind;
}

/** Problems with a descriptor's args: unknown placeholders, and required ones that are missing (each with its reason). */
export function argsProblems(args: readonly string[]): string[] {
  const used = new Set(args.flatMap((a) => [...a.matchAll(PLACEHOLDER)].map((m) => m[1]!)));
  const known = new Set<string>(PLACEHOLDERS);
  const unknown = [...used].filter((p) => !known.has(p)).map((p) => `unknown placeholder {${p}}; the known ones are ${PLACEHOLDERS.map((k) => `{${k}}`).join(', ')}`);
  const missing = Object.entries(REQUIRED_PLACEHOLDERS)
    .filter(([p]) => !used.has(p))
    .map(([p, why]) => `no {${p}} in the args: ${why}; pass it to the job's option for it`);
  return [...unknown, ...missing];
}

/** The args of one replica: every placeholder filled from its binding. Throws bad-input for a descriptor argsProblems refuses. */
export function fillArgs(job: Pick<JobDescriptor, 'args'>, binding: ReplicaBinding): string[] {
  const problems = argsProblems(job.args);
  if (problems.length > 0) throw badInput(`job.args: ${problems.join('; ')}`, 'see docs/config.md, job.args');
  return job.args.map((a) => a.replace(PLACEHOLDER, (_, p: keyof ReplicaBinding) => binding[p]));
}

/**
 * Flink options Khaos sets itself because its measurements depend on them (the checkpoint
 * interval and where checkpoints go, how the job restarts, how fast a lost TaskManager is seen,
 * how fresh and how bounded REST metrics are, one slot per TaskManager): a key here, or under a
 * prefix here ending in `.`, in job.flinkConf is not used.
 */
export const KHAOS_FLINK_KEYS: readonly string[] = [
  'execution.checkpointing.interval',
  'execution.checkpointing.dir',
  'execution.checkpointing.savepoint-dir',
  'execution.checkpointing.externalized-checkpoint-retention',
  'restart-strategy.',
  'heartbeat.interval',
  'heartbeat.timeout',
  'metrics.fetcher.update-interval',
  'web.timeout',
  'web.refresh-interval',
  'taskmanager.numberOfTaskSlots',
  'parallelism.default',
];

const isKhaosKey = (key: string, keys: readonly string[]) => keys.some((k) => (k.endsWith('.') ? key.startsWith(k) || key === k.slice(0, -1) : key === k));

/** Keys of `flinkConf` that Khaos sets itself (KHAOS_FLINK_KEYS and `platformKeys`): their values are not used. */
export const overriddenFlinkKeys = (flinkConf: Readonly<Record<string, unknown>>, platformKeys: readonly string[] = []): string[] =>
  Object.keys(flinkConf).filter((k) => isKhaosKey(k, [...KHAOS_FLINK_KEYS, ...platformKeys]));

/** The message naming job.flinkConf keys that Khaos's own values override. */
export const overriddenFlinkKeysMessage = (keys: readonly string[]) =>
  `job.flinkConf: Khaos sets ${keys.join(', ')} itself (its measurements depend on ${keys.length === 1 ? 'it' : 'them'}); the value${keys.length === 1 ? '' : 's'} given there ${keys.length === 1 ? 'is' : 'are'} not used`;

/** Khaos's Flink options with the job's over them, except the keys Khaos sets itself (KHAOS_FLINK_KEYS and `platformKeys`). */
export function mergeFlinkConf<V>(khaos: Readonly<Record<string, V>>, job: Readonly<Record<string, string>>, platformKeys: readonly string[] = []): Record<string, V | string> {
  const dropped = new Set(overriddenFlinkKeys(job, platformKeys));
  return { ...khaos, ...Object.fromEntries(Object.entries(job).filter(([k]) => !dropped.has(k))) };
}
