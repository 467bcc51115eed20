import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { CsvRateSource } from './adapters/files/csv-rate-source.js';
import { joinRuns, openSitting, RUNS_FILE } from './adapters/files/evaluation-run-files.js';
import type { EvaluationRuns } from './ports/evaluation-runs.js';
import { KafkajsMessageBus } from './adapters/kafka/kafkajs-message-bus.js';
import { readCommittedWithJava } from './adapters/kafka/java-committed-reader.js';
import { KafkaTopicRateSource } from './adapters/kafka/topic-rate-source.js';
import { PrometheusRateSource, type PrometheusRangeQuery } from './adapters/prometheus/prometheus-rate-source.js';
import { RestFlinkEngine } from './adapters/flink-rest/rest-flink-engine.js';
import { LocalStack, listStacks, stackDown } from './adapters/local/local-stack.js';
import { ProcessFailureInjector } from './adapters/local/process-failure-injector.js';
import { SystemClock } from './adapters/system/clock.js';
import { isAlive } from './adapters/system/processes.js';
import { SqliteProfileStore } from './adapters/sqlite/sqlite-profile-store.js';
import { SqliteControlStore } from './adapters/sqlite/sqlite-control-store.js';
import type { LocalControlDeps } from './app/control/local-run.js';
import { modelsFromFiles } from './app/control/control-models.js';
import { latestCapacityProbe } from './app/capacity-probe.js';
import type { MeasuredCapacity } from './app/evaluate-real.js';
import type { PlatformName } from './report/real-evaluate-report.js';
import { requireJavaAndMaven, resolveClasspath } from './adapters/local/maven.js';
import { RestartActuator } from './app/control/restart-actuator.js';
import type { ModelInputs, SessionTarget } from './app/control/session.js';
import { asIdentity, identityFromCsv, jobIdentity, type JobIdentity } from './core/job-identity.js';
import { jarProblem, type JobDescriptor } from './core/jobs.js';
import { jarEntries } from './adapters/files/jar-entries.js';
import { parseSamplesCsv } from './core/profiling/samples.js';
import type { ControlStore } from './ports/control-store.js';
import type { DashboardSources } from './app/dashboard/data.js';
import type { EvaluationFiles } from './app/dashboard/evaluations.js';
import type { FlinkEngine } from './ports/flink-engine.js';
import crypto from 'node:crypto';
import YAML from 'yaml';
import { K8sApi } from './adapters/k8s/api.js';
import { KubernetesFailureInjector } from './adapters/k8s/failure-injector.js';
import { kubeconfigPath } from './adapters/k8s/kubeconfig.js';
import { KubernetesOrchestrator } from './adapters/k8s/orchestrator.js';
import { FlinkDeploymentRestEngine, FlinkDeploymentTarget } from './adapters/k8s/flink-deployment-target.js';
import type { ManagedDeployment } from './ports/managed-deployment.js';
import { CrdValidator, crdsOf } from './core/k8s/validate.js';
import type { MessageBus } from './ports/message-bus.js';
import { badInput, KhaosError } from './core/errors.js';
import { parseTraceCsv, type Trace } from './core/load/trace.js';
import type { Platform } from './app/platform.js';
import type { KhaosConfig } from './config/schema.js';
import type { RateSource } from './ports/rate-source.js';

/** The only file that picks adapters: the local platform of JVM processes on this machine, or Kubernetes. */
export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const khaosHome = () => process.env.KHAOS_HOME ?? path.join(repoRoot, '.khaos');
export const workloadsDir = () => process.env.KHAOS_WORKLOADS ?? path.resolve(repoRoot, '..', 'shared', 'workloads');

/**
 * The one trace lookup: the path as given, then (unless it is absolute) the same name in the
 * workloads folder (`dir`, default the shared one). Throws KhaosError('bad-input') naming the
 * traces there when neither is a file.
 */
export function findTraceFile(nameOrPath: string, dir = workloadsDir()): string {
  const candidates = path.isAbsolute(nameOrPath) ? [nameOrPath] : [nameOrPath, path.join(dir, nameOrPath)];
  const file = candidates.find((f) => fs.existsSync(f) && fs.statSync(f).isFile());
  if (file) return file;
  let known: string[] = [];
  try {
    known = fs.readdirSync(dir).filter((f) => f.endsWith('.csv')).sort();
  } catch {
    // no workloads folder: the hint below says where it was looked for
  }
  throw badInput(`trace "${nameOrPath}" not found (looked at ${candidates.join(', ')})`, known.length > 0 ? `give a CSV path or one of: ${known.join(', ')}` : `give a CSV path or a file name in ${dir}`);
}

export function loadTrace(nameOrPath: string, dir = workloadsDir()): Trace {
  const file = findTraceFile(nameOrPath, dir);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw badInput(`trace ${file} cannot be read: ${(e as Error).message}`, 'give a readable CSV with a time column and a value column');
  }
  return parseTraceCsv(text, path.basename(file));
}

/** A rate history for the steady-state analysis: a CSV trace, a Prometheus range query or a Kafka topic. */
export type RateSourceSpec =
  | { kind: 'trace'; nameOrPath: string; workloadsDir?: string }
  | ({ kind: 'prometheus' } & PrometheusRangeQuery)
  | { kind: 'kafka'; bootstrap: string; topic: string };

/**
 * The adapter for a rate source, with a short name of the source (for file names) and, when it
 * holds a client, `close` to call once loaded. Throws KhaosError('bad-input') for a trace that is
 * not found (see findTraceFile); the sources themselves connect only in load().
 */
export function rateSourceFor(spec: RateSourceSpec): { source: RateSource; name: string; close?: () => Promise<void> } {
  switch (spec.kind) {
    case 'prometheus': {
      const { url, query, startSec, endSec, stepSec } = spec;
      return { source: new PrometheusRateSource({ url, query, startSec, endSec, stepSec }), name: 'prometheus' };
    }
    case 'kafka': {
      const bus = new KafkajsMessageBus(spec.bootstrap);
      return { source: new KafkaTopicRateSource(bus, spec.topic), name: `kafka-${spec.topic}`, close: () => bus.close() };
    }
    case 'trace': {
      const file = findTraceFile(spec.nameOrPath, spec.workloadsDir);
      return { source: new CsvRateSource(file), name: path.basename(file).replace(/\.csv$/i, '') };
    }
  }
}

export async function startLocalStack(config: KhaosConfig, progress: (l: string) => void, owned: boolean): Promise<LocalStack> {
  const s = config.stack;
  return LocalStack.up(
    {
      name: s.name,
      home: khaosHome(),
      repoRoot,
      ownerPid: owned ? process.pid : undefined,
      savepointTimeoutMs: s.savepointTimeoutMs,
      kafka: { port: s.kafkaPort, heapMb: s.kafkaHeapMb, partitions: s.partitions, startTimeoutMs: s.startTimeoutMs },
      flink: {
        spareTaskManagers: s.spareTaskManagers,
        heartbeatIntervalMs: s.heartbeatIntervalMs,
        heartbeatTimeoutMs: s.heartbeatTimeoutMs,
        webTimeoutMs: s.webTimeoutMs,
        restartDelayMs: s.restartDelayMs,
        jobManagerHeapMb: s.jobManagerHeapMb,
        taskHeapMb: s.taskHeapMb,
        managedMb: s.managedMb,
        startTimeoutMs: s.startTimeoutMs,
      },
    },
    progress,
  );
}

/** Kafka at any bootstrap address (replay into a topic): KafkaJS. */
export const messageBusAt = (bootstrap: string) => new KafkajsMessageBus(bootstrap);
/** The wall clock. */
export const systemClock = () => new SystemClock();

/** Kafka for a local stack: KafkaJS to produce, Kafka's Java consumer to read committed output. */
export const kafkaBus = (stack: LocalStack) =>
  new KafkajsMessageBus(stack.bootstrap, (topic, opts) => readCommittedWithJava(stack.kafkaClasspath, stack.bootstrap, topic, opts));

export function localPlatform(stack: LocalStack, log: (l: string) => void): Platform {
  const clock = new SystemClock();
  const bus = kafkaBus(stack);
  const flinkAt = (url: string) => new RestFlinkEngine(url);
  return {
    orchestrator: stack,
    bus,
    flinkAt,
    injectorFor: (replica) => new ProcessFailureInjector(stack, replica, clock, { bus, flinkAt }),
    clock,
    log,
  };
}

const controlDbFile = () => path.join(khaosHome(), 'control.db');

/** The control records: their own SQLite file beside the profile database, opened to write (checked first: see SqliteControlStore). */
export const controlStore = () => new SqliteControlStore(controlDbFile());

/** The control records only to read them (`khaos control status|decisions`); undefined when there are none yet (nothing is created). */
export const controlRecords = (): SqliteControlStore | undefined => (fs.existsSync(controlDbFile()) ? new SqliteControlStore(controlDbFile(), { readOnly: true }) : undefined);

/** Flink's REST API at an address (attach), with a request time-out. */
export const flinkAt = (restUrl: string, requestTimeoutMs = 10_000) => new RestFlinkEngine(restUrl.replace(/\/+$/, ''), { requestTimeoutMs });

export const newControlRunId = () => `c${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}-${process.pid}`;

/** A stack another Khaos process started (`khaos stack up`), to control its job with the restart actuator. */
export const openLocalStack = (config: KhaosConfig, progress: (l: string) => void) =>
  LocalStack.open({ name: config.stack.name, home: khaosHome(), repoRoot, savepointTimeoutMs: config.stack.savepointTimeoutMs }, progress);

/**
 * Fault injection for the crash-safety test, off unless KHAOS_CRASH_AT is set: `STEP[:DELAY_MS]`
 * SIGKILLs this process when a restart reconfiguration has persisted STEP (at once, or DELAY_MS
 * later, while the step's action is under way).
 */
export function crashHookFromEnv(): ((step: string) => void) | undefined {
  const spec = process.env.KHAOS_CRASH_AT;
  if (!spec) return undefined;
  const [at, delay] = spec.split(':');
  return (step) => {
    if (step !== at) return;
    if (!delay) process.kill(process.pid, 'SIGKILL');
    else setTimeout(() => process.kill(process.pid, 'SIGKILL'), Number(delay));
  };
}

export function localControlDeps(stack: LocalStack, log: (l: string) => void): LocalControlDeps {
  return { ...localPlatform(stack, log), store: controlStore(), newRunId: newControlRunId };
}

export const profileStore = () => new SqliteProfileStore(path.join(khaosHome(), 'khaos.db'));

/** An evaluation's output directory (`khaos evaluate --out`): its evaluate.json, sim-vs-real.json and timeline.json, parsed, or why not. */
function readEvaluationDir(dir: string): EvaluationFiles {
  const read = (name: string) => {
    const file = path.join(dir, name);
    return fs.existsSync(file) ? (JSON.parse(fs.readFileSync(file, 'utf8')) as unknown) : undefined;
  };
  try {
    const evaluate = read('evaluate.json');
    return evaluate === undefined ? { dir, problem: `no evaluate.json in ${dir} (an evaluation still running, or not an evaluation's --out directory)` } : { dir, evaluate, simVsReal: read('sim-vs-real.json'), timeline: read('timeline.json') };
  } catch (e) {
    return { dir, problem: `cannot read ${dir}: ${(e as Error).message}` };
  }
}

/**
 * What the dashboard reads: control.db and khaos.db read-only (each opened once it exists), and
 * the one write it makes, a person's command, through the control store: the running
 * controller's own (`writer`, with `khaos control --dashboard`) or one opened for the call.
 */
export function dashboardSources(writer?: ControlStore, evaluationDirs: readonly string[] = []): DashboardSources & { close(): void } {
  let control: SqliteControlStore | undefined;
  let profiles: SqliteProfileStore | undefined;
  const profileFile = path.join(khaosHome(), 'khaos.db');
  return {
    controlRecords: () => (control ??= controlRecords()),
    profileRecords: () => (profiles ??= fs.existsSync(profileFile) ? new SqliteProfileStore(profileFile, { readOnly: true }) : undefined),
    queueCommand: (runId, atMs, command) => {
      if (writer) return writer.queueCommand(runId, atMs, command);
      const store = controlStore();
      try {
        return store.queueCommand(runId, atMs, command);
      } finally {
        store.close();
      }
    },
    alive: isAlive,
    clock: new SystemClock(),
    evaluations: () => evaluationDirs.map(readEvaluationDir),
    close: () => {
      control?.close();
      profiles?.close();
    },
  };
}

/** The capacity a stored profile's probe measured for the config's job, if any (profile plans are checked the same way). */
export function storedCapacity(c: KhaosConfig): MeasuredCapacity {
  return (replicas) => {
    const store = profileStore();
    try {
      return latestCapacityProbe(store, c.job.descriptor, c.job.parallelism, replicas);
    } finally {
      store.close();
    }
  };
}

/** What a profile record names about the platform: Flink version (from the platform pom) and the job jar's hash. */
export function platformProvenance(): { flinkVersion: string; jobJarSha256: string } {
  const pom = fs.readFileSync(path.join(repoRoot, 'platform', 'flink', 'pom.xml'), 'utf8');
  return { flinkVersion: /<flink.version>([^<]+)</.exec(pom)?.[1] ?? 'unknown', jobJarSha256: jarSha256() };
}

/** The CRDs of the Flink operator and Chaos Mesh that objects are checked against (`KHAOS_K8S_CRDS` overrides). */
export const crdsDir = () => process.env.KHAOS_K8S_CRDS ?? path.resolve(repoRoot, '..', 'shared', 'k8s', 'crds');

/** A validator of every CRD in `dir` (each YAML file, any number of documents). */
export function crdValidator(dir = crdsDir()): CrdValidator {
  if (!fs.existsSync(dir)) throw new KhaosError('environment', `CRD folder ${dir} not found`, 'Khaos checks objects against the CRDs in ../shared/k8s/crds/ beside the repository; set KHAOS_K8S_CRDS to another folder');
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  return new CrdValidator(files.flatMap((f) => crdsOf(YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJSON()), path.join(dir, f))));
}

/**
 * Kafka at `bootstrap`, a broker Khaos did not start (Kubernetes): KafkaJS to produce, and
 * committed output read with Kafka's Java consumer as on the local stack (KafkaJS's read_committed
 * lets records of aborted transactions through), its jars resolved from platform/kafka at the
 * first such read: Java 17 and Maven are needed then, and only then.
 */
function remoteKafka(bootstrap: string, log: (l: string) => void): KafkajsMessageBus {
  let classpath: Promise<string> | undefined;
  return new KafkajsMessageBus(bootstrap, async (topic, opts) => {
    classpath ??= Promise.resolve().then(() => {
      requireJavaAndMaven();
      return resolveClasspath(path.join(repoRoot, 'platform', 'kafka'), path.join(khaosHome(), 'cache'), log);
    });
    return readCommittedWithJava(await classpath, bootstrap, topic, opts);
  });
}

/** Where the config's replicas run, as a report names it. */
export const platformName = (c: KhaosConfig): PlatformName =>
  c.platform === 'local'
    ? { name: 'the local stack', where: 'real Flink and Kafka processes of the local stack' }
    : { name: `Kubernetes (namespace ${c.k8s.namespace})`, where: `FlinkDeployments in namespace ${c.k8s.namespace} (Kubernetes, through the Flink Kubernetes Operator), with Kafka at ${c.k8s.khaosKafkaBootstrap ?? c.k8s.kafkaBootstrap}` };

/**
 * The Kubernetes platform for the replicas of `scope` (a profile id): FlinkDeployments through
 * the operator, kills through Chaos Mesh (or a pod delete), Flink's REST over each JobManager's
 * route (the API server's service proxy with its CA and the kubeconfig's token, or
 * k8s.restUrlTemplate), Kafka at k8s.khaosKafkaBootstrap unless `bus` is given. `close` ends the
 * watches and the API client; the caller closes the bus and stops the replicas it started.
 */
export async function kubernetesPlatform(config: KhaosConfig, scope: string, log: (l: string) => void, bus?: MessageBus): Promise<Platform & { close(): void }> {
  const k = config.k8s;
  const api = K8sApi.fromKubeconfig(kubeconfigPath(k.kubeconfig), k.context);
  const validator = crdValidator();
  const clock = new SystemClock();
  const s = config.stack;
  const o = await KubernetesOrchestrator.open({ api, settings: k, validator, scope, log, startTimeoutMs: s.startTimeoutMs, savepointTimeoutMs: s.savepointTimeoutMs, flink: { heartbeatIntervalMs: s.heartbeatIntervalMs, heartbeatTimeoutMs: s.heartbeatTimeoutMs, restartDelayMs: s.restartDelayMs, webTimeoutMs: s.webTimeoutMs } }).catch((e: unknown) => {
    api.close();
    throw e;
  });
  const theBus = bus ?? remoteKafka(k.khaosKafkaBootstrap ?? k.kafkaBootstrap, log);
  const flinkAt = (url: string) => new RestFlinkEngine(url, { fetch: api.fetch });
  const injectorFor = (replica: string) => {
    const deployment = o.deploymentOf(replica);
    return new KubernetesFailureInjector(api, validator, clock, { namespace: k.namespace, deployment, profile: scope, taskException: { flink: flinkAt(o.restUrl(deployment)), bus: theBus } });
  };
  return { orchestrator: o, bus: theBus, flinkAt, injectorFor, clock, log, close: () => (o.close(), api.close()) };
}

/**
 * Runs `body` on the config's platform (`platform`): a local stack, which `withLocalStack` starts
 * and owns (see startLocalStack), or Kubernetes, where `scope` names the FlinkDeployments, the
 * replicas are the caller's to stop, and the watches and the API client are closed here. The bus
 * is the caller's to close.
 */
export async function onPlatform<T>(config: KhaosConfig, scope: string, log: (l: string) => void, withLocalStack: (body: (stack: LocalStack) => Promise<T>) => Promise<T>, body: (platform: Platform) => Promise<T>): Promise<T> {
  if (config.platform === 'local') return withLocalStack((stack) => body(localPlatform(stack, log)));
  log(`Kubernetes: namespace ${config.k8s.namespace}, FlinkDeployments khaos-${scope}-*`);
  const platform = await kubernetesPlatform(config, scope, log);
  try {
    return await body(platform);
  } finally {
    platform.close();
  }
}

function readSamples(file: string): NonNullable<SessionTarget['samples']> & { identity?: JobIdentity } {
  if (!fs.existsSync(file)) throw badInput(`control.samples: ${file} not found`, 'give a samples CSV written by `khaos profile export`');
  const text = fs.readFileSync(file, 'utf8');
  const identity = identityFromCsv(text, file);
  return { samples: parseSamplesCsv(text, file), source: file, ...(identity ? { identity } : {}) };
}

/** The job identity a parsed model file carries (`job`), if any. */
function modelFileIdentity(f: { json: unknown; source: string }): JobIdentity | undefined {
  const job = (f.json as { job?: unknown } | null)?.job;
  return job === undefined ? undefined : asIdentity(job, f.source);
}

function readModelFile(file: string): { json: unknown; source: string } {
  if (!fs.existsSync(file)) throw badInput(`model file ${file} not found`, 'fit one with `khaos models fit`');
  try {
    return { json: JSON.parse(fs.readFileSync(file, 'utf8')), source: file };
  } catch (e) {
    throw badInput(`model file ${file} is not JSON: ${(e as Error).message}`, 'give a file written by `khaos models fit`');
  }
}

/** Models and samples named by the config's control section, read from their files; missing or unreadable ones are a clear error before anything starts. */
export function modelInputs(c: KhaosConfig['control']): ModelInputs {
  if ((c.latencyModel === undefined) !== (c.recoveryModel === undefined)) throw badInput('control.latencyModel and control.recoveryModel go together', 'give both model files, or control.samples instead');
  const files = c.latencyModel && c.recoveryModel ? { latency: readModelFile(c.latencyModel), recovery: readModelFile(c.recoveryModel) } : undefined;
  const models = files ? modelsFromFiles(files) : undefined;
  const samples = c.samples ? readSamples(c.samples) : undefined;
  // What the models were fitted for: the files' (the recovery model's first), else the samples'.
  const fittedFor = files
    ? [files.recovery, files.latency].flatMap((f) => { const identity = modelFileIdentity(f); return identity ? [{ identity, source: f.source }] : []; })[0]
    : samples?.identity && { identity: samples.identity, source: samples.source };
  return { models, samples, ...(fittedFor ? { fittedFor } : {}) };
}

/** sha256 of a job jar's bytes; unset: the project's jobs jar (the sample jobs'). 'not built' when the file is not there. */
export function jarSha256(jar?: string): string {
  const file = jar ?? path.join(repoRoot, 'jobs', 'target', 'khaos-jobs.jar');
  return fs.existsSync(file) ? crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex') : 'not built';
}

/**
 * What stands for the job's jar in its identity: the sha256 of job.jar (a sample job: of the jobs
 * jar); an own job known only by job.jarURI (Kubernetes), that URI, since its bytes are in an image.
 */
export const jobJarHash = (job: Pick<JobDescriptor, 'name' | 'jar' | 'jarURI'>): string => (job.name === 'custom' && job.jar === undefined ? `jarURI ${job.jarURI ?? 'unset'}` : jarSha256(job.jar));

/** The identity of the config's job as control and evaluate run it (job.parallelism). */
export const configJobIdentity = (c: KhaosConfig): JobIdentity => jobIdentity(c.job.descriptor, c.job.parallelism, jobJarHash(c.job.descriptor));

/**
 * The job of a replica of a local stack another Khaos process started (`khaos control --stack`):
 * its Flink REST API, and the restart actuator through the stack (`runId` names the run that
 * records its reconfigurations). `replica` may be left out when the stack has one.
 */
export async function stackJobTarget(config: KhaosConfig, where: { stack: string; replica?: string; requestTimeoutMs: number }, deps: { store: ControlStore; log: (l: string) => void; runId: () => string }): Promise<{ flink: FlinkEngine; restartActuator: RestartActuator }> {
  const stack = await openLocalStack({ ...config, stack: { ...config.stack, name: where.stack } }, deps.log);
  const names = stack.replicaNames;
  const replica = where.replica ?? (names.length === 1 ? names[0] : undefined);
  if (!replica || !names.includes(replica)) throw badInput(where.replica ? `no replica "${where.replica}" in stack ${where.stack}` : `stack ${where.stack} has ${names.length} replicas`, `name one with --replica: ${names.join(', ') || 'none'}`);
  const flink = flinkAt(stack.replica(replica).restUrl, where.requestTimeoutMs);
  const restartActuator = new RestartActuator({ orchestrator: stack, flink, store: deps.store, clock: new SystemClock(), log: deps.log, runId: deps.runId, onStep: crashHookFromEnv() }, replica, `${where.stack}/${replica}`);
  return { flink, restartActuator };
}

/**
 * A FlinkDeployment to control (`khaos control --flinkdeployment NS/NAME`), through the config's
 * kubeconfig: the deployment (spec, status, patches, events) and Flink's REST over its JobManager
 * route (k8s.restUrlTemplate, else the API server's service proxy), completed by its status.
 * `close` ends the watch and the API client.
 */
export async function flinkDeploymentTarget(config: KhaosConfig, ref: { namespace: string; name: string }, requestTimeoutMs: number, log: (l: string) => void): Promise<{ deployment: ManagedDeployment; flink: FlinkEngine; close(): void }> {
  const api = K8sApi.fromKubeconfig(kubeconfigPath(config.k8s.kubeconfig), config.k8s.context);
  const deployment = await FlinkDeploymentTarget.open({ api, ...ref, restUrlTemplate: config.k8s.restUrlTemplate, log }).catch((e: unknown) => {
    api.close();
    throw e;
  });
  const flink = new FlinkDeploymentRestEngine(deployment.restUrl, deployment, { requestTimeoutMs, fetch: api.fetch });
  return { deployment, flink, close: () => (deployment.close(), api.close()) };
}

/** A real evaluation's runs, in a directory per sitting (plan.json and runs.json). */
export const evaluationRuns: EvaluationRuns = { runsFile: RUNS_FILE, open: openSitting, join: joinRuns };

export const stacks = () => listStacks(khaosHome());
/** Whether a process runs (an owner recorded in a run or profile). */
export const processAlive = (pid: number) => isAlive(pid);
export const downStack = (name: string) => stackDown(khaosHome(), name);

/** For benches and tests, which build these themselves. */
export { SystemClock, KafkajsMessageBus };

/** Refuses, before anything starts, an own job whose jar (job.jar) is missing or lacks its entry class. */
export function checkJobJar(c: KhaosConfig): void {
  const { jar } = c.job.descriptor;
  if (jar === undefined) return;
  const problem = jarProblem(c.job.descriptor, fs.existsSync(jar) ? jarEntries(jar) : undefined);
  if (problem) throw badInput(problem.message, problem.fix);
}
