import fs from 'node:fs';
import { KhaosError } from '../../core/errors.js';
import { mergeFlinkConf, taskHeapMb } from '../../core/jobs.js';
import { RestFlinkEngine } from '../flink-rest/rest-flink-engine.js';
import { freePort, isAlive, releasePort, requirePortFree, terminate } from '../system/processes.js';
import type { Progress } from './maven.js';
import type { RunDir } from './run-dir.js';

/**
 * One job replica: its own JobManager (application mode) and TaskManagers, each a separate JVM;
 * or, with `session`, a Flink session cluster without a job, to which the user submits one.
 */
export interface ReplicaSpec {
  name: string;
  /** A session cluster (StandaloneSessionClusterEntrypoint): no job is started; jobClass and jobArgs are unused. */
  session?: boolean;
  /** The job's entry class. */
  jobClass: string;
  /** The job's arguments, every placeholder filled. */
  jobArgs: string[];
  /** The job jar; unset: the stack's jobs jar. */
  jobJar?: string;
  /** The job's Flink options (job.flinkConf), merged over Khaos's own (mergeFlinkConf: Khaos's measurement keys and LOCAL_FLINK_KEYS win). */
  flinkConf?: Record<string, string>;
  /** Job parallelism = TaskManagers with one slot each. */
  taskManagers: number;
  /** Extra idle TaskManagers, so a killed one's tasks can be rescheduled at once. */
  spareTaskManagers: number;
  checkpointIntervalMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  /** Flink web.timeout; unset keeps Flink's default. */
  webTimeoutMs?: number;
  /** Flink metrics.fetcher.update-interval, ms; unset: 1 s. */
  metricsRefreshMs?: number;
  restartDelayMs: number;
  jobManagerHeapMb: number;
  taskHeapMb: number;
  managedMb: number;
  /** REST port; undefined picks a free one. */
  restPort?: number;
  startTimeoutMs: number;
}

export interface TaskManagerProcess {
  /** Flink resource id, unique per process start (a restarted TaskManager gets a new one). */
  id: string;
  pid: number;
  slot: number;
}

export interface ReplicaState {
  name: string;
  restUrl: string;
  restPort: number;
  rpcPort: number;
  jobManagerPid: number;
  taskManagers: TaskManagerProcess[];
  checkpointIntervalMs: number;
  checkpointDir: string;
  savepointDir: string;
  generation: number;
}

/** What Flink's own scripts pass on Java 17 (env.java.default-opts.all): Flink reflects into these. */
const JAVA17_OPENS = [
  '--add-exports=java.base/sun.net.util=ALL-UNNAMED',
  '--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.api=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.parser=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.tree=ALL-UNNAMED',
  '--add-exports=jdk.compiler/com.sun.tools.javac.util=ALL-UNNAMED',
  '--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED',
  ...['java.lang', 'java.net', 'java.io', 'java.nio', 'sun.nio.ch', 'java.lang.reflect', 'java.text', 'java.time', 'java.util', 'java.util.concurrent', 'java.util.concurrent.atomic', 'java.util.concurrent.locks'].map(
    (p) => `--add-opens=java.base/${p}=ALL-UNNAMED`,
  ),
];

const JM_MAIN = 'org.apache.flink.container.entrypoint.StandaloneApplicationClusterEntryPoint';
const SESSION_JM_MAIN = 'org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint';
const TM_MAIN = 'org.apache.flink.runtime.taskexecutor.TaskManagerRunner';

/** Flink options the local stack sets itself, beyond Khaos's measurement keys: its addresses, ports and directories (a key, or a prefix ending in `.`). */
export const LOCAL_FLINK_KEYS: readonly string[] = ['jobmanager.rpc.', 'jobmanager.bind-host', 'rest.', 'taskmanager.host', 'taskmanager.bind-host', 'taskmanager.resource-id', 'io.tmp.dirs', 'user.artifacts.'];

function configYaml(spec: ReplicaSpec, dir: string, rpcPort: number, restPort: number, ioTmp: string): string {
  const entries: Record<string, string | number | boolean> = {
    'jobmanager.rpc.address': '127.0.0.1',
    'jobmanager.rpc.port': rpcPort,
    'jobmanager.bind-host': '127.0.0.1',
    'rest.address': '127.0.0.1',
    'rest.bind-address': '127.0.0.1',
    'rest.port': restPort,
    'taskmanager.host': '127.0.0.1',
    'taskmanager.bind-host': '127.0.0.1',
    'taskmanager.numberOfTaskSlots': 1,
    'taskmanager.cpu.cores': 1,
    'taskmanager.memory.framework.heap.size': '64m',
    'taskmanager.memory.framework.off-heap.size': '64m',
    'taskmanager.memory.task.heap.size': `${spec.taskHeapMb}m`,
    'taskmanager.memory.task.off-heap.size': '0m',
    'taskmanager.memory.managed.size': `${spec.managedMb}m`,
    'taskmanager.memory.network.min': '32m',
    'taskmanager.memory.network.max': '32m',
    'taskmanager.memory.jvm-metaspace.size': '128m',
    'taskmanager.memory.jvm-overhead.min': '64m',
    'taskmanager.memory.jvm-overhead.max': '64m',
    'parallelism.default': spec.taskManagers,
    'state.backend.type': 'rocksdb',
    'execution.checkpointing.incremental': true,
    'execution.checkpointing.dir': `file://${dir}/checkpoints`,
    'execution.checkpointing.savepoint-dir': `file://${dir}/savepoints`,
    'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
    'execution.checkpointing.timeout': '2 min',
    'execution.checkpointing.tolerable-failed-checkpoints': 3,
    'restart-strategy.type': 'fixed-delay',
    'restart-strategy.fixed-delay.attempts': 1_000_000,
    'restart-strategy.fixed-delay.delay': `${spec.restartDelayMs} ms`,
    'heartbeat.interval': spec.heartbeatIntervalMs,
    'heartbeat.timeout': spec.heartbeatTimeoutMs,
    'metrics.fetcher.update-interval': spec.metricsRefreshMs ?? 1000,
    ...(spec.webTimeoutMs === undefined ? {} : { 'web.timeout': spec.webTimeoutMs }),
    // The REST endpoint caches execution graphs this long (default 3 s): states would lag.
    'web.refresh-interval': 500,
    'io.tmp.dirs': ioTmp,
    // Application mode copies --jars into this directory and, by default, never overwrites a copy
    // already there (default /opt/flink/artifacts): a rebuilt job jar would silently not be used.
    'user.artifacts.base-dir': `${dir}/artifacts`,
    'user.artifacts.allow-overwrite': true,
    'cluster.evenly-spread-out-slots': true,
    // Jars uploaded over REST (session clusters): in the stack's directory, removed with it.
    'web.upload.dir': `${dir}/uploads`,
    'taskmanager.registration.timeout': '30 min',
  };
  return Object.entries(mergeFlinkConf(entries, spec.flinkConf ?? {}, LOCAL_FLINK_KEYS))
    .map(([k, v]) => `${k}: ${typeof v === 'string' ? JSON.stringify(v) : v}`)
    .join('\n');
}

/**
 * Output lines saying a JVM could not bind its port. When one is there it is the root cause of a
 * failed start; what the dying JVM prints after it (say, a ClassNotFoundException from a shutdown
 * hook whose classes can no longer load) is not.
 */
const BIND_FAILURE = /BindException|Address already in use|Could not start actor system on any port/;

/** Starts a line appended to a process's .out and .log before each start: a report reads only what follows the last one. */
const START_MARK = '--- khaos: starting';

function markStart(run: RunDir, name: string): void {
  const line = `${START_MARK} ${name} at ${new Date().toISOString()} ---\n`;
  for (const ext of ['out', 'log']) fs.appendFileSync(run.path('logs', `${name}.${ext}`), line);
}

/** A process's stdout and log lines since its latest start. */
function outputSinceStart(run: RunDir, name: string): { out: string[]; log: string[] } {
  const read = (ext: string) => {
    const file = run.path('logs', `${name}.${ext}`);
    if (!fs.existsSync(file)) return [];
    const text = fs.readFileSync(file, 'utf8');
    const mark = text.lastIndexOf(START_MARK);
    return text
      .slice(mark < 0 ? 0 : text.indexOf('\n', mark) + 1)
      .split('\n')
      .filter(Boolean);
  };
  return { out: read('out'), log: read('log') };
}

/** A Java exception line: a block's head (or an uncaught one's), or one of its causes. */
const EXCEPTION_LINE = /^(Caused by: |Exception in thread "[^"]*" )?(?:[A-Za-z_$][\w$]*\.)+[\w$]*(?:Exception|Error|Throwable)\b(?::.*)?$/;

/**
 * The last exception in a JobManager's log (Flink logs the error line, then the exception and its
 * stack trace): its head line and each "Caused by:" line after it, the root cause last; undefined
 * when the log holds none.
 */
export function lastJavaException(lines: readonly string[]): string[] | undefined {
  let head = -1;
  for (let i = lines.length - 1; i >= 0 && head < 0; i--) {
    const m = EXCEPTION_LINE.exec(lines[i]!.trim());
    if (m && m[1] !== 'Caused by: ') head = i;
  }
  if (head < 0) return undefined;
  const chain = [lines[head]!.trim()];
  for (const line of lines.slice(head + 1)) {
    const t = line.trim();
    if (t.startsWith('Caused by: ')) chain.push(t);
    else if (!/^(at |\.\.\. \d+ more|Suppressed: )/.test(t)) break;
  }
  return chain;
}

/** The last exception of a process's output since its latest start, as message lines ('' when there is none), and whether the job's own main() threw it. */
const lastExceptionText = (output: { out: string[]; log: string[] }): { text: string; mainThrew: boolean } => {
  const chain = lastJavaException(output.log) ?? lastJavaException(output.out);
  return chain ? { text: `the JobManager log's last exception:\n  ${chain.join('\n  ')}\n`, mainThrew: chain.some((l) => l.includes('The main method caused an error')) } : { text: '', mainThrew: false };
};

/** What to do about a job that fails at start. */
const JOB_FAILED_HINT = (logs: string) => `the job threw while starting: fix what the exception names (often a wrong value in job.args, or a class missing from the jar); the whole log is in ${logs}`;

/**
 * Why a process died at start, for an error message: lines naming a bind failure first (at most
 * five, each once), then the last `tailLines` lines of its stdout and of its log.
 */
export function describeExit(output: { out: string[]; log: string[] }, tailLines = 15): { bindFailure: string[]; text: string } {
  const bindFailure = [...new Set([...output.log, ...output.out].filter((l) => BIND_FAILURE.test(l)).map((l) => l.trim()))].slice(0, 5);
  const tail = [...output.out.slice(-tailLines), ...output.log.slice(-tailLines)].join('\n');
  return { bindFailure, text: bindFailure.length > 0 ? `it could not bind a port:\n  ${bindFailure.join('\n  ')}\nlast lines of its output:\n${tail}` : tail };
}

/** A replica's JVM died because a port was taken: startReplica tries once more with fresh ports. */
class PortTaken extends KhaosError {
  constructor(
    message: string,
    hint: string,
    /** The first output line naming the bind failure. */
    readonly rootCause: string,
  ) {
    super('environment', message, hint);
  }
}

/** JobManager process for the current generation: a new one after every stop-with-savepoint. */
function startJobManager(run: RunDir, classpath: string, jobsJar: string, spec: ReplicaSpec, state: ReplicaState, fromSavepoint?: string): number {
  const confDir = run.path(spec.name, 'conf');
  markStart(run, `${spec.name}-jm`);
  const jvm = { name: `${spec.name}-jm`, classpath, heapMb: spec.jobManagerHeapMb, extraJvmArgs: JAVA17_OPENS };
  // A session cluster's jobs bring their own checkpoint interval (or a submission's -D option).
  if (spec.session) return run.startJvm({ ...jvm, mainClass: SESSION_JM_MAIN, args: ['--configDir', confDir] });
  return run.startJvm({
    ...jvm,
    mainClass: JM_MAIN,
    args: [
      '--configDir',
      confDir,
      '--job-classname',
      spec.jobClass,
      '--jars',
      `file://${jobsJar}`,
      ...(fromSavepoint ? ['--fromSavepoint', fromSavepoint] : []),
      `-Dexecution.checkpointing.interval=${state.checkpointIntervalMs} ms`,
      '--',
      ...spec.jobArgs,
    ],
  });
}

function startTaskManager(run: RunDir, classpath: string, spec: ReplicaSpec, slot: number, generation: number): TaskManagerProcess {
  const id = `${spec.name}-tm${slot}-g${generation}`;
  // job.flinkConf's task heap, when it sets one, is the one Flink budgets with: the JVM gets it too.
  const heapMb = 64 + taskHeapMb(spec.flinkConf, spec.taskHeapMb);
  markStart(run, `${spec.name}-tm${slot}`);
  const pid = run.startJvm({
    name: `${spec.name}-tm${slot}`,
    classpath,
    mainClass: TM_MAIN,
    heapMb,
    extraJvmArgs: [...JAVA17_OPENS, '-XX:MaxDirectMemorySize=96m', '-XX:MaxMetaspaceSize=128m'],
    args: ['--configDir', run.path(spec.name, 'conf'), `-Dtaskmanager.resource-id=${id}`],
  });
  return { id, pid, slot };
}

/**
 * Starts a replica and waits until its job runs with every task deployed. On any failure the
 * replica's processes are stopped before the error is thrown: no half-started replica remains.
 * A start that failed because a port was taken (another process bound it first) is tried once
 * more with fresh ports.
 */
export async function startReplica(run: RunDir, classpath: string, jobsJar: string, spec: ReplicaSpec, progress: Progress): Promise<ReplicaState> {
  if (!fs.existsSync(jobsJar)) throw new KhaosError('bad-input', `job jar ${jobsJar} does not exist`, 'build it with `mvn -f jobs/pom.xml package -DskipTests`');
  try {
    return await startReplicaOnce(run, classpath, jobsJar, spec, progress);
  } catch (e) {
    if (!(e instanceof PortTaken)) throw e;
    progress(`replica ${spec.name}: a port was taken before its JVM could bind it (${e.rootCause}); trying once more with fresh ports`);
    return startReplicaOnce(run, classpath, jobsJar, spec, progress);
  }
}

async function startReplicaOnce(run: RunDir, classpath: string, jobsJar: string, spec: ReplicaSpec, progress: Progress): Promise<ReplicaState> {
  if (spec.restPort !== undefined) await requirePortFree(spec.restPort, `the REST endpoint of replica ${spec.name}`);
  const restPort = spec.restPort ?? (await freePort());
  const rpcPort = await freePort().catch((e: unknown) => {
    releasePort(restPort);
    throw e;
  });
  const dir = run.path(spec.name);
  const ioTmp = run.path(spec.name, 'tmp');
  const state: ReplicaState = {
    name: spec.name,
    restUrl: `http://127.0.0.1:${restPort}`,
    restPort,
    rpcPort,
    jobManagerPid: 0,
    taskManagers: [],
    checkpointIntervalMs: spec.checkpointIntervalMs,
    checkpointDir: `${dir}/checkpoints`,
    savepointDir: `${dir}/savepoints`,
    generation: 0,
  };
  try {
    fs.mkdirSync(run.path(spec.name, 'conf'), { recursive: true });
    fs.mkdirSync(ioTmp, { recursive: true });
    fs.writeFileSync(run.path(spec.name, 'conf', 'config.yaml'), configYaml(spec, dir, rpcPort, restPort, ioTmp));
    state.jobManagerPid = startJobManager(run, classpath, jobsJar, spec, state);
    for (let slot = 0; slot < spec.taskManagers + spec.spareTaskManagers; slot++) state.taskManagers.push(startTaskManager(run, classpath, spec, slot, 0));
    progress(`replica ${spec.name}: JobManager pid ${state.jobManagerPid}, TaskManagers ${state.taskManagers.map((t) => t.pid).join(', ')}, REST ${state.restUrl}`);
    await (spec.session ? waitForTaskManagers(run, spec, state) : waitForRunningJob(run, spec, state));
    return state;
  } catch (e) {
    await stopReplica(run, state);
    throw e;
  }
}

/** Waits for REST, all TaskManagers registered, and the job RUNNING with every vertex RUNNING. */
export async function waitForRunningJob(run: RunDir, spec: ReplicaSpec, state: ReplicaState): Promise<string> {
  return waitUntilReady(run, spec, state, readiness);
}

/** A session cluster is ready when its REST answers and every TaskManager has registered. */
async function waitForTaskManagers(run: RunDir, spec: ReplicaSpec, state: ReplicaState): Promise<string> {
  return waitUntilReady(run, spec, state, async (flink) => {
    const registered = (await flink.taskManagers()).length;
    return { ready: registered >= state.taskManagers.length, failed: false, describe: `${registered} of ${state.taskManagers.length} TaskManagers registered`, id: '' };
  });
}

type Readiness = (flink: RestFlinkEngine) => Promise<{ ready: boolean; failed: boolean; describe: string; id: string }>;

/** Polls `ready` until it says so; a process of the replica that died, a FAILED job or the start time-out ends the wait with an error. */
async function waitUntilReady(run: RunDir, spec: ReplicaSpec, state: ReplicaState, ready: Readiness): Promise<string> {
  const flink = new RestFlinkEngine(state.restUrl, { requestTimeoutMs: 3000 });
  const deadline = Date.now() + spec.startTimeoutMs;
  let last = 'JobManager not answering';
  for (;;) {
    const dead = [{ name: `${spec.name}-jm`, pid: state.jobManagerPid }, ...state.taskManagers.map((t) => ({ name: `${spec.name}-tm${t.slot}`, pid: t.pid }))].find((p) => !isAlive(p.pid));
    if (dead) throw exitedAtStart(run, spec, state, dead);
    if (await flink.isReachable()) {
      // Answers may still be partial while the cluster starts: any failure here is "not ready yet".
      const job = await ready(flink).catch((e: Error) => ({ failed: false, ready: false, describe: e.message, id: '' }));
      last = job.describe;
      if (job.failed) {
        const exception = lastExceptionText(outputSinceStart(run, `${spec.name}-jm`)).text;
        throw new KhaosError('bad-input', `job of replica ${spec.name} FAILED at start: ${exception || `no exception in its JobManager's log; its last lines:\n${run.logTail(`${spec.name}-jm`, 30)}`}`, JOB_FAILED_HINT(run.path('logs')));
      }
      if (job.ready) return job.id;
    }
    if (Date.now() > deadline) throw new KhaosError('timeout', `replica ${spec.name} not ${spec.session ? 'ready' : 'running'} after ${spec.startTimeoutMs} ms: ${last}`, `see ${run.path('logs')}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** The error for a replica process that died while the replica was starting: the root cause leads. */
function exitedAtStart(run: RunDir, spec: ReplicaSpec, state: ReplicaState, dead: { name: string; pid: number }): KhaosError {
  const output = outputSinceStart(run, dead.name);
  const report = describeExit(output);
  const what = `${dead.name} (pid ${dead.pid}) exited while replica ${spec.name} was starting:`;
  const [rootCause] = report.bindFailure;
  const exception = dead.name.endsWith('-jm') ? lastExceptionText(output) : { text: '', mainThrew: false };
  // The job's main() threw: its arguments or its code, not the machine (exit 2).
  if (rootCause === undefined) return new KhaosError(exception.mainThrew ? 'bad-input' : 'platform', `${what}\n${exception.text}${exception.text ? 'last lines of its output:\n' : ''}${report.text}`, exception.text ? JOB_FAILED_HINT(run.path('logs')) : `see ${run.path('logs')}`);
  const hint = `another process took port ${state.restPort} (REST) or ${state.rpcPort} (RPC) first: see which with \`ss -ltnp\`; logs in ${run.path('logs')}`;
  return new PortTaken(`${what} ${report.text}`, hint, rootCause);
}

/** Whether the replica's job runs with every task deployed (and every TaskManager it needs registered). */
async function readiness(flink: RestFlinkEngine): Promise<{ ready: boolean; failed: boolean; describe: string; id: string }> {
  const tms = await flink.taskManagers();
  const jobs = await flink.listJobs();
  const job = jobs[0] ? await flink.job(jobs[0].id) : undefined;
  return {
    id: job?.id ?? '',
    failed: job?.state === 'FAILED',
    ready: job?.state === 'RUNNING' && job.vertices.every((v) => v.status === 'RUNNING'),
    describe: `${tms.length} TaskManagers registered, job ${job ? `${job.state} (${job.vertices.map((v) => v.status).join(', ')})` : 'not submitted'}`,
  };
}

/**
 * After a stop-with-savepoint the application-mode JobManager exits by itself; this waits for
 * that and starts the next generation with the new interval, restoring from the savepoint.
 * TaskManagers stay up and re-register.
 */
export async function relaunchFromSavepoint(run: RunDir, classpath: string, jobsJar: string, spec: ReplicaSpec, state: ReplicaState, savepoint: string, intervalMs: number): Promise<string> {
  // The stopped application-mode JobManager exits by itself within seconds, but lingers when the
  // client that asked for the stop died: give it 15 s, then end it.
  const deadline = Date.now() + 15_000;
  while (isAlive(state.jobManagerPid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  if (isAlive(state.jobManagerPid)) await terminate(state.jobManagerPid);
  state.generation++;
  state.checkpointIntervalMs = intervalMs;
  state.jobManagerPid = startJobManager(run, classpath, jobsJar, spec, state, savepoint);
  return waitForRunningJob(run, spec, state);
}

/** Restarts TaskManagers whose process died (a killed one comes back, like a pod in Kubernetes). */
export function restartDeadTaskManagers(run: RunDir, classpath: string, spec: ReplicaSpec, state: ReplicaState): TaskManagerProcess[] {
  const restarted: TaskManagerProcess[] = [];
  state.taskManagers = state.taskManagers.map((tm) => {
    if (isAlive(tm.pid)) return tm;
    state.generation++;
    const next = startTaskManager(run, classpath, spec, tm.slot, state.generation);
    restarted.push(next);
    return next;
  });
  return restarted;
}

/** Stops every process of the replica and ends this process's reservation of its ports. */
export async function stopReplica(run: RunDir, state: ReplicaState): Promise<void> {
  await Promise.all([state.jobManagerPid, ...state.taskManagers.map((t) => t.pid)].filter((p) => p > 0).map((pid) => terminate(pid, 3000)));
  releasePort(state.restPort);
  releasePort(state.rpcPort);
  run.forget(`${state.name}-jm`);
  for (const tm of state.taskManagers) run.forget(`${state.name}-tm${tm.slot}`);
}
