import { z } from 'zod';
import { badInput, KhaosError } from '../core/errors.js';
import { parsePolicy, POLICY_REGISTRY, policyNameList, policyProblem, resolvePolicy, type PolicyUnderTest } from '../core/control/policies.js';
import { FAILURE_TYPE_REGISTRY, FAILURE_TYPES, failureTypeList, TIMED_FAILURE_TYPES, type FailureType } from '../core/failure-types.js';
import { fluidParams, type FluidParamsOverrides } from '../core/sim/fluid-params.js';
import { durationProblem, parseDuration } from '../core/duration.js';
import { DEDUP_DEFAULTS, JOB_KINDS, type DedupOptions } from '../core/load/events.js';
import { argsProblems, builtInJob, flinkMemoryMb, overriddenFlinkKeys, TASK_HEAP_KEY, PLACEHOLDERS, type JobDescriptor, type JobName, type JobInput as JobInputSpec, type JobLatency, type JobReconcile } from '../core/jobs.js';
import { TEMPLATE_GENERATORS, templateProblems } from '../core/load/template.js';

/**
 * A duration value: "30s" or a bare number of milliseconds, more than 0 ms unless `allowZero`.
 * Checked here, not when resolving, so that every bad one is reported at once with its path; the
 * value itself stays as written (resolveConfig adds the …Ms field next to it).
 */
const durationValue = (allowZero = false) =>
  z.union([z.string(), z.number()]).superRefine((v, ctx) => {
    const problem = durationProblem(v, allowZero);
    if (problem) ctx.addIssue({ code: 'custom', message: problem, input: v });
  });

/** A duration option with its default; only options for which 0 means something pass `allowZero`. */
const duration = (def: string, description: string, { allowZero = false } = {}) => durationValue(allowZero).default(def).describe(description);

/** A valid entry of evaluate.policies (`khaos+@restart`, `static:30s`) as the evaluation names and runs it. */
const toPolicyUnderTest = resolvePolicy;

/** Most failure schedules of a simulated evaluation (evaluate.schedules, --schedules): each is one run of every policy over the whole trace. */
export const MAX_SCHEDULES = 1000;

/** Names listed more than once, once each ("static:30s" and "static:30000" are one policy). */
function repeatedPolicies(entries: readonly string[]): string[] {
  const names = entries.filter((v) => policyProblem(v, true) === undefined).map((v) => toPolicyUnderTest(v).name);
  return [...new Set(names.filter((n, i) => names.indexOf(n) !== i))];
}

/**
 * A list of policies to evaluate (`--policies khaos+,khaos@paced,static:30s`) resolved as
 * evaluate.policies is; `what` names the list in the message. Throws `bad-input` naming every bad
 * entry and every repeated policy at once.
 */
export function resolvePolicyList(entries: readonly string[], what: string): PolicyUnderTest[] {
  const problems = entries.flatMap((v, i) => {
    const p = policyProblem(v, true);
    return p ? [`entry ${i + 1}: ${p}`] : [];
  });
  if (entries.length === 0) problems.push('no policy listed');
  for (const n of repeatedPolicies(entries)) problems.push(`${n} is listed more than once`);
  if (problems.length > 0) throw badInput(`${what}: ${problems.join('; ')}`, `list policies separated by commas: ${policyNameList('and')}, e.g. khaos+,khaos+@restart,static:30s`);
  return entries.map(toPolicyUnderTest);
}

/** evaluate.policies and staticIntervals together; both empty is no list yet (`--policies` may give it), not an error here. */
const evaluatedPolicies = (entries: readonly string[]): PolicyUnderTest[] => (entries.length === 0 ? [] : resolvePolicyList(entries, 'evaluate.policies'));

/** The keys of job that describe an own job. */
const OWN_JOB_KEYS = ['jar', 'jarURI', 'entryClass', 'args'] as const;

/** The job section's descriptor keys, as parsed. */
interface JobInput {
  kind?: JobName;
  jar?: string;
  jarURI?: string;
  entryClass?: string;
  args?: string[];
  input?: { template: unknown; seed?: number; key?: string } | { replayTopic: string };
  latency?: string;
  reconcile?: string;
  failureMarker?: boolean | string;
}

/** job.latency as written: output-timestamp, none or metric:<name>. */
const LATENCY = /^(output-timestamp|none|metric:(.+))$/;
/** job.reconcile as written: count-1to1, none or id-field:<dotted path>. */
const RECONCILE = /^(count-1to1|none|id-field:([^.\s]+(\.[^.\s]+)*))$/;

function jobLatency(v: string): JobLatency {
  const m = LATENCY.exec(v)!;
  return m[2] !== undefined ? { kind: 'metric', name: m[2] } : { kind: m[1] as 'output-timestamp' | 'none' };
}

function jobReconcile(v: string): JobReconcile {
  const m = RECONCILE.exec(v)!;
  return m[2] !== undefined ? { kind: 'id-field', path: m[2] } : { kind: m[1] as 'count-1to1' | 'none' };
}

/** job.input, job.latency, job.reconcile and job.failureMarker over the descriptor's own (a sample job's defaults, or an own job's). */
function withMeasurement(d: JobDescriptor, job: JobInput): JobDescriptor {
  const input: JobInputSpec | undefined =
    job.input === undefined ? d.input : 'replayTopic' in job.input ? { kind: 'replay-topic', topic: job.input.replayTopic } : { kind: 'template', ...job.input };
  const marker = job.failureMarker === undefined ? d.failureMarker : job.failureMarker === false ? undefined : { field: job.failureMarker === true ? 'id' : job.failureMarker };
  return {
    // A job.latency of its own is what a control run observes, not the sample's gauge.
    ...(job.latency === undefined ? d : { ...d, controlLatencyGauge: undefined }),
    ...(input === undefined ? {} : { input }),
    latency: job.latency === undefined ? d.latency : jobLatency(job.latency),
    reconcile: job.reconcile === undefined ? d.reconcile : jobReconcile(job.reconcile),
    ...(marker === undefined ? {} : { failureMarker: marker }),
  };
}

/** An own job measures latency from its output records' Kafka timestamps, checks no output and takes no markers, unless job.* says otherwise. */
const OWN_JOB_DEFAULTS = { latency: { kind: 'output-timestamp' }, reconcile: { kind: 'none' } } as const;

/** job.kind as written, or as implied: custom when an own job's keys are given, else iot. */
const jobKindOf = (job: JobInput): JobName =>
  job.kind ?? (OWN_JOB_KEYS.some((k) => job[k] !== undefined) ? 'custom' : 'iot');

/** What is wrong with the job's descriptor: own-job keys on a sample job, an own job's missing keys, its args' placeholders. */
function jobDescriptorProblems(job: JobInput): { key: string; message: string }[] {
  const kind = jobKindOf(job);
  if (kind !== 'custom') {
    return OWN_JOB_KEYS.filter((k) => job[k] !== undefined).map((key) => ({ key, message: `describes an own job, but job.kind is the sample job ${kind}; drop job.kind (or set it to custom) to run your own job, or drop job.${key}` }));
  }
  const problems: { key: string; message: string }[] = [];
  if (job.entryClass === undefined) problems.push({ key: 'entryClass', message: 'an own job (job.kind: custom) needs its main class, e.g. com.example.MyJob' });
  if (job.args === undefined) problems.push({ key: 'args', message: 'an own job (job.kind: custom) needs its args, with at least {groupId} and {txnPrefix}, e.g. [--bootstrap, "{bootstrap}", --group-id, "{groupId}", --txn-prefix, "{txnPrefix}"]' });
  else problems.push(...argsProblems(job.args).map((message) => ({ key: 'args', message })));
  if (job.jar === undefined && job.jarURI === undefined) problems.push({ key: 'jar', message: 'an own job needs job.jar (its jar on this machine) or job.jarURI (its jar in the image on Kubernetes)' });
  return problems;
}

/** The resolved job descriptor: the sample job's built-in one, or the own job as job.* describes it; flinkConf values as Flink reads them (strings). */
function jobDescriptor(job: JobInput & { flinkConf: Record<string, string | number | boolean> }, dedup: DedupOptions): JobDescriptor {
  const flinkConf = Object.freeze(Object.fromEntries(Object.entries(job.flinkConf).map(([k, v]) => [k, String(v)])));
  const kind = jobKindOf(job);
  if (kind !== 'custom') return Object.freeze(withMeasurement(builtInJob(kind, dedup, flinkConf), job));
  const own: JobDescriptor = { name: kind, ...(job.jar === undefined ? {} : { jar: job.jar }), ...(job.jarURI === undefined ? {} : { jarURI: job.jarURI }), entryClass: job.entryClass!, args: Object.freeze([...job.args!]), flinkConf, ...OWN_JOB_DEFAULTS };
  return Object.freeze(withMeasurement(own, job));
}

/** A failure type of the registry; any other name is refused with the registry's names. */
const failureType = z.enum(FAILURE_TYPES, { error: (issue) => `unknown failure type ${JSON.stringify(issue.input)}; use ${failureTypeList()}` });

/** Optional overrides of some fluid parameters, one level deep, in the fluid model's own units. */
const simOverrides = z
  .object({
    capacityEps: z.number().optional(),
    checkpoint: z.object({ baseMs: z.number(), bytesPerSec: z.number(), capacityLoss: z.number(), latencyMs: z.number() }).partial().strict().optional(),
    detectionSec: z.object(Object.fromEntries(FAILURE_TYPES.map((t) => [t, z.number()])) as Record<FailureType, z.ZodNumber>).partial().strict().optional(),
    restartSec: z.number().optional(),
    restore: z.object({ baseSec: z.number(), bytesPerSec: z.number() }).partial().strict().optional(),
    savepoint: z.object({ baseMs: z.number() }).partial().strict().optional(),
    relaunchSec: z.number().optional(),
    latency: z.object({ baseMs: z.number(), perCiMs: z.number(), queueMsEps: z.number() }).partial().strict().optional(),
    state: z.object({ baseBytes: z.number(), bytesPerEvent: z.number(), windowSec: z.number() }).partial().strict().optional(),
    /** A stored calibration (`khaos sim calibrate`): its parameters are the base of the others. */
    calibration: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((v, ctx) => {
    try {
      fluidParams(v as FluidParamsOverrides);
    } catch (e) {
      if (!(e instanceof KhaosError)) throw e;
      ctx.addIssue({ code: 'custom', message: e.message, input: v });
    }
  });

/** Kubernetes names: DNS-1123 labels (lowercase letters, digits and dashes). */
const k8sName = (def: string, description: string) => z.string().regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, 'a Kubernetes name: lowercase letters, digits and dashes').default(def).describe(description);

/** Where and how Khaos runs replicas on Kubernetes (Flink Kubernetes Operator, Chaos Mesh): docs/kubernetes.md. */
const k8sSection = z
  .object({
    namespace: k8sName('khaos', 'Namespace of the FlinkDeployments, PodChaos objects and Khaos’s own Role'),
    image: z.string().min(1).default('flink:2.2.1-java17').describe('Container image of the job replicas: Flink 2.2 with the jobs jar inside'),
    jarURI: z.string().min(1).default('local:///opt/flink/usrlib/khaos-jobs.jar').describe('Where the jobs jar is in the image (FlinkDeployment spec.job.jarURI)'),
    flinkVersion: z.enum(['v2_0', 'v2_1', 'v2_2']).default('v2_2').describe('FlinkDeployment spec.flinkVersion (operator 1.15 accepts up to v2_2)'),
    kafkaBootstrap: z.string().min(1).default('kafka.kafka.svc:9092').describe('Kafka bootstrap servers as the replicas’ pods reach them'),
    stateDir: z.string().min(1).default('s3://khaos/flink').describe('Durable storage for checkpoints and savepoints (upgradeMode savepoint needs it), one folder per replica'),
    flinkServiceAccount: k8sName('flink', 'Service account the operator runs the Flink pods with'),
    serviceAccount: k8sName('khaos', 'Service account of Khaos itself, bound to its least-privilege Role'),
    jobManagerCpu: z.number().positive().default(0.5).describe('JobManager CPU, cores'),
    jobManagerMemory: z.string().regex(/^[0-9]+(m|g|Mi|Gi)$/, 'a size like 1024m or 1Gi').default('1024m').describe('JobManager memory (Flink size: 1024m, 1g)'),
    taskManagerCpu: z.number().positive().default(1).describe('TaskManager CPU, cores'),
    taskManagerMemory: z.string().regex(/^[0-9]+(m|g|Mi|Gi)$/, 'a size like 1024m or 1Gi').default('1024m').describe('TaskManager memory (Flink size: 1024m, 1g)'),
    kubeconfig: z.string().min(1).optional().describe('The kubeconfig Khaos uses (its current context, or k8s.context): a bearer token and the API server’s CA; unset, $KUBECONFIG, then ~/.kube/config'),
    context: z.string().min(1).optional().describe('The kubeconfig context to use; unset, its current-context'),
    khaosKafkaBootstrap: z.string().min(1).optional().describe('Kafka bootstrap servers as Khaos itself reaches them (the replay, task-exception markers, committed output); unset, kafkaBootstrap'),
    restUrlTemplate: z
      .string()
      .regex(/^https?:\/\/.*\{name\}/, 'an http(s) URL template containing {name}, e.g. https://{name}.flink.example.com')
      .optional()
      .describe('How Khaos reaches each JobManager’s REST: a URL with {name} (the FlinkDeployment) and {namespace} filled in, for an ingress or a port-forward; unset, through the API server’s service proxy (<server>/api/v1/namespaces/{namespace}/services/{name}-rest:8081/proxy)'),
  })
  .strict()
  .prefault({});

/**
 * The one config schema. Each option has a type, a default and a one-line description (the
 * reference in docs/config.md is generated from it); durations are written "30s" and resolved
 * to …Ms numbers.
 */
export const configSchema = z
  .object({
    stack: z
      .object({
        name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'lowercase letters, digits and dashes').default('default').describe('Stack name: its directory under .khaos/stacks and the marker on its processes'),
        kafkaPort: z.number().int().min(1024).max(65535).optional().describe('Kafka broker port on loopback; unset picks a free port'),
        kafkaHeapMb: z.number().int().min(128).max(4096).default(512).describe('Kafka broker JVM heap, MiB'),
        partitions: z.number().int().min(1).max(64).default(4).describe('Partitions of the topics Khaos creates'),
        jobManagerHeapMb: z.number().int().min(128).max(4096).default(256).describe('JobManager JVM heap, MiB'),
        taskHeapMb: z.number().int().min(64).max(4096).default(160).describe('TaskManager task heap, MiB (the JVM gets 64 MiB more for the framework)'),
        managedMb: z.number().int().min(16).max(4096).default(64).describe('TaskManager managed memory (RocksDB), MiB'),
        spareTaskManagers: z.number().int().min(0).max(4).default(1).describe('Idle TaskManagers per replica, so a killed one’s tasks reschedule at once'),
        heartbeatInterval: duration('1s', 'Flink heartbeat.interval'),
        heartbeatTimeout: duration('5s', 'Flink heartbeat.timeout: how long until a silent TaskManager is declared lost'),
        restartDelay: duration('1s', 'Flink fixed-delay restart strategy delay'),
        webTimeout: duration('5s', 'Flink web.timeout (Flink: 10 min): bounds each metric query the REST endpoint sends a TaskManager. A TaskManager killed while answering one freezes every REST metric of its job this long, since Flink fetches again only once all queries ended'),
        startTimeout: duration('180s', 'How long a replica may take to reach RUNNING'),
        savepointTimeout: duration('120s', 'How long a stop-with-savepoint may take'),
      })
      .strict()
      .prefault({}),
    job: z
      .object({
        kind: z
          .enum([...JOB_KINDS, 'custom'])
          .optional()
          .describe('Which job: a sample job, iot (vehicles), ysb (advertising) or dedup (click deduplication over a retention: state grows with rate × retention), or custom, your own job described by jar / jarURI / entryClass / args. Unset: custom when any of those is given, else iot'),
        jar: z.string().min(1).optional().describe('Own job: its jar on this machine (local replicas)'),
        jarURI: z.string().min(1).optional().describe('Own job: its jar in the image on Kubernetes (FlinkDeployment spec.job.jarURI), e.g. local:///opt/flink/usrlib/my-job.jar'),
        entryClass: z.string().min(1).optional().describe('Own job: its main class'),
        args: z
          .array(z.string())
          .optional()
          .describe(`Own job: its program arguments; Khaos fills ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')} per replica (a placeholder may sit inside an argument, e.g. --group={groupId}). {groupId} and {txnPrefix} are required, so that no two replicas share a consumer group or a transaction prefix`),
        input: z
          .union([
            z.object({ template: z.union([z.string(), z.record(z.string(), z.unknown())]), seed: z.number().int().optional(), key: z.string().min(1).optional() }).strict(),
            z.object({ replayTopic: z.string().min(1) }).strict(),
          ])
          .optional()
          .describe(`What Khaos writes into the input topic at the trace's rates: {template: <JSON object or string>, seed?, key?}, a record per event where every string value that is exactly one generator (${TEMPLATE_GENERATORS.join(', ')}) is drawn anew, seeded (seed, else replay.seed), key a dotted path to the Kafka key (unset: records spread over 4,096 keys); or {replayTopic: <topic>}, the records of an existing topic on the stack's Kafka, copied in order and re-timed to the trace's rates (looping when the trace needs more). Unset: a sample job's own generator; an own job needs it to be profiled, evaluated or demonstrated`),
        latency: z
          .string()
          .regex(LATENCY, 'output-timestamp, none or metric:<name>')
          .optional()
          .describe('How latency is measured: output-timestamp (each committed output record from its Kafka timestamp to when a read_committed consumer saw it; the sample jobs use the window end their records carry), metric:<name> (a Flink metric, a name suffix on any vertex, read over REST), or none (not measured: no latency model is fitted). Unset: output-timestamp'),
        reconcile: z
          .string()
          .regex(RECONCILE, 'count-1to1, none or id-field:<dotted path>')
          .optional()
          .describe('How committed output is checked against input after a run: count-1to1 (one output record per input record), id-field:<path> (every input id, at this dotted path of the JSON record, in the output exactly once), or none (reports say "not checked"). Unset: the sample jobs check their audit topic; an own job, none'),
        failureMarker: z
          .union([z.boolean(), z.string().min(1)])
          .optional()
          .describe('Whether the job\'s "parse" operator throws on Khaos\'s task-exception marker ({"<field>":"__fail__","failAtAttempt":n,"groupId":g}, thrown only by the subtask at that attempt in that consumer group): true (field id) or the field\'s name; the exception failure type needs it. Unset: true for the sample jobs, false for an own job'),
        flinkConf: z
          .record(z.string(), z.union([z.string(), z.number(), z.boolean()]))
          .superRefine((c, ctx) => {
            const heap = c[TASK_HEAP_KEY];
            if (heap !== undefined && flinkMemoryMb(String(heap)) === undefined) ctx.addIssue({ code: 'custom', path: [TASK_HEAP_KEY], message: `${JSON.stringify(heap)} is not a memory size; write it as Flink does, e.g. 3000m or 3g (a local TaskManager's JVM heap follows it)` });
          })
          .default({})
          .describe('Flink options of the job (sample or own), merged over Khaos’s own and over a sample job’s own defaults (dedup: state.backend.rocksdb.use-bloom-filter true); the keys Khaos sets for its measurements (checkpoint interval and directories, restart strategy, heartbeats, metrics.fetcher.update-interval, web.timeout, …) keep Khaos’s values, and a warning names each one given here'),
        parallelism: z.number().int().min(1).max(8).default(2).describe('Job parallelism = TaskManagers (one slot each)'),
        checkpointInterval: duration('5s', 'Checkpoint interval the job starts with'),
        dedupRetention: duration(`${DEDUP_DEFAULTS.retentionMs / 1000}s`, 'dedup job: how long (event time) an id is remembered after its first occurrence; state ≈ rate × (1 − dedupRepeatShare) × retention × (dedupStatePayloadBytes + ~105 B measured)'),
        dedupStatePayloadBytes: z.number().int().min(0).max(65_536).default(DEDUP_DEFAULTS.statePayloadBytes).describe('dedup job: bytes of state kept per remembered id'),
        dedupStateAttributes: z.number().int().min(0).max(256).default(DEDUP_DEFAULTS.stateAttributes).describe('dedup job: 0 keeps each id’s payload as one byte array; N keeps it as N named string attributes, as a job that keeps the parsed record does (with state.backend.type hashmap each checkpoint then serializes every string: a checkpoint costs CPU in proportion to the state)'),
        dedupRepeatShare: z.number().min(0).max(0.9).default(DEDUP_DEFAULTS.repeatShare).describe('dedup input: share of events that repeat a recent id (a producer retry), 0–0.9'),
        dedupRepeatMaxAge: duration(`${DEDUP_DEFAULTS.repeatMaxAgeMs / 1000}s`, 'dedup input: a repeat re-sends an id first sent at most this long before; below dedupRetention, so every repeat is dropped'),
      })
      .strict()
      .prefault({})
      .superRefine((v, ctx) => {
        for (const problem of jobDescriptorProblems(v)) ctx.addIssue({ code: 'custom', path: [problem.key], message: problem.message });
        if (v.input && 'template' in v.input) for (const message of templateProblems(v.input.template)) ctx.addIssue({ code: 'custom', path: ['input', 'template'], message: `${message}; see docs/config.md, job.input` });
        const ms = (d: string | number) => (durationProblem(d, false) ? undefined : parseDuration(d, 'duration'));
        const retentionMs = ms(v.dedupRetention);
        const ageMs = ms(v.dedupRepeatMaxAge);
        if (retentionMs !== undefined && ageMs !== undefined && ageMs >= retentionMs) {
          ctx.addIssue({ code: 'custom', path: ['dedupRepeatMaxAge'], message: `${JSON.stringify(v.dedupRepeatMaxAge)} is not below dedupRetention ${JSON.stringify(v.dedupRetention)}: a repeat after its id's retention comes out again; shorten dedupRepeatMaxAge or lengthen dedupRetention` });
        }
      }),
    replay: z
      .object({
        trace: z.string().default('nyc_taxi.csv').describe('Trace file: a path, or a file name in the shared workloads folder'),
        peakRateEps: z.number().positive().max(1_000_000).default(2000).describe('Rate at the trace’s peak percentile (its maximum by default), events/s'),
        peakPercentile: z.number().gt(0).max(100).default(100).describe('Which percentile of the trace is played at peakRateEps: 100 is its maximum (nothing goes above peakRateEps); 99 puts its usual peaks there, and the rarer bursts go above it'),
        compression: z.number().positive().default(300).describe('Trace seconds per wall second'),
        // 0 is the start of the trace (the default).
        startOffset: duration('0s', 'Where in the trace to start (trace time); 0s is its start', { allowZero: true }),
        duration: duration('150s', 'How long to replay (wall time)'),
        seed: z.number().int().default(42).describe('Seed of the event generator'),
      })
      .strict()
      .prefault({}),
    chaos: z
      .object({
        failure: failureType.default('kill').describe(`Failure type. ${FAILURE_TYPES.map((t) => `${t}: ${FAILURE_TYPE_REGISTRY[t].description}`).join('; ')}`),
        at: duration('60s', 'When to inject, in wall time since the replay started'),
        freezeFor: duration('20s', 'How long a freeze lasts'),
        recoveryTimeout: duration('180s', 'Give up waiting for a recovery after this long'),
      })
      .strict()
      .prefault({}),
    profile: z
      .object({
        intervals: z.array(durationValue()).min(1).max(8).default(['2s', '5s', '8s']).describe('Checkpoint intervals profiled in parallel, one replica each'),
        points: z.number().int().min(1).max(24).default(4).describe('Load levels, one injection point each (phase 1 on the replay trace)'),
        analysisWindow: duration('60s', 'Rolling-mean window of the steady-state analysis, wall time at the replay compression'),
        tolerance: z.number().positive().max(1).default(0.1).describe('Stability and level tolerance, relative to the rolling mean'),
        minSpacing: duration('600s', 'Least distance between injection points, wall time at the replay compression'),
        repetitions: z.number().int().min(1).max(20).default(1).describe('Failures per point and replica'),
        timing: z.enum(['before-checkpoint', 'after-checkpoint', 'random']).default('before-checkpoint').describe('When to inject relative to each replica’s checkpoints'),
        lead: duration('500ms', 'before-checkpoint: this long before the next checkpoint is due (after-checkpoint: after it)'),
        before: duration('30s', 'Replay before each injection: the baseline that defines normal'),
        after: duration('90s', 'Replay after each injection at most; a failure not recovered by then is a timeout'),
        sustain: duration('5s', 'Normal this long in a row ends a recovery'),
        sampleEvery: duration('1s', 'Sample each replica (state, lag, throughput) this often while profiling; finer times recoveries finer, at one REST round per replica per sample'),
        parallelism: z.number().int().min(1).max(4).default(1).describe('Parallelism of each replica'),
        injection: z.enum(['auto', 'side-by-side', 'staggered', 'one-at-a-time']).default('auto').describe('How a step breaks its replicas: side-by-side (all at once), staggered (one after another on the same replay, each once the previous recovered), one-at-a-time (each alone with its own replay); auto: staggered below 2 cores per replica'),
        levels: z.enum(['trace', 'probe']).default('trace').describe('Load levels: trace (phase 1 levels scaled by replay.peakRateEps) or probe (measure one replica’s sustainable throughput first, then place the points over loadRange of it)'),
        loadRange: z.tuple([z.number().gt(0).max(1), z.number().gt(0).max(1)]).default([0.3, 0.9]).refine(([a, b]) => a <= b, 'the first fraction must not exceed the second').describe('probe: the lowest and highest load level, fractions of the probed capacity'),
        probeStartEps: z.number().positive().max(1_000_000).default(500).describe('probe: first rate of the staircase, events/s (doubled until the lag grows, then bisected)'),
        probeHold: duration('30s', 'probe: the longest a rate is held (it ends earlier once throughput and lag are steady)'),
        actuator: z.enum(['flink', 'paced']).default('flink').describe('flink: the replicas checkpoint on Flink’s schedule (injections predicted from it); paced: Khaos triggers their checkpoints and times injections against them exactly'),
        fallbackInterval: duration('10min', 'paced: the replicas’ own Flink interval, longer than every profiled one'),
        aggregate: z.enum(['each', 'median']).default('each').describe('each: every failure is a sample; median: the repetitions at one point and interval give one sample, their median recovery (the original’s median-of-k)'),
        stepLoad: z.enum(['flat', 'window']).default('flat').describe('What a step replays: flat (the point’s rate held constant, the load it stands for) or window (the trace around the point, scaled, played back and forth). At a local time scale a trace’s half-hour buckets pass in seconds, so a window of the trace swings far from the point’s level within one step (measured: nyc_taxi at ×300, a point at 8,050 ev/s offered 7,000–22,600 ev/s in one step’s baselines)'),
        latency: z.enum(['output', 'gauge']).default('output').describe('Where a failure’s baseline p99 latency comes from: output (the committed output records, from when each became visible to a read_committed consumer back to its window’s end; includes the exactly-once commit wait) or gauge (the job’s e2eLatencyP99Ms gauge, which can go stale after a restart and leaves out the commit wait)'),
      })
      .strict()
      .prefault({}),
    control: z
      .object({
        policy: z
          .string()
          .default('khaos+')
          .superRefine((v, ctx) => {
            const problem = policyProblem(v, false);
            if (problem) ctx.addIssue({ code: 'custom', message: problem });
          })
          .describe(`Policy: ${policyNameList()} (docs/control.md)`),
        actuator: z.enum(['paced', 'restart']).default('paced').describe('How a change reaches the job: paced (Khaos triggers checkpoints, no outage) or restart (savepoint and relaunch)'),
        fallbackInterval: duration('60s', 'paced: the interval the job itself runs with, kept if Khaos stops'),
        dryRun: z.boolean().default(false).describe('Decide and record, never act'),
        tick: duration('1s', 'How often the controller samples the job'),
        statusEvery: duration('5s', 'How often a live line is printed'),
        window: duration('300s', 'Observation window: mean throughput and p99 latency over this long'),
        latencyTarget: duration('1000ms', 'Latency target: mean of p99 over the window'),
        recoveryTarget: duration('240s', 'Recovery-time target'),
        evaluateEvery: duration('300s', 'Policy evaluation cadence'),
        afterChange: duration('600s', 'Wait this long after a change before evaluating again'),
        // 0 evaluates from the first tick: how short local runs, tests and benchmarks skip the wait.
        minUptime: duration('600s', 'Do not evaluate before the job has run this long; 0s evaluates from the first tick', { allowZero: true }),
        correctionEvaluations: z.number().int().min(1).max(100).default(6).describe('khaos: latency correction over this many evaluations'),
        candidateMin: duration('10s', 'Shortest candidate interval'),
        candidateMax: duration('119s', 'Longest candidate interval'),
        candidateStep: duration('1s', 'Step between candidate intervals'),
        minChange: duration('5s', 'Smaller changes are not applied'),
        recoveryIntervalLevel: z.number().gt(0).lt(1).default(0.8).describe('khaos+: recovery is judged by the upper bound of this central prediction interval'),
        forecast: z.boolean().default(true).describe('khaos+: judge recovery at the forecast input rate when higher'),
        forecastHorizon: duration('600s', 'How far ahead the input-rate forecast looks'),
        forecastHistory: duration('1800s', 'Input-rate history the forecast is fitted on'),
        objective: z
          .enum(['expected-violation', 'minimax'])
          .default('expected-violation')
          .describe('khaos+: how candidate intervals are ranked: expected-violation = the violation seconds expected over costHorizon (latency over target for a share of the horizon that grows with its excess, recovery beyond target once per expected failure; ties go to the minimax); minimax = 2·max(latency/target, recovery/target) alone (the original objective)'),
        hysteresis: z.number().min(0).max(0.9).default(0.1).describe('khaos+: a change must improve the objective by this fraction'),
        maxChanges: z.number().int().min(1).max(1000).default(4).describe('khaos+: at most this many changes per rateWindow'),
        rateWindow: duration('3600s', 'khaos+: window of the change rate limit'),
        restartDowntime: duration('8500ms', 'khaos+ with the restart actuator: outage of one reconfiguration (measured median 8.5 s locally)'),
        costHorizon: duration('3600s', 'khaos+: horizon over which expected violations are weighed (the objective; with the restart actuator, against a change’s outage)'),
        mtbf: durationValue().optional().describe('young-daly: mean time between failures; unset = observed'),
        mtbfPrior: duration('86400s', 'young-daly: MTBF assumed until a failure is observed'),
        backlogBaseInterval: duration('30s', 'flink-backlog: interval while there is no backlog'),
        backlogInterval: duration('119s', 'flink-backlog: interval while the lag is above the threshold'),
        backlogLagThreshold: duration('10s', 'flink-backlog: lag threshold in seconds of current input'),
        recoveryTimeout: duration('600s', 'Give up measuring a production failure’s recovery after this long'),
        samples: z.string().optional().describe('Failure samples CSV (khaos profile export) the models are fitted from at start'),
        latencyModel: z.string().optional().describe('Latency model file (khaos models fit); with recoveryModel, instead of samples'),
        recoveryModel: z.string().optional().describe('Recovery model file (khaos models fit)'),
        learning: z.boolean().default(true).describe('Refit the models with each measured production failure'),
        learningWindow: z.number().int().min(4).max(10_000).default(200).describe('Refit on at most this many newest samples'),
        sourceVertex: z.string().default('kafka-source').describe('Fragment of the source vertex name (input rate and lag)'),
        latencyMetric: z.string().default('e2eLatencyP99Ms').describe('Suffix of the p99 latency metric on any vertex: the sample jobs\' gauge (an own job\'s latency is read as job.latency says)'),
        kills: z.array(durationValue()).default([]).describe('Local run only: TaskManager kills at these wall times after the replay starts'),
      })
      .strict()
      .prefault({}),
    evaluate: z
      .object({
        policies: z
          .array(
            z.string().superRefine((v, ctx) => {
              const problem = policyProblem(v, true);
              if (problem) ctx.addIssue({ code: 'custom', message: problem });
            }),
          )
          .default(POLICY_REGISTRY.filter((e) => e.defaultActuator !== undefined).map((e) => e.grammar))
          .describe(`Policies compared: ${policyNameList()}, each that changes the interval optionally with @paced or @restart (default actuators: docs/evaluate.md)`),
        staticIntervals: z.array(durationValue()).default(['10s', '30s', '60s', '120s']).describe('Static intervals compared beside the policies, each as static:<interval>'),
        schedules: z.number().int().min(1).max(MAX_SCHEDULES).default(20).describe('Seeded failure schedules; each policy runs once per schedule over the whole trace'),
        failuresPerSchedule: z.number().int().min(1).max(10_000).default(10).describe('Failures in each schedule'),
        minSpacing: duration('1h', 'Least distance between failures, and from either end of the trace (simulated time)'),
        seed: z.number().int().default(42).describe('Seed of the failure schedules'),
        failure: failureType.default('kill').describe(`Failure type: ${failureTypeList()} (${TIMED_FAILURE_TYPES.join(', ')} lasting until detected)`),
        latencyWindow: duration('300s', 'Window of latencyWindowViolationShare: a second violates when the mean p99 over this long (whole seconds) exceeds control.latencyTarget (300s: the paper\'s 5-minute mean); latencyViolationShare is always per second'),
        oracle: z.boolean().default(true).describe('--sim only: also run the load oracle (knows the coming load, not the failures; docs/evaluate.md), the limit a load-forecasting policy is measured against'),
        sim: simOverrides.default({}).describe('Simulated job: overrides of the fluid parameters (src/core/sim/fluid-params.ts, units in the names), e.g. {capacityEps: 30000, checkpoint: {capacityLoss: 0.05}}; calibration: <id> of `khaos sim calibrate` takes its parameters as the base of the overrides'),
        real: z
          .object({
            mode: z.enum(['sequential', 'side-by-side']).default('sequential').describe('Real stack: replicas one after another on the same replayed input (default: on a small machine side-by-side replicas slow each other’s recoveries 2–4×), or side by side on one replay'),
            failures: z.number().int().min(0).max(100).default(4).describe('Real stack: TaskManager kills per run, placed with evaluate.seed unless kills is given'),
            minSpacing: duration('30s', 'Real stack: least distance between kills, and from the start and end of the replay (wall time)'),
            kills: z.array(durationValue()).optional().describe('Real stack: kill times after the warm-up ends (wall time), instead of drawing them; the same in every run'),
            drain: duration('30s', 'Real stack: keep measuring this long after the replay ends (the last recovery)'),
            warmup: duration('20s', 'Real stack: replay this long at the start of every run, unscored and without kills (cold JVMs), before the scored window of replay.duration', { allowZero: true }),
            repeats: z.number().int().min(1).max(100).default(3).describe('Real stack: runs of each policy; run k of every policy gets the same slice and kills, and the report pairs them by k'),
            orderSeed: z.number().int().default(42).describe('Real stack: seed of the random order of the runs (every policy × repeat), printed and recorded before the first'),
            varyKills: z.boolean().default(false).describe('Real stack: draw the kills of each repeat k anew with evaluate.seed (false: the same drawn kills in every run)'),
          })
          .strict()
          .prefault({})
          .describe('The real-stack run of `khaos evaluate` (without --sim): replay (replay.*) of the trace into the job (job.*) under each policy, control.* for the controller'),
        workers: z.number().int().min(0).max(256).default(0).describe('Threads the runs are spread over; 0: one per core when there is much to simulate, else 1 (in-process)'),
        out: z.string().min(1).default('khaos-evaluate').describe('Directory of evaluate.json, report.md and its SVG plots'),
      })
      .strict()
      .superRefine((v, ctx) => {
        const ms = durationProblem(v.latencyWindow, false) ? undefined : parseDuration(v.latencyWindow, 'evaluate.latencyWindow');
        if (ms !== undefined && ms % 1000 !== 0) ctx.addIssue({ code: 'custom', path: ['latencyWindow'], message: `${JSON.stringify(v.latencyWindow)} is not whole seconds` });
        const statics = v.staticIntervals.filter((d) => !durationProblem(d, false)).map((d) => `static:${d}`);
        for (const n of repeatedPolicies([...v.policies, ...statics])) ctx.addIssue({ code: 'custom', path: ['policies'], message: `${n} is listed more than once (policies and staticIntervals together)` });
      })
      .prefault({}),
    platform: z.enum(['local', 'kubernetes']).default('local').describe('Where `khaos profile` and `khaos evaluate` (without --sim) run their replicas: local (Kafka and Flink JVMs on this machine, started and stopped by Khaos) or kubernetes (FlinkDeployments through the Flink Kubernetes Operator, failures through Chaos Mesh; see k8s.* and docs/kubernetes.md)'),
    k8s: k8sSection,
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;

/** Durations compiled to milliseconds; everything frozen. */
export function resolveConfig(input: unknown) {
  const parsed = configSchema.safeParse(input ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `  ${i.path.join('.') || '(root)'}: ${i.message}`).join('\n');
    throw new KhaosError('bad-input', `config has ${parsed.error.issues.length} problem(s):\n${problems}`, 'see docs/config.md for every option');
  }
  const c = parsed.data;
  // Cannot throw: the schema has checked every duration.
  const d = (v: string | number, what: string) => parseDuration(v, what);
  return Object.freeze({
    stack: Object.freeze({
      ...c.stack,
      heartbeatIntervalMs: d(c.stack.heartbeatInterval, 'stack.heartbeatInterval'),
      heartbeatTimeoutMs: d(c.stack.heartbeatTimeout, 'stack.heartbeatTimeout'),
      restartDelayMs: d(c.stack.restartDelay, 'stack.restartDelay'),
      webTimeoutMs: d(c.stack.webTimeout, 'stack.webTimeout'),
      startTimeoutMs: d(c.stack.startTimeout, 'stack.startTimeout'),
      savepointTimeoutMs: d(c.stack.savepointTimeout, 'stack.savepointTimeout'),
    }),
    job: resolveJob(c.job, d),
    replay: Object.freeze({ ...c.replay, startOffsetSec: d(c.replay.startOffset, 'replay.startOffset') / 1000, durationSec: Math.round(d(c.replay.duration, 'replay.duration') / 1000) }),
    profile: Object.freeze({
      ...c.profile,
      intervalsMs: c.profile.intervals.map((v, i) => d(v, `profile.intervals[${i}]`)),
      analysisWindowSec: d(c.profile.analysisWindow, 'profile.analysisWindow') / 1000,
      minSpacingSec: d(c.profile.minSpacing, 'profile.minSpacing') / 1000,
      leadMs: d(c.profile.lead, 'profile.lead'),
      beforeSec: Math.round(d(c.profile.before, 'profile.before') / 1000),
      afterSec: Math.round(d(c.profile.after, 'profile.after') / 1000),
      sustainSec: Math.round(d(c.profile.sustain, 'profile.sustain') / 1000),
      sampleEveryMs: d(c.profile.sampleEvery, 'profile.sampleEvery'),
      probeHoldSec: Math.round(d(c.profile.probeHold, 'profile.probeHold') / 1000),
      fallbackIntervalMs: d(c.profile.fallbackInterval, 'profile.fallbackInterval'),
    }),
    control: resolveControl(c.control),
    chaos: Object.freeze({
      ...c.chaos,
      atSec: Math.round(d(c.chaos.at, 'chaos.at') / 1000),
      freezeForMs: d(c.chaos.freezeFor, 'chaos.freezeFor'),
      recoveryTimeoutMs: d(c.chaos.recoveryTimeout, 'chaos.recoveryTimeout'),
    }),
    evaluate: Object.freeze({
      ...c.evaluate,
      /** evaluate.policies, then static:<interval> for each of staticIntervals. */
      /** Empty when both lists are: `--policies` then names them (the command refuses if it does not). */
      evaluated: evaluatedPolicies([...c.evaluate.policies, ...c.evaluate.staticIntervals.map((v) => `static:${v}`)]),
      minSpacingSec: d(c.evaluate.minSpacing, 'evaluate.minSpacing') / 1000,
      latencyWindowSec: d(c.evaluate.latencyWindow, 'evaluate.latencyWindow') / 1000,
      params: fluidParams(c.evaluate.sim as FluidParamsOverrides),
      real: Object.freeze({
        ...c.evaluate.real,
        minSpacingSec: d(c.evaluate.real.minSpacing, 'evaluate.real.minSpacing') / 1000,
        killsSec: c.evaluate.real.kills?.map((k, i) => d(k, `evaluate.real.kills[${i}]`) / 1000),
        drainMs: d(c.evaluate.real.drain, 'evaluate.real.drain'),
        warmupSec: Math.round(d(c.evaluate.real.warmup, 'evaluate.real.warmup') / 1000),
      }),
    }),
    platform: c.platform,
    k8s: Object.freeze({ ...c.k8s }),
  });
}

export type KhaosConfig = ReturnType<typeof resolveConfig>;

/** The job section: its kind (as written or implied), durations in ms, the dedup settings in one piece and the resolved descriptor. */
function resolveJob(c: z.infer<typeof configSchema>['job'], d: (v: string | number, what: string) => number) {
  /** The dedup job's settings in one piece, as its replicas and generator take them. */
  const dedup = Object.freeze({
    retentionMs: d(c.dedupRetention, 'job.dedupRetention'),
    statePayloadBytes: c.dedupStatePayloadBytes,
    stateAttributes: c.dedupStateAttributes,
    repeatShare: c.dedupRepeatShare,
    repeatMaxAgeMs: d(c.dedupRepeatMaxAge, 'job.dedupRepeatMaxAge'),
  });
  return Object.freeze({
    ...c,
    kind: jobKindOf(c),
    checkpointIntervalMs: d(c.checkpointInterval, 'job.checkpointInterval'),
    dedup,
    /** How every replica of the job starts (core/jobs.ts). */
    descriptor: jobDescriptor(c, dedup),
    /** job.flinkConf keys whose values Khaos's own replace (KHAOS_FLINK_KEYS): the CLI names them in a warning. */
    flinkConfOverridden: overriddenFlinkKeys(c.flinkConf),
  });
}

/** The control section in ms; `static:5s` becomes `static:5000` (policies take ms). */
function resolveControl(c: z.infer<typeof configSchema>['control']) {
  const d = (v: string | number, what: string) => parseDuration(v, `control.${what}`);
  return Object.freeze({
    ...c,
    policy: parsePolicy(c.policy).spec.policy,
    fallbackIntervalMs: d(c.fallbackInterval, 'fallbackInterval'),
    tickMs: d(c.tick, 'tick'),
    statusEveryMs: d(c.statusEvery, 'statusEvery'),
    windowMs: d(c.window, 'window'),
    recoveryTimeoutMs: d(c.recoveryTimeout, 'recoveryTimeout'),
    forecastHorizonMs: d(c.forecastHorizon, 'forecastHorizon'),
    forecastHistoryMs: d(c.forecastHistory, 'forecastHistory'),
    killsSec: c.kills.map((k, i) => d(k, `kills[${i}]`) / 1000),
    options: Object.freeze({
      latencyTargetMs: d(c.latencyTarget, 'latencyTarget'),
      recoveryTargetS: d(c.recoveryTarget, 'recoveryTarget') / 1000,
      evaluateEveryMs: d(c.evaluateEvery, 'evaluateEvery'),
      afterChangeMs: d(c.afterChange, 'afterChange'),
      minUptimeMs: d(c.minUptime, 'minUptime'),
      correctionEvaluations: c.correctionEvaluations,
      candidateMinMs: d(c.candidateMin, 'candidateMin'),
      candidateMaxMs: d(c.candidateMax, 'candidateMax'),
      candidateStepMs: d(c.candidateStep, 'candidateStep'),
      minChangeMs: d(c.minChange, 'minChange'),
      recoveryIntervalLevel: c.recoveryIntervalLevel,
      useForecast: c.forecast,
      objective: c.objective,
      hysteresis: c.hysteresis,
      maxChanges: c.maxChanges,
      rateWindowMs: d(c.rateWindow, 'rateWindow'),
      restartDowntimeMs: d(c.restartDowntime, 'restartDowntime'),
      costHorizonMs: d(c.costHorizon, 'costHorizon'),
      mtbfMs: c.mtbf === undefined ? undefined : d(c.mtbf, 'mtbf'),
      mtbfPriorMs: d(c.mtbfPrior, 'mtbfPrior'),
      backlogBaseIntervalMs: d(c.backlogBaseInterval, 'backlogBaseInterval'),
      backlogIntervalMs: d(c.backlogInterval, 'backlogInterval'),
      backlogLagThresholdS: d(c.backlogLagThreshold, 'backlogLagThreshold') / 1000,
    }),
  });
}
