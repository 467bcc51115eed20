import { badInput } from './errors.js';
import { DEDUP_DEFAULTS, type DedupOptions, type JobKind } from './load/events.js';
import type { JobInput } from './load/input.js';

export type { JobInput } from './load/input.js';

/**
 * How a replica of a job is started: its jar, entry class, arguments (with placeholders Khaos
 * fills per replica) and Flink options. The sample jobs are built-in descriptors (`builtInJob`);
 * a user's own job is `custom`, described by job.jar / job.jarURI / job.entryClass / job.args.
 */
export interface JobDescriptor {
  /** The built-in descriptor's name (a sample job), or `custom` for the user's own job. */
  name: JobName;
  /** The jar on this machine; unset for a built-in: the project's jobs jar (jobs/). */
  jar?: string;
  /** The jar inside the image on Kubernetes; unset for a built-in: k8s.jarURI. */
  jarURI?: string;
  entryClass: string;
  /** Program arguments; `{bootstrap}`, `{inputTopic}`, … are filled per replica (fillArgs). */
  args: readonly string[];
  /** Flink options merged over Khaos's own; Khaos's measurement keys (KHAOS_FLINK_KEYS) win. */
  flinkConf: Readonly<Record<string, string>>;
  /** What Khaos writes into the input topic at the trace's rates; unset: an own job without job.input (commands that replay refuse it). */
  input?: JobInput;
  /** How the end-to-end latency of the job is measured. */
  latency: JobLatency;
  /**
   * A control run reads the latency from this p99 gauge (control.latencyMetric) instead of as
   * `latency` says: the sample jobs report one, and their control runs have always read it. Unset
   * (an own job, or a sample job whose job.latency is set): control observes `latency`.
   */
  controlLatencyGauge?: true;
  /** How the job's committed output is checked against its input. */
  reconcile: JobReconcile;
  /** The task-exception marker the job's `parse` operator throws on, in this field of an input record; unset: the job has none (the exception failure is refused). */
  failureMarker?: { field: string };
}

/**
 * How latency is measured: `output-timestamp`, each committed output record from its reference
 * time (its Kafka timestamp, or the epoch-ms number in `field` of its JSON value) to when a
 * read_committed consumer saw it; `metric`, a Flink metric (a name suffix on any vertex) read over
 * REST; `none`, not measured, and no latency model is fitted.
 */
export type JobLatency = { kind: 'output-timestamp'; field?: string } | { kind: 'metric'; name: string } | { kind: 'none' };

/**
 * How output is reconciled with input: `audit`, the sample jobs' per-key count records on the
 * audit topic (after a record with `flushField` "__flush__" fired their last windows; with `ids`,
 * also every distinct input id at that field once in the main output: the dedup job); `count-1to1`, as many committed output records as input records; `id-field`, every
 * input id (at a dotted path of the JSON record, the same in input and output) in the output
 * exactly once; `none`, not checked.
 */
export type JobReconcile = { kind: 'audit'; flushField: string; ids?: string } | { kind: 'count-1to1' } | { kind: 'id-field'; path: string } | { kind: 'none' };

/** A descriptor's name: a sample job's, or custom. */
export type JobName = JobKind | 'custom';

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

/**
 * The built-in descriptors: each sample job's entry class in the jobs jar, its own arguments after
 * the shared ones, and the field of its input records that holds the primary id (where markers go).
 */
const BUILT_IN: Readonly<Record<JobKind, { entryClass: string; extraArgs: (dedup: DedupOptions) => string[]; idField: string; firstOccurrences?: boolean; flinkConf?: Record<string, string> }>> = {
  iot: { entryClass: 'dev.khaos.jobs.IotVehiclesJob', extraArgs: () => [], idField: 'id' },
  ysb: { entryClass: 'dev.khaos.jobs.YsbAdvertisingJob', extraArgs: () => [], idField: 'ad' },
  // Its main output holds each distinct click id once: checked beside the audit.
  // Most of its state reads look up an id that is not there: without RocksDB's bloom filters (off in
  // Flink by default) each miss searches every level-0 file, and one replica fell from 10,000 to
  // 1,500-7,200 ev/s at a 30 s interval (docs/profile.md, "Heavier, tried"). job.flinkConf overrides it.
  dedup: { entryClass: 'dev.khaos.jobs.DedupJob', extraArgs: (d) => ['--retention-ms', String(d.retentionMs), '--state-payload-bytes', String(d.statePayloadBytes), ...(d.stateAttributes > 0 ? ['--state-attributes', String(d.stateAttributes)] : [])], idField: 'id', firstOccurrences: true, flinkConf: { 'state.backend.rocksdb.use-bloom-filter': 'true' } },
};

/** The field of a sample job's input records holding its primary id: control records put their "__" marker there. */
export const sampleIdField = (kind: JobKind): string => BUILT_IN[kind].idField;

/**
 * The descriptor of a sample job (`dedup` takes the dedup settings; the others ignore them);
 * `flinkConf` as job.flinkConf gives it, over the job's own defaults. Its input is its own generator, its latency the window
 * end its output records carry (`windowEnd`), its output reconciled through its audit topic, and
 * its parse operator throws on task-exception markers.
 */
export function builtInJob(kind: JobKind, dedup: DedupOptions = DEDUP_DEFAULTS, flinkConf: Readonly<Record<string, string>> = {}): JobDescriptor {
  const b = BUILT_IN[kind];
  return {
    name: kind, entryClass: b.entryClass, args: [...SAMPLE_ARGS, ...b.extraArgs(dedup)], flinkConf: { ...b.flinkConf, ...flinkConf },
    input: { kind: 'sample', job: kind, dedup }, latency: { kind: 'output-timestamp', field: 'windowEnd' }, controlLatencyGauge: true, reconcile: { kind: 'audit', flushField: b.idField, ...(b.firstOccurrences ? { ids: b.idField } : {}) }, failureMarker: { field: b.idField },
  };
}

/** The input of a descriptor, for a command that replays into the job; an own job without job.input is refused, naming `what` needs it. */
export function requireInput(job: Pick<JobDescriptor, 'input'>, what: string): JobInput {
  if (job.input) return job.input;
  throw badInput(
    `${what} writes the job's input at the trace's rates, but this own job has no job.input`,
    'give job.input: {template: {...}} (records drawn from generators such as ${seq}, ${zipf:1000:1.1}, ${eventTime}) or {replayTopic: <a recorded topic>}; see docs/config.md, job.input',
  );
}

/** Why a failure type cannot strike this job, or undefined when it can (kill and freeze strike any job; exception needs marker support). */
export function failureTypeProblem(job: Pick<JobDescriptor, 'name' | 'failureMarker'>, failure: string): string | undefined {
  if (failure !== 'exception' || job.failureMarker) return undefined;
  return `the exception failure writes a marker record the job's "parse" operator throws on, and job ${job.name} does not declare marker support (job.failureMarker); use kill or freeze, or declare job.failureMarker once the job's parse operator throws on the marker (docs/config.md, job.failureMarker)`;
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

const MEMORY_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, bytes: 1, k: 1024, kb: 1024, kibibytes: 1024, m: 1024 ** 2, mb: 1024 ** 2, mebibytes: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gibibytes: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tebibytes: 1024 ** 4 };

/** A Flink memory size ("3000m", "3 gb", "1048576": bytes without a unit) in whole MiB; undefined when Flink would not read it as one. */
export function flinkMemoryMb(value: string): number | undefined {
  const m = /^\s*(\d+)\s*([a-z]*)\s*$/i.exec(value);
  const unit = m === null ? undefined : MEMORY_UNITS[m[2]!.toLowerCase()];
  return unit === undefined ? undefined : Math.floor((Number(m![1]) * unit) / 1024 ** 2);
}

export const TASK_HEAP_KEY = 'taskmanager.memory.task.heap.size';

/** The task heap a TaskManager of this job gets, MiB: job.flinkConf's taskmanager.memory.task.heap.size, else the stack's own. */
export const taskHeapMb = (flinkConf: Readonly<Record<string, string>> | undefined, stackTaskHeapMb: number): number => {
  const own = flinkConf?.[TASK_HEAP_KEY];
  return (own === undefined ? undefined : flinkMemoryMb(own)) ?? stackTaskHeapMb;
};

/** Khaos's Flink options with the job's over them, except the keys Khaos sets itself (KHAOS_FLINK_KEYS and `platformKeys`). */
export function mergeFlinkConf<V>(khaos: Readonly<Record<string, V>>, job: Readonly<Record<string, string>>, platformKeys: readonly string[] = []): Record<string, V | string> {
  const dropped = new Set(overriddenFlinkKeys(job, platformKeys));
  return { ...khaos, ...Object.fromEntries(Object.entries(job).filter(([k]) => !dropped.has(k))) };
}

/**
 * What is wrong with an own job's jar on this machine: missing (`entries` undefined), or without
 * its entry class (`entries`: the jar's entry names). Undefined when the class is there.
 */
export function jarProblem(job: Pick<JobDescriptor, 'jar' | 'entryClass'>, entries: readonly string[] | undefined): { message: string; fix: string } | undefined {
  if (job.jar === undefined) return undefined;
  if (entries === undefined) return { message: `job.jar ${job.jar} does not exist`, fix: 'check the path in job.jar (relative paths are from the directory Khaos runs in), or build your job first' };
  const classFile = `${job.entryClass.replaceAll('.', '/')}.class`;
  if (entries.includes(classFile)) return undefined;
  const near = entries.filter((e) => e.endsWith(`/${classFile.split('/').at(-1)}`) || e === classFile.split('/').at(-1)).map((e) => e.replace(/\.class$/, '').replaceAll('/', '.'));
  return {
    message: `job.entryClass ${job.entryClass} is not in ${job.jar} (no ${classFile} among its ${entries.length} entries)`,
    fix: near.length > 0 ? `did you mean ${near.join(' or ')}? set job.entryClass to the main class's full name` : 'set job.entryClass to the full name of the job\'s main class (package and class), or rebuild the jar with it',
  };
}
