import type { Command } from 'commander';
import { requireInput } from '../core/jobs.js';
import { runLocalControl } from '../app/control/local-run.js';
import { runSummaries } from '../app/control/run-records.js';
import { controlSettings, runControlSession, type ControlSettings, type ModelInputs } from '../app/control/session.js';
import { createPolicy, parsePolicy, POLICY_NAMES } from '../core/control/policies.js';
import { normaliseRestUrl } from '../core/rest-url.js';
import { badInput } from '../core/errors.js';
import { parseDuration } from '../core/duration.js';
import { checkModelsJob } from '../app/control/control-models.js';
import { runDeploymentControl } from '../app/control/deployment-run.js';
import { controlLatency, type ControlLatency } from '../app/control/latency-source.js';
import { checkJobJar, configJobIdentity, messageBusAt, stacks, controlRecords, controlStore, crashHookFromEnv, flinkDeploymentTarget, processAlive, flinkAt, loadTrace, localControlDeps, modelInputs, newControlRunId, stackJobTarget, systemClock } from '../compose.js';
import { openDashboard, withDashboardOptions } from './dashboard.js';
import { act, configFrom, log, stopOnSignals, withConfigOptions, withOwnedStack, type CliIo } from './common.js';

const EXAMPLES = `
Examples:
  khaos control --config FILE                 start the job on the local stack, replay the config's trace,
                                              kill TaskManagers at control.kills, control it, reconcile output
  khaos control --config FILE --attach URL [--job-id ID]
                                              control a job already running on any Flink 2.x cluster
                                              (REST address, e.g. http://127.0.0.1:8081) until Ctrl-C or --duration
  khaos control --config FILE --stack NAME [--replica R]
                                              control the job of a local stack started by \`khaos stack up\`
                                              (both actuators; restart reconfigurations resume after a crash)
  khaos control --config FILE --flinkdeployment NAMESPACE/NAME [--set-fallback]
                                              control a job the Flink Kubernetes Operator runs, through the
                                              kubeconfig (k8s.kubeconfig): both actuators, docs/kubernetes.md
  khaos control status [--json]               control runs, newest first
  khaos control decisions [--run ID] [--json] a run's decisions (default: the newest run)

Every number of every policy is in the config (docs/config.md, section control).
A duration is written like 500ms, 30s, 5min or 2h; a bare number is milliseconds.`;

/** How long `--attach` waits for a just-started job's tasks to run and report metrics before checking its requirements. */
const REQUIREMENTS_WAIT_MS = 60_000;

interface Flags {
  config?: string;
  name?: string;
  duration?: string;
  attach?: string;
  jobId?: string;
  stack?: string;
  replica?: string;
  flinkdeployment?: string;
  setFallback?: boolean;
  policy?: string;
  actuator?: string;
  dryRun?: boolean;
  requestTimeout?: string;
  strict?: boolean;
  dashboard?: boolean;
  dashboardPort?: string;
  outputTopic?: string;
  bootstrap?: string;
}

/** `khaos control`: controls a job (local stack, --attach URL or --stack NAME); `status` and `decisions` read the records. */
export function addControlCommand(parent: Command, io: CliIo): Command {
  const control = withConfigOptions(parent.command('control').description("phase 3: keep a running job inside its latency and recovery targets by choosing its checkpoint interval"), ['config', 'name', 'duration'], {
    duration: 'attach: stop after this long (default: until Ctrl-C); local: replay length',
  })
    .option('--attach <url>', 'control a job already running on any Flink 2.x cluster, at this REST address (e.g. http://127.0.0.1:8081)')
    .option('--job-id <id>', 'with --attach: the job to control')
    .option('--stack <name>', 'control the job of a local stack started by `khaos stack up`')
    .option('--replica <r>', 'with --stack: the replica whose job to control')
    .option('--flinkdeployment <ns/name>', 'control a FlinkDeployment of the Flink Kubernetes Operator, through the kubeconfig Khaos reads')
    .option('--set-fallback', 'with --flinkdeployment: first raise its own interval to control.fallbackInterval (one operator upgrade)')
    .option('--policy <p>', POLICY_NAMES.map((p) => p.name).join(' | '))
    .option('--actuator <a>', 'paced (Khaos triggers checkpoints; no outage) | restart (savepoint and relaunch; local stack only)')
    .option('--dry-run', 'decide and record, never act')
    .option('--request-timeout <dur>', 'Flink REST request time-out (default 10s)')
    .option('--output-topic <topic>', 'with --attach or --stack, a job whose job.latency is output-timestamp: the topic it writes its output to (its latency is observed there)')
    .option('--bootstrap <host:port>', 'with --output-topic: the Kafka the job writes to (default: the broker of the stack --stack, else of stack.name)')
    .option('--strict', 'refuse models fitted for another job (jar, entry class, parallelism, recovery options) instead of warning');
  withDashboardOptions(control).addHelpText('after', EXAMPLES);
  act(control, controlJob);
  act(control.command('status').description('control runs, newest first').option('--json', 'print the runs as JSON'), (f: { json?: boolean }) => readRecords('status', f, io));
  act(control.command('decisions').description("a run's decisions (default: the newest run)").option('--run <id>', 'the run').option('--json', 'print the decisions as JSON'), (f: { json?: boolean; run?: string }) => readRecords('decisions', f, io));
  return control;
}

/** A control run as the flags say: on a job --attach names or of a --stack, else on a job of a stack of its own. */
async function controlJob(f: Flags): Promise<number> {
  const c = configFrom({ config: f.config, name: f.name });
  const overrides = { ...c.control, policy: f.policy ?? c.control.policy, actuator: (f.actuator ?? c.control.actuator) as 'paced' | 'restart', dryRun: f.dryRun ?? c.control.dryRun };
  if (!['paced', 'restart'].includes(overrides.actuator)) throw badInput(`--actuator must be paced or restart, got "${overrides.actuator}"`);
  // Parsed here, before any connection: a bad --policy is refused at once, naming its problem.
  overrides.policy = parsePolicy(overrides.policy).spec.policy;
  // Every check on the flags before anything is opened or reached: a refused command changes nothing.
  createPolicy(overrides.policy, overrides.options);
  if ([f.attach, f.stack, f.flinkdeployment].filter(Boolean).length > 1) throw badInput('--attach, --stack and --flinkdeployment exclude each other', '--attach URL for any Flink job, --stack NAME for the job of a local stack, --flinkdeployment NS/NAME for a FlinkDeployment');
  if (f.setFallback && !f.flinkdeployment) throw badInput('--set-fallback goes with --flinkdeployment NS/NAME', 'on the local stack the job starts with control.fallbackInterval already');
  const deploymentRef = f.flinkdeployment === undefined ? undefined : parseDeploymentRef(f.flinkdeployment);
  if ((f.jobId && !(f.attach || f.stack || f.flinkdeployment)) || (f.replica && !f.stack)) throw badInput('--job-id goes with --attach URL, --stack NAME or --flinkdeployment NS/NAME, --replica with --stack NAME', 'see `khaos control --help`');
  if (f.dashboardPort !== undefined && !f.dashboard) throw badInput('--dashboard-port goes with --dashboard', 'add --dashboard, or leave out --dashboard-port');
  const attach = f.attach === undefined ? undefined : normaliseRestUrl(f.attach, '--attach');
  if ((f.outputTopic !== undefined && !(attach || f.stack)) || (f.bootstrap !== undefined && f.outputTopic === undefined)) throw badInput('--output-topic goes with --attach URL or --stack NAME, --bootstrap with --output-topic', 'a run on a stack of its own knows its output topic; see `khaos control --help`');
  const settings = controlSettings(overrides);
  const latency = attach || f.stack ? attachedLatency(f, c, settings) : undefined;
  const run: Run = { config: c, settings, inputs: modelInputs(c.control), latency };
  checkModelsJob(run.inputs, configJobIdentity(c), f.strict === true, log);
  const store = controlStore();
  const dashboard = f.dashboard ? await openDashboard({ port: f.dashboardPort }, store).catch((e) => (store.close(), Promise.reject(e))) : undefined;
  try {
    if (deploymentRef) return await controlDeployment(f, deploymentRef, run, store);
    if (attach || f.stack) return await controlRunningJob({ ...f, attach }, run, store);
    return await controlOwnJob(f, run);
  } finally {
    await dashboard?.close();
    store.close();
  }
}

interface Run {
  config: ReturnType<typeof configFrom>;
  settings: ControlSettings;
  inputs: ModelInputs;
  /** --attach or --stack: how the job's latency is observed, and on which Kafka its output is (output-timestamp). */
  latency?: { way: ControlLatency; bootstrap?: string };
}

/** How a job that runs already is observed (job.latency): from --output-topic on --bootstrap or a stack's Kafka, refused without them when its output is needed. */
function attachedLatency(f: Flags, c: ReturnType<typeof configFrom>, s: ControlSettings): Run['latency'] {
  const fix = 'give --output-topic TOPIC, the topic the job writes its output to (with --bootstrap HOST:PORT when its Kafka is not the stack\'s), or set job.latency to metric:<its p99 gauge> or none';
  const way = controlLatency(c.job.descriptor, s.latencyMetric, f.outputTopic, fix);
  if (way.kind !== 'output') return { way };
  const name = f.stack ?? c.stack.name;
  const bootstrap = f.bootstrap ?? stacks().find((st) => st.name === name && st.processes.length > 0)?.kafka;
  if (!bootstrap) throw badInput(`no Kafka to read ${way.topic} from: stack ${name} is not running`, 'give --bootstrap HOST:PORT, the Kafka the job writes to');
  return { way, bootstrap };
}

/** --attach URL or --stack NAME: a job that runs already, until Ctrl-C or --duration. */
async function controlRunningJob(f: Flags, { config: c, settings: s, inputs, latency }: Run, store: ReturnType<typeof controlStore>): Promise<number> {
  const clock = systemClock();
  const requestTimeoutMs = f.requestTimeout ? parseDuration(f.requestTimeout, '--request-timeout') : 10_000;
  const durationMs = f.duration ? parseDuration(f.duration, '--duration') : Infinity;
  const stopped = stopOnSignals('control');
  let started: number | undefined;
  let runId: string | undefined;
  const newRunId = () => (runId = newControlRunId());
  const { flink, restartActuator } = f.stack
    ? await stackJobTarget(c, { stack: f.stack, replica: f.replica, requestTimeoutMs }, { store, log, runId: () => runId ?? 'starting' })
    : { flink: flinkAt(f.attach!, requestTimeoutMs), restartActuator: undefined };
  const bus = latency?.bootstrap === undefined ? undefined : messageBusAt(latency.bootstrap);
  const r = await runControlSession(
    { flink, clock, store, log, newRunId, ownerPid: process.pid },
    s,
    // A job Khaos did not start (--attach) is checked for what Khaos needs first; a stack's job is Khaos's own.
    { jobId: f.jobId, restartActuator, ...inputs, config: c, requirements: f.attach ? { sourceVertex: s.sourceVertex, waitMs: REQUIREMENTS_WAIT_MS } : undefined, latency: latency && { way: latency.way, bus } },
    // The duration counts from the first tick: a resumed reconfiguration may take a while before.
    () => stopped() || clock.now() - (started ??= clock.now()) >= durationMs,
  ).finally(() => bus?.close());
  log(`control: ${r.decisions} decisions, ${r.changes} changes, ${r.failures} failures seen; \`khaos control decisions --run ${r.runId}\``);
  return 0;
}

/** `NAMESPACE/NAME` of --flinkdeployment, both DNS labels. */
function parseDeploymentRef(text: string): { namespace: string; name: string } {
  const m = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(text);
  if (!m) throw badInput(`--flinkdeployment must be NAMESPACE/NAME (lowercase letters, digits, dashes), got "${text}"`, 'e.g. --flinkdeployment flink/orders; kubectl get flinkdeployments -A lists them');
  return { namespace: m[1]!, name: m[3]! };
}

/** --flinkdeployment NS/NAME: a job the operator runs, until Ctrl-C, --duration, or its deletion. */
async function controlDeployment(f: Flags, ref: { namespace: string; name: string }, { config: c, settings: s, inputs }: Run, store: ReturnType<typeof controlStore>): Promise<number> {
  const clock = systemClock();
  const requestTimeoutMs = f.requestTimeout ? parseDuration(f.requestTimeout, '--request-timeout') : 10_000;
  const durationMs = f.duration ? parseDuration(f.duration, '--duration') : Infinity;
  const stopped = stopOnSignals('control');
  let started: number | undefined;
  const target = await flinkDeploymentTarget(c, ref, requestTimeoutMs, log);
  try {
    const r = await runDeploymentControl(
      { ...target, clock, store, log, newRunId: newControlRunId, ownerPid: process.pid, onStep: crashHookFromEnv() },
      s,
      { setFallbackMs: f.setFallback ? c.control.fallbackIntervalMs : undefined, observeTimeoutMs: c.stack.savepointTimeoutMs, upgradeTimeoutMs: c.stack.startTimeoutMs + c.stack.savepointTimeoutMs, jobId: f.jobId, config: c },
      inputs,
      () => stopped() || clock.now() - (started ??= clock.now()) >= durationMs,
    );
    log(`control: ${r.decisions} decisions, ${r.changes} changes, ${r.failures} failures seen${r.pausedBecause ? '; paused (interval set by hand)' : ''}${r.endedBecause ? '; ended (FlinkDeployment deleted)' : ''}; \`khaos control decisions --run ${r.runId}\``);
    return 0;
  } finally {
    target.close();
  }
}

/** No --attach or --stack: the job on a stack of this process, fed the config's trace, with kills at control.kills; 1 when the output does not reconcile. */
async function controlOwnJob(f: Flags, { config: c, settings: s, inputs }: Run): Promise<number> {
  const cfg = f.duration ? configFrom({ config: f.config, name: f.name, duration: f.duration }) : c;
  // Before the stack starts: a refused command starts nothing.
  const job = cfg.job.descriptor;
  requireInput(job, '`khaos control` on a stack it starts');
  checkJobJar(cfg);
  const trace = loadTrace(cfg.replay.trace);
  const stopped = stopOnSignals('control');
  return withOwnedStack(cfg, async (stack) => {
    const deps = localControlDeps(stack, log);
    try {
      const r = await runLocalControl(
        deps,
        s,
        {
          job, trace, seed: cfg.replay.seed, parallelism: cfg.job.parallelism, partitions: cfg.stack.partitions, peakRateEps: cfg.replay.peakRateEps, peakPercentile: cfg.replay.peakPercentile,
          compression: cfg.replay.compression, startOffsetSec: cfg.replay.startOffsetSec, durationSec: cfg.replay.durationSec,
          startIntervalMs: cfg.job.checkpointIntervalMs, fallbackIntervalMs: cfg.control.fallbackIntervalMs, killsSec: cfg.control.killsSec, drainMs: 20_000,
        },
        cfg,
        inputs.samples,
        inputs.models,
        stopped,
      );
      log(`control: ${r.decisions} decisions, ${r.changes} changes, ${r.kills} kills, ${r.failures} failures seen; \`khaos control decisions --run ${r.runId}\``);
      return r.reconciliation.ok ? 0 : 1;
    } finally {
      await deps.bus.close();
    }
  });
}

function readRecords(sub: 'status' | 'decisions', f: { json?: boolean; run?: string }, io: CliIo): number {
  const store = controlRecords();
  try {
    const runs = store?.listRuns() ?? [];
    if (sub === 'status') {
      const rows = store ? runSummaries(store, processAlive) : [];
      if (f.json) io.out(`${JSON.stringify(rows.map(({ config: _c, lastRecordMs: _l, ...r }) => r), null, 2)}\n`);
      else if (rows.length === 0) io.out('no control runs yet: start one with `khaos control --config FILE`\n');
      else
        for (const r of rows) {
          io.out(`${r.id}  ${r.status.padEnd(7)}  ${r.policy}@${r.actuator}${r.dryRun ? ' (dry run)' : ''}  job ${r.jobId ?? '?'} at ${r.restUrl}  ${r.decisions} decisions, ${r.changes} changes, ${r.failures} failures, ${r.errors} errors${r.intervalMs ? `, interval ${r.intervalMs} ms` : ''}\n`);
        }
      return 0;
    }
    const run = f.run ? store?.getRun(f.run) : runs[0];
    if (!run || !store) throw badInput(f.run ? `no control run "${f.run}"` : 'no control runs yet', 'list them with `khaos control status`');
    const ds = store.decisions(run.id);
    if (f.json) io.out(`${JSON.stringify(ds, null, 2)}\n`);
    else
      for (const d of ds) {
        io.out(`${new Date(d.atMs).toISOString().slice(11, 19)}  ${d.action.padEnd(6)} ${String(d.fromIntervalMs).padStart(6)} → ${String(d.toIntervalMs).padStart(6)} ms  ${d.outcome.padEnd(8)} ${d.reason}\n`);
      }
    return 0;
  } finally {
    store?.close();
  }
}
