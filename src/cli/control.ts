import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { runLocalControl } from '../app/control/local-run.js';
import { modelsFromFiles } from '../app/control/models.js';
import { runControlSession, type ControlSettings, type SessionTarget } from '../app/control/session.js';
import { POLICY_NAMES } from '../core/control/policies.js';
import { badInput } from '../core/errors.js';
import { parseSamplesCsv } from '../core/profiling/samples.js';
import { parseDuration } from '../config/duration.js';
import { RestartActuator } from '../app/control/restart-actuator.js';
import { controlStore, crashHookFromEnv, processAlive, flinkAt, loadTrace, localControlDeps, newControlRunId, openLocalStack, systemClock } from '../compose.js';
import { configFrom, log, withOwnedStack } from './common.js';

export const CONTROL_USAGE = `khaos control — phase 3: keep a running job inside its latency and recovery targets

  khaos control --config FILE                 start the job on the local stack, replay the config's trace,
                                              kill TaskManagers at control.kills, control it, reconcile output
  khaos control --config FILE --attach URL [--job-id ID]
                                              control a job already running on any Flink 2.x cluster
                                              (REST address, e.g. http://127.0.0.1:8081) until Ctrl-C or --duration
  khaos control --config FILE --stack NAME [--replica R]
                                              control the job of a local stack started by \`khaos stack up\`
                                              (both actuators; restart reconfigurations resume after a crash)
  khaos control status [--json]               control runs, newest first
  khaos control decisions [--run ID] [--json] a run's decisions (default: the newest run)

options:
  --policy P          ${POLICY_NAMES.map((p) => p.name.replace('<ms>', '<duration>')).join(' | ')}
  --actuator A        paced (Khaos triggers checkpoints; no outage) | restart (savepoint and relaunch; local stack only)
  --dry-run           decide and record, never act
  --duration DUR      attach: stop after this long (default: until Ctrl-C); local: replay length
  --request-timeout DUR  Flink REST request time-out (default 10s)
Every number of every policy is in the config (docs/config.md, section control).
`;

const OPTIONS = {
  config: { type: 'string' }, attach: { type: 'string' }, 'job-id': { type: 'string' }, policy: { type: 'string' }, actuator: { type: 'string' },
  'dry-run': { type: 'boolean' }, duration: { type: 'string' }, run: { type: 'string' }, json: { type: 'boolean' }, name: { type: 'string' },
  'request-timeout': { type: 'string' }, stack: { type: 'string' }, replica: { type: 'string' }, help: { type: 'boolean', short: 'h' },
} as const;

function readSamples(file: string): NonNullable<SessionTarget['samples']> {
  if (!fs.existsSync(file)) throw badInput(`control.samples: ${file} not found`, 'give a samples CSV written by `khaos profile export`');
  return { samples: parseSamplesCsv(fs.readFileSync(file, 'utf8'), file), source: file };
}

function readModelFile(file: string): { json: unknown; source: string } {
  if (!fs.existsSync(file)) throw badInput(`model file ${file} not found`, 'fit one with `khaos models fit`');
  try {
    return { json: JSON.parse(fs.readFileSync(file, 'utf8')), source: file };
  } catch (e) {
    throw badInput(`model file ${file} is not JSON: ${(e as Error).message}`, 'give a file written by `khaos models fit`');
  }
}

/** Models and samples named by the config; missing or unreadable ones are a clear error before anything starts. */
function modelInputs(c: ReturnType<typeof configFrom>['control']): Pick<SessionTarget, 'samples' | 'models'> {
  if ((c.latencyModel === undefined) !== (c.recoveryModel === undefined)) throw badInput('control.latencyModel and control.recoveryModel go together', 'give both model files, or control.samples instead');
  const models = c.latencyModel && c.recoveryModel ? modelsFromFiles({ latency: readModelFile(c.latencyModel), recovery: readModelFile(c.recoveryModel) }) : undefined;
  return { models, samples: c.samples ? readSamples(c.samples) : undefined };
}

function settings(c: ReturnType<typeof configFrom>['control']): ControlSettings {
  return {
    policy: c.policy, actuator: c.actuator, dryRun: c.dryRun, tickMs: c.tickMs, statusEveryMs: c.statusEveryMs, windowMs: c.windowMs, recoveryTimeoutMs: c.recoveryTimeoutMs,
    forecast: c.forecast, forecastHorizonMs: c.forecastHorizonMs, forecastHistoryMs: c.forecastHistoryMs, learning: c.learning, learningWindow: c.learningWindow,
    sourceVertex: c.sourceVertex, latencyMetric: c.latencyMetric, options: c.options,
  };
}

/** Ctrl-C / SIGTERM end the loop after the current tick; the run is then recorded as stopped. */
function stopOnSignals(): () => boolean {
  let stop = false;
  const on = (sig: string) => {
    if (stop) return;
    stop = true;
    log(`${sig}: stopping control after the current tick…`);
  };
  process.once('SIGINT', on);
  process.once('SIGTERM', on);
  return () => stop;
}

export async function controlCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw badInput((e as Error).message, 'see `khaos control --help`');
  }
  const f = parsed.values;
  const [sub, ...rest] = parsed.positionals;
  if (f.help) {
    process.stdout.write(CONTROL_USAGE);
    return 0;
  }
  if (rest.length > 0) throw badInput(`unexpected arguments: ${rest.join(' ')}`, 'see `khaos control --help`');
  if (sub === 'status' || sub === 'decisions') return readRecords(sub, f);
  if (sub !== undefined) throw badInput(`unknown control command "${sub}"`, 'use: khaos control [--config F] | status | decisions');

  const c = configFrom({ config: f.config, name: f.name });
  const overrides = { ...c.control, policy: f.policy ?? c.control.policy, actuator: (f.actuator ?? c.control.actuator) as 'paced' | 'restart', dryRun: f['dry-run'] ?? c.control.dryRun };
  if (!['paced', 'restart'].includes(overrides.actuator)) throw badInput(`--actuator must be paced or restart, got "${overrides.actuator}"`);
  const st = /^static:(.+)$/.exec(overrides.policy);
  if (st) overrides.policy = `static:${parseDuration(st[1]!, '--policy static')}`;
  const s = settings(overrides);
  const inputs = modelInputs(c.control);
  const clock = systemClock();
  const store = controlStore();
  try {
    if (f.attach && f.stack) throw badInput('--attach and --stack exclude each other', '--attach URL for any Flink job, --stack NAME for the job of a local stack');
    if (f.attach || f.stack) {
      const requestTimeoutMs = f['request-timeout'] ? parseDuration(f['request-timeout'], '--request-timeout') : 10_000;
      const durationMs = f.duration ? parseDuration(f.duration, '--duration') : Infinity;
      const stopped = stopOnSignals();
      let started: number | undefined;
      let runId: string | undefined;
      const newRunId = () => (runId = newControlRunId());
      let flink = f.attach ? flinkAt(f.attach, requestTimeoutMs) : undefined;
      let restartActuator: SessionTarget['restartActuator'];
      if (f.stack) {
        const stack = await openLocalStack(configFrom({ config: f.config, name: f.stack }), log);
        const names = stack.replicaNames;
        const replica = f.replica ?? (names.length === 1 ? names[0] : undefined);
        if (!replica || !names.includes(replica)) throw badInput(f.replica ? `no replica "${f.replica}" in stack ${f.stack}` : `stack ${f.stack} has ${names.length} replicas`, `name one with --replica: ${names.join(', ') || 'none'}`);
        flink = flinkAt(stack.replica(replica).restUrl, requestTimeoutMs);
        restartActuator = new RestartActuator({ orchestrator: stack, flink, store, clock, log, runId: () => runId ?? 'starting', onStep: crashHookFromEnv() }, replica, `${f.stack}/${replica}`);
      }
      const r = await runControlSession(
        { flink: flink!, clock, store, log, newRunId, ownerPid: process.pid },
        s,
        { jobId: f['job-id'], restartActuator, ...inputs, config: c },
        // The duration counts from the first tick: a resumed reconfiguration may take a while before.
        () => stopped() || clock.now() - (started ??= clock.now()) >= durationMs,
      );
      log(`control: ${r.decisions} decisions, ${r.changes} changes, ${r.failures} failures seen; \`khaos control decisions --run ${r.runId}\``);
      return 0;
    }
    if (f['job-id'] || f.replica) throw badInput('--job-id goes with --attach URL, --replica with --stack NAME', 'see `khaos control --help`');
    const cfg = f.duration ? configFrom({ config: f.config, name: f.name, duration: f.duration }) : c;
    const trace = loadTrace(cfg.replay.trace);
    const stopped = stopOnSignals();
    return await withOwnedStack(cfg, async (stack) => {
      const deps = localControlDeps(stack, log);
      try {
        const r = await runLocalControl(
          deps,
          s,
          {
            job: cfg.job.kind, trace, seed: cfg.replay.seed, parallelism: cfg.job.parallelism, partitions: cfg.stack.partitions, peakRateEps: cfg.replay.peakRateEps,
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
  } finally {
    store.close();
  }
}

function readRecords(sub: 'status' | 'decisions', f: { json?: boolean; run?: string }): number {
  const store = controlStore();
  try {
    const runs = store.listRuns();
    if (sub === 'status') {
      const rows = runs.map((r) => {
        const ds = store.decisions(r.id);
        // A run still marked running whose process is gone was killed: say so (the record is kept as written).
        if (r.status === 'running' && (r.ownerPid === undefined || !processAlive(r.ownerPid))) r.status = 'interrupted';
        const last = ds.at(-1);
        return { ...r, decisions: ds.length, changes: ds.filter((d) => d.outcome === 'applied').length, intervalMs: last ? (last.outcome === 'applied' ? last.toIntervalMs : last.fromIntervalMs) : undefined, failures: store.events(r.id, 'failure').length, errors: store.events(r.id, 'error').length };
      });
      if (f.json) process.stdout.write(`${JSON.stringify(rows.map(({ config: _c, ...r }) => r), null, 2)}\n`);
      else if (rows.length === 0) process.stdout.write('no control runs yet: start one with `khaos control --config FILE`\n');
      else
        for (const r of rows) {
          process.stdout.write(`${r.id}  ${r.status.padEnd(7)}  ${r.policy}@${r.actuator}${r.dryRun ? ' (dry run)' : ''}  job ${r.jobId ?? '?'} at ${r.restUrl}  ${r.decisions} decisions, ${r.changes} changes, ${r.failures} failures, ${r.errors} errors${r.intervalMs ? `, interval ${r.intervalMs} ms` : ''}\n`);
        }
      return 0;
    }
    const run = f.run ? store.getRun(f.run) : runs[0];
    if (!run) throw badInput(f.run ? `no control run "${f.run}"` : 'no control runs yet', 'list them with `khaos control status`');
    const ds = store.decisions(run.id);
    if (f.json) process.stdout.write(`${JSON.stringify(ds, null, 2)}\n`);
    else
      for (const d of ds) {
        process.stdout.write(`${new Date(d.atMs).toISOString().slice(11, 19)}  ${d.action.padEnd(6)} ${String(d.fromIntervalMs).padStart(6)} → ${String(d.toIntervalMs).padStart(6)} ms  ${d.outcome.padEnd(8)} ${d.reason}\n`);
      }
    return 0;
  } finally {
    store.close();
  }
}
