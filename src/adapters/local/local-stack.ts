import fs from 'node:fs';
import path from 'node:path';
import { KhaosError } from '../../core/errors.js';
import { fillArgs, overriddenFlinkKeys } from '../../core/jobs.js';
import type { Orchestrator, Reconfiguration, ReplicaHandle, ReplicaRequest } from '../../ports/orchestrator.js';
import { RestFlinkEngine } from '../flink-rest/rest-flink-engine.js';
import { isAlive, terminate } from '../system/processes.js';
import { startKafkaBroker, type KafkaBrokerOptions, type KafkaBrokerState } from './kafka-broker.js';
import { ensureJobsJar, requireJavaAndMaven, resolveClasspath, type Progress } from './maven.js';
import { LOCAL_FLINK_KEYS, relaunchFromSavepoint, restartDeadTaskManagers, startReplica, stopReplica, type ReplicaSpec, type ReplicaState } from './flink-replica.js';
import { RunDir } from './run-dir.js';

export interface LocalStackConfig {
  name: string;
  /** Khaos's local state directory (.khaos): caches, stacks, records. */
  home: string;
  /** Root of the Khaos checkout: platform/ and jobs/ live there. */
  repoRoot: string;
  kafka: KafkaBrokerOptions;
  flink: Omit<ReplicaSpec, 'name' | 'jobClass' | 'jobArgs' | 'jobJar' | 'flinkConf' | 'taskManagers' | 'checkpointIntervalMs'>;
  /** When set, a watchdog kills the whole stack once this process is gone. */
  ownerPid?: number;
  savepointTimeoutMs: number;
}

interface StackFile {
  name: string;
  createdAtMs: number;
  ownerPid?: number;
  watchdogPid?: number;
  kafka: KafkaBrokerState;
  replicas: { spec: ReplicaSpec; state: ReplicaState }[];
}


export const stacksDir = (home: string) => path.join(home, 'stacks');

/**
 * What a replica of `req` starts with on stack `stack`: the descriptor's entry class, its args
 * filled for this replica (Kafka at `bootstrap`, the transaction prefix `khaos-<stack>-<replica>`),
 * its jar (unset: the stack's jobs jar) and its Flink options. Refuses an own job without job.jar
 * or whose jar is not there.
 */
export function localReplicaSpec(flink: LocalStackConfig['flink'], stack: string, bootstrap: string, req: ReplicaRequest): ReplicaSpec {
  const { job } = req;
  if (job.name === 'custom' && job.jar === undefined) throw new KhaosError('bad-input', 'job.jar is not set: a local replica of an own job runs the jar on this machine', 'set job.jar to the path of your job jar');
  if (job.jar !== undefined && !fs.existsSync(job.jar)) throw new KhaosError('bad-input', `job.jar ${job.jar} does not exist`, 'check the path in job.jar (relative paths are from the directory Khaos runs in), or build your job first');
  const jobArgs = fillArgs(job, { bootstrap, inputTopic: req.inputTopic, outputTopic: req.outputTopic, auditTopic: req.auditTopic, groupId: req.groupId, txnPrefix: `khaos-${stack}-${req.name}` });
  return {
    ...flink,
    name: req.name,
    jobClass: job.entryClass,
    // Set or cleared: `flink` may be an earlier replica's spec (LocalStack.open).
    jobJar: job.jar === undefined ? undefined : path.resolve(job.jar),
    flinkConf: Object.keys(job.flinkConf).length === 0 ? undefined : { ...job.flinkConf },
    taskManagers: req.parallelism,
    checkpointIntervalMs: req.checkpointIntervalMs,
    ...(req.metricsRefreshMs === undefined ? {} : { metricsRefreshMs: req.metricsRefreshMs }),
    jobArgs,
  };
}

/**
 * The local platform: one Kafka broker and any number of Flink replicas, every one a separate
 * JVM, all recorded in `<home>/stacks/<name>/state.json` so another Khaos process can show or
 * tear it down.
 */
export class LocalStack implements Orchestrator {
  private constructor(
    private readonly run: RunDir,
    private readonly file: StackFile,
    private readonly classpaths: { flink: string; kafka: string },
    private readonly jobsJar: string,
    private readonly config: LocalStackConfig,
    private readonly progress: Progress,
  ) {}

  get bootstrap(): string {
    return this.file.kafka.bootstrap;
  }

  /** The broker's Maven-resolved classpath (Kafka's own Java tools run from it). */
  get kafkaClasspath(): string {
    return this.classpaths.kafka;
  }

  get dir(): string {
    return this.run.dir;
  }

  /** Resolves the platform (first run downloads), starts Kafka. On failure nothing is left running. */
  static async up(config: LocalStackConfig, progress: Progress): Promise<LocalStack> {
    requireJavaAndMaven();
    const stackDir = path.join(stacksDir(config.home), config.name);
    const existing = readStackFile(stackDir);
    if (existing && isAlive(existing.kafka.pid)) {
      throw new KhaosError('bad-input', `stack "${config.name}" is already up (Kafka pid ${existing.kafka.pid})`, `run \`khaos stack down --name ${config.name}\` first, or pick another --name`);
    }
    const cache = path.join(config.home, 'cache');
    const flink = await resolveClasspath(path.join(config.repoRoot, 'platform', 'flink'), cache, progress);
    const kafkaCp = await resolveClasspath(path.join(config.repoRoot, 'platform', 'kafka'), cache, progress);
    const jobsJar = await ensureJobsJar(path.join(config.repoRoot, 'jobs'), progress);
    fs.rmSync(stackDir, { recursive: true, force: true });
    const run = new RunDir(config.name, stackDir);
    const watchdogPid = config.ownerPid ? run.startWatchdog(config.ownerPid) : undefined;
    try {
      progress(`starting Kafka (${stackDir})…`);
      const kafka = await startKafkaBroker(run, kafkaCp, config.kafka);
      progress(`Kafka up on ${kafka.bootstrap} (pid ${kafka.pid})`);
      const file: StackFile = { name: config.name, createdAtMs: Date.now(), ownerPid: config.ownerPid, watchdogPid, kafka, replicas: [] };
      const stack = new LocalStack(run, file, { flink, kafka: kafkaCp }, jobsJar, config, progress);
      stack.save();
      return stack;
    } catch (e) {
      await killAll(run, watchdogPid);
      throw e;
    }
  }

  /**
   * A stack already up, started by another Khaos process (`khaos stack up`), to act on its
   * replicas: relaunch one, restart its TaskManagers. Starts nothing; JobManager pids are taken
   * from the pid files, which a JobManager's start writes before anything else, so a relaunch
   * interrupted by a crash is seen as it is.
   */
  static async open(config: Pick<LocalStackConfig, 'name' | 'home' | 'repoRoot' | 'savepointTimeoutMs'> & Partial<LocalStackConfig>, progress: Progress): Promise<LocalStack> {
    const stackDir = path.join(stacksDir(config.home), config.name);
    const file = readStackFile(stackDir);
    if (!file || !isAlive(file.kafka.pid)) throw new KhaosError('bad-input', `stack "${config.name}" is not up`, 'start it with `khaos stack up --name NAME`, or see `khaos stack status`');
    const cache = path.join(config.home, 'cache');
    const flink = await resolveClasspath(path.join(config.repoRoot, 'platform', 'flink'), cache, progress);
    const kafkaCp = await resolveClasspath(path.join(config.repoRoot, 'platform', 'kafka'), cache, progress);
    const jobsJar = await ensureJobsJar(path.join(config.repoRoot, 'jobs'), progress);
    const run = new RunDir(config.name, stackDir);
    const live = new Map(run.livePids().map((p) => [p.name, p.pid]));
    for (const r of file.replicas) r.state.jobManagerPid = live.get(`${r.spec.name}-jm`) ?? r.state.jobManagerPid;
    const full: LocalStackConfig = { kafka: { heapMb: 512, partitions: 4, startTimeoutMs: 60_000 }, flink: file.replicas[0]?.spec ?? ({} as LocalStackConfig['flink']), ...config };
    return new LocalStack(run, file, { flink, kafka: kafkaCp }, jobsJar, full, progress);
  }

  /** Names of the stack's replicas. */
  get replicaNames(): string[] {
    return this.file.replicas.map((r) => r.spec.name);
  }

  private save(): void {
    const target = this.run.path('state.json');
    fs.writeFileSync(`${target}.tmp`, JSON.stringify(this.file, null, 2));
    fs.renameSync(`${target}.tmp`, target);
  }

  private entry(name: string): { spec: ReplicaSpec; state: ReplicaState } {
    const e = this.file.replicas.find((r) => r.spec.name === name);
    if (!e) throw new KhaosError('bad-input', `no replica "${name}" in stack ${this.file.name}`, `replicas: ${this.file.replicas.map((r) => r.spec.name).join(', ') || 'none'}`);
    return e;
  }

  async startReplica(req: ReplicaRequest): Promise<ReplicaHandle> {
    // A second start would share the first one's directory: its config (ports) and pid files.
    if (this.file.replicas.some((r) => r.spec.name === req.name)) {
      throw new KhaosError('bad-input', `replica "${req.name}" already runs in stack ${this.file.name}`, 'stop it first, or pick another name');
    }
    const spec = localReplicaSpec(this.config.flink, this.file.name, this.bootstrap, req);
    // The keys Khaos sets for its measurements are named once, when the config is read.
    const measured = new Set(overriddenFlinkKeys(req.job.flinkConf));
    const dropped = overriddenFlinkKeys(req.job.flinkConf, LOCAL_FLINK_KEYS).filter((k) => !measured.has(k));
    if (dropped.length > 0) this.progress(`replica ${req.name}: job.flinkConf sets ${dropped.join(', ')}, which the local stack sets itself (addresses, ports, directories); those values are not used`);
    const state = await startReplica(this.run, this.classpaths.flink, spec.jobJar ?? this.jobsJar, spec, this.progress);
    this.file.replicas.push({ spec, state });
    this.save();
    return this.replica(req.name);
  }

  /**
   * Starts a Flink session cluster named `name` with `taskManagers` TaskManagers (one slot each)
   * and no job: the user submits theirs over Flink's REST (`khaos stack up --no-job`). Recorded
   * as a replica of the stack, so `stack status` shows it and `stack down` stops it.
   */
  async startSession(name: string, taskManagers: number): Promise<ReplicaHandle> {
    if (this.file.replicas.some((r) => r.spec.name === name)) throw new KhaosError('bad-input', `replica "${name}" already runs in stack ${this.file.name}`, 'stop it first, or pick another name');
    const spec: ReplicaSpec = { ...this.config.flink, name, session: true, jobClass: '', jobArgs: [], taskManagers, spareTaskManagers: 0, checkpointIntervalMs: 0 };
    const state = await startReplica(this.run, this.classpaths.flink, this.jobsJar, spec, this.progress);
    this.file.replicas.push({ spec, state });
    this.save();
    return this.replica(name);
  }

  replica(name: string): ReplicaHandle {
    const { state } = this.entry(name);
    const live = state.taskManagers.filter((t) => isAlive(t.pid)).map(({ id }) => ({ id }));
    return { name, restUrl: state.restUrl, checkpointIntervalMs: state.checkpointIntervalMs, taskManagers: live };
  }

  /** The pid of the replica's TaskManager `taskManagerId` (live or dead, until it is replaced); undefined for an id it never had. */
  taskManagerPid(name: string, taskManagerId: string): number | undefined {
    return this.entry(name).state.taskManagers.find((t) => t.id === taskManagerId)?.pid;
  }

  async reconfigure(name: string, checkpointIntervalMs: number): Promise<Reconfiguration> {
    const requestedAtMs = Date.now();
    const { savepointPath, stoppedAtMs } = await this.stopWithSavepoint(name);
    this.progress(`replica ${name}: savepoint ${savepointPath}; relaunching with interval ${checkpointIntervalMs} ms`);
    const { runningAtMs } = await this.relaunch(name, savepointPath, checkpointIntervalMs);
    return { savepointPath, requestedAtMs, stoppedAtMs, runningAtMs };
  }

  /** A replica whose job Khaos started, so that it can stop and relaunch it; a session cluster's job is the user's. */
  private relaunchable(name: string): { spec: ReplicaSpec; state: ReplicaState } {
    const e = this.entry(name);
    if (e.spec.session) throw new KhaosError('bad-input', `replica ${name} is a session cluster: Khaos did not start its job, so it cannot stop and relaunch it`, 'control it with the paced actuator (control.actuator: paced)');
    return e;
  }

  async stopWithSavepoint(name: string): Promise<{ savepointPath: string; stoppedAtMs: number }> {
    const { state } = this.relaunchable(name);
    const flink = new RestFlinkEngine(state.restUrl);
    const running = (await flink.listJobs()).find((j) => j.state === 'RUNNING');
    if (!running) throw new KhaosError('platform', `replica ${name} has no RUNNING job to reconfigure`, 'wait until it recovers, then try again');
    const savepointPath = await this.stopWithRetries(flink, running.id, state.savepointDir);
    return { savepointPath, stoppedAtMs: Date.now() };
  }

  async relaunch(name: string, savepointPath: string, checkpointIntervalMs: number): Promise<{ runningAtMs: number }> {
    const { spec, state } = this.relaunchable(name);
    await relaunchFromSavepoint(this.run, this.classpaths.flink, spec.jobJar ?? this.jobsJar, spec, state, savepointPath, checkpointIntervalMs);
    this.save();
    return { runningAtMs: Date.now() };
  }

  async savepoints(name: string): Promise<{ path: string; completedAtMs: number }[]> {
    const dir = this.entry(name).state.savepointDir;
    if (!fs.existsSync(dir)) return [];
    return fs
      .readdirSync(dir)
      .map((d) => path.join(dir, d, '_metadata'))
      .filter((m) => fs.existsSync(m))
      .map((m) => ({ path: path.dirname(m), completedAtMs: fs.statSync(m).mtimeMs }))
      .sort((a, b) => b.completedAtMs - a.completedAtMs);
  }

  async jobManagerAlive(name: string): Promise<boolean> {
    return isAlive(this.entry(name).state.jobManagerPid);
  }

  /**
   * A stop-with-savepoint fails (and the job keeps running) when it lands while tasks are still
   * being redeployed after a recovery; that is worth a few retries, anything else is not.
   */
  private async stopWithRetries(flink: RestFlinkEngine, jobId: string, savepointDir: string): Promise<string> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await flink.stopWithSavepoint(jobId, `file://${savepointDir}`, this.config.savepointTimeoutMs);
      } catch (e) {
        const transient = e instanceof KhaosError && e.kind === 'platform' && /not being executed|Not all required tasks/.test(e.message);
        if (!transient || attempt >= 5) throw e;
        this.progress(`stop-with-savepoint attempt ${attempt} failed (tasks still deploying); retrying in 2 s`);
        await new Promise((r) => setTimeout(r, 2000));
      }
    }
  }

  async restartDeadTaskManagers(name: string): Promise<string[]> {
    const { spec, state } = this.entry(name);
    const restarted = restartDeadTaskManagers(this.run, this.classpaths.flink, spec, state);
    if (restarted.length > 0) this.save();
    return restarted.map((t) => t.id);
  }

  async stopReplica(name: string): Promise<void> {
    const e = this.entry(name);
    await stopReplica(this.run, e.state);
    this.file.replicas = this.file.replicas.filter((r) => r !== e);
    this.save();
  }

  /** Stops every process of the stack (replicas first, then Kafka) and the watchdog. */
  async down(): Promise<void> {
    await killAll(this.run, this.file.watchdogPid);
  }
}

function readStackFile(dir: string): StackFile | undefined {
  const f = path.join(dir, 'state.json');
  if (!fs.existsSync(f)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(f, 'utf8')) as StackFile;
  } catch {
    return undefined;
  }
}

/** Flink processes first (they would only log errors about a vanished broker), then Kafka, then the watchdog. */
async function killAll(run: RunDir, watchdogPid?: number): Promise<void> {
  const live = run.livePids();
  const kafka = live.filter((p) => p.name === 'kafka');
  await Promise.all(live.filter((p) => p.name !== 'kafka').map((p) => terminate(p.pid, 3000)));
  await Promise.all(kafka.map((p) => terminate(p.pid, 10_000)));
  for (const p of live) run.forget(p.name);
  if (watchdogPid && isAlive(watchdogPid)) await terminate(watchdogPid, 1000);
}

export interface StackStatus {
  name: string;
  dir: string;
  processes: { name: string; pid: number; alive: boolean }[];
  kafka?: string;
  /** `session`: a session cluster without a job of Khaos's (`stack up --no-job`). */
  replicas: { name: string; restUrl: string; intervalMs: number; session?: boolean }[];
}

/** What every stack under `home` runs, from its state file and pid files (no process is started). */
export function listStacks(home: string): StackStatus[] {
  const root = stacksDir(home);
  if (!fs.existsSync(root)) return [];
  return fs.readdirSync(root).map((name) => {
    const dir = path.join(root, name);
    const file = readStackFile(dir);
    const run = new RunDir(name, dir);
    const live = run.livePids();
    return {
      name,
      dir,
      processes: live.map((p) => ({ ...p, alive: true })),
      kafka: file?.kafka.bootstrap,
      replicas: (file?.replicas ?? []).map((r) => ({ name: r.spec.name, restUrl: r.state.restUrl, intervalMs: r.state.checkpointIntervalMs, ...(r.spec.session ? { session: true } : {}) })),
    };
  });
}

/** Tears a stack down from its files alone (works from another process, and after a crash). */
export async function stackDown(home: string, name: string): Promise<number> {
  const dir = path.join(stacksDir(home), name);
  if (!fs.existsSync(dir)) throw new KhaosError('bad-input', `no stack "${name}" under ${stacksDir(home)}`, 'see `khaos stack status`');
  const run = new RunDir(name, dir);
  const n = run.livePids().length;
  await killAll(run, readStackFile(dir)?.watchdogPid);
  return n;
}
