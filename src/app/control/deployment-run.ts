import { KhaosError } from '../../core/errors.js';
import { healthCheckNotes, upgradeModeProblem } from '../../core/k8s/deployment.js';
import type { ReconfigStep } from '../../core/control/records.js';
import type { DeploymentView, ManagedDeployment } from '../../ports/managed-deployment.js';
import { DeploymentUpgradeActuator, runsWith } from './deployment-actuator.js';
import { runControlSession, type ControlSettings, type ModelInputs, type SessionDeps, type SessionResult } from './session.js';

/**
 * `khaos control --flinkdeployment NS/NAME`: a control session on a job the Flink Kubernetes
 * Operator runs. Before it: the deployment must checkpoint (its interval is the fallback), the
 * restart actuator needs a stateful upgradeMode, the operator's health check is explained, and
 * with `setFallbackMs` the deployment's own interval is raised once through the operator's
 * upgrade. During it: every change of the deployment's status is recorded; an interval changed by
 * someone else pauses Khaos (it does not fight the change, and says so); a deleted deployment
 * ends the run. Each applied or failed change is also an Event on the deployment.
 */

/** A session's dependencies (`flink`: the deployment's JobManager REST, completed by its status), and the deployment. */
export interface DeploymentControlDeps extends SessionDeps {
  deployment: ManagedDeployment;
  onStep?(step: ReconfigStep): void;
}

export interface DeploymentControlOptions {
  /** `--set-fallback`: raise the deployment's own interval to this once, before control starts (operator upgrade). */
  setFallbackMs?: number;
  /** How long the operator may take to observe a patch, ms (then it is rolled back). */
  observeTimeoutMs: number;
  /** How long an operator upgrade may take, ms. */
  upgradeTimeoutMs: number;
  jobId?: string;
  config: unknown;
}

export interface DeploymentControlResult extends SessionResult {
  /** Why the run paused (an interval set by hand), if it did. */
  pausedBecause?: string;
  /** Why the run ended early (the deployment deleted), if it did. */
  endedBecause?: string;
}

const statusKey = (v: DeploymentView) => `lifecycleState ${v.lifecycleState ?? '-'}, job ${v.jobState ?? '-'}, JobManager ${v.jobManagerStatus ?? '-'}`;

export async function runDeploymentControl(deps: DeploymentControlDeps, s: ControlSettings, o: DeploymentControlOptions, inputs: ModelInputs, shouldStop: () => boolean): Promise<DeploymentControlResult> {
  const { deployment: d, log, store, clock } = deps;
  const v = d.view();
  if (!v) throw new KhaosError('bad-input', `FlinkDeployment ${d.ref} is gone`, 'give one that exists: kubectl get flinkdeployments -A');
  if (v.specIntervalMs === undefined) {
    throw new KhaosError('bad-input', `FlinkDeployment ${d.ref} runs without checkpointing (spec.flinkConfiguration["execution.checkpointing.interval"] is ${JSON.stringify(v.flinkConfiguration['execution.checkpointing.interval'] ?? null)}): there is no interval to control`, `set it in the FlinkDeployment (e.g. kubectl -n ${d.ref.split('/')[0]} patch flinkdeployment ${d.ref.split('/')[1]} --type merge -p '{"spec":{"flinkConfiguration":{"execution.checkpointing.interval":"10 min"}}}'), then start control again`);
  }
  const needsUpgrade = s.actuator === 'restart' || (o.setFallbackMs !== undefined && o.setFallbackMs !== v.specIntervalMs);
  const modeProblem = upgradeModeProblem(v.upgradeMode);
  if (needsUpgrade && modeProblem) {
    throw new KhaosError('bad-input', `FlinkDeployment ${d.ref} cannot be upgraded by Khaos: ${modeProblem}`, s.actuator === 'restart' ? 'set spec.job.upgradeMode to savepoint or last-state, or control it with the paced actuator (--actuator paced), which never restarts the job' : 'drop --set-fallback (pacing keeps the deployment’s own interval), or set spec.job.upgradeMode to savepoint or last-state');
  }
  if (!runsWith(v, v.specIntervalMs)) log(`control: ${d.ref} is not yet running its spec (${statusKey(v)}): waiting for it`);
  let fallback = v.specIntervalMs;
  const raise = o.setFallbackMs !== undefined && o.setFallbackMs !== fallback ? o.setFallbackMs : undefined;
  for (const note of healthCheckNotes(v.flinkConfiguration, raise ?? fallback)) log(`control: note: ${note}`);

  let runId: string | undefined;
  const runIdNow = () => runId ?? 'starting';
  const actuatorDeps = { deployment: d, store, clock, log, runId: runIdNow, onStep: deps.onStep, observeTimeoutMs: o.observeTimeoutMs, upgradeTimeoutMs: o.upgradeTimeoutMs };
  const restart = s.actuator === 'restart' ? new DeploymentUpgradeActuator(actuatorDeps, fallback) : undefined;
  // A reconfiguration a killed controller left open is finished first: --set-fallback then sees the interval it left.
  const resumed = restart ? await restart.resume() : undefined;
  if (resumed) log(`control: ${resumed}`);
  if (raise !== undefined && d.view()?.specIntervalMs !== raise) {
    log(`control: --set-fallback: raising ${d.ref}'s own interval ${fallback} → ${raise} ms through the operator's ${v.upgradeMode} upgrade`);
    const once = new DeploymentUpgradeActuator({ ...actuatorDeps, onStep: undefined, runId: () => 'set-fallback' }, fallback);
    const r = await once.apply(raise);
    await d.recordEvent(r.ok ? 'Normal' : 'Warning', r.ok ? 'KhaosFallbackRaised' : 'KhaosFallbackNotRaised', `khaos: own checkpoint interval ${fallback} → ${raise} ms (--set-fallback): ${r.detail}`);
    if (!r.ok) throw new KhaosError('platform', `--set-fallback: the operator's upgrade of ${d.ref} to ${raise} ms failed: ${r.detail}`, 'see kubectl describe flinkdeployment; control did not start');
  }
  fallback = d.view()?.specIntervalMs ?? fallback;
  restart?.adopt(fallback);
  await d.waitFor(`${d.ref} RUNNING with its interval ${fallback} ms`, o.upgradeTimeoutMs, (x) => (x && runsWith(x, fallback) ? true : undefined));

  // What Khaos knows the spec's interval to be: its own, or the last the restart actuator wrote.
  const known = () => restart?.specIntervalMs() ?? fallback;
  let lastStatus = '';
  let pausedBecause: string | undefined;
  let endedBecause: string | undefined;
  const record = (kind: string, detail: string, data?: unknown) => {
    if (runId) store.recordEvent({ runId, atMs: clock.now(), kind, detail, data });
    log(`control: ${detail}`);
  };
  /** Evaluated by the loop before each tick: records status changes, pauses on an interval set by hand, ends on deletion. */
  const paused = () => {
    const now = d.view();
    if (!now) {
      if (!endedBecause) record('deployment-deleted', (endedBecause = `FlinkDeployment ${d.ref} was deleted: nothing left to control, the run ends`));
      return true;
    }
    const key = statusKey(now);
    if (key !== lastStatus) record('deployment-status', `${d.ref}: ${key}${now.error ? ` (${now.error.slice(0, 200)})` : ''}`, now);
    lastStatus = key;
    const inFlight = restart && store.openReconfiguration(`k8s/${d.ref}`);
    if (!pausedBecause && !inFlight && now.specIntervalMs !== known()) {
      pausedBecause = `the interval of ${d.ref} was changed by someone else (${known()} → ${now.specIntervalMs ?? 'none'} ms in its spec, not by Khaos): Khaos does not fight it and is paused (no checkpoints paced, no changes) until it is stopped; start it again to control from the new interval`;
      record('paused', pausedBecause, { knownMs: known(), specMs: now.specIntervalMs });
      void d.recordEvent('Warning', 'KhaosPaused', `khaos: ${pausedBecause}`);
    }
    return pausedBecause !== undefined;
  };

  const result = await runControlSession(
    { flink: deps.flink, clock, store, log, newRunId: () => (runId = deps.newRunId()), ownerPid: deps.ownerPid },
    s,
    { jobId: o.jobId, restartActuator: restart, ...inputs, config: o.config, paused },
    () => shouldStop() || endedBecause !== undefined,
    async (r) => {
      if (r.decision.action !== 'change' || !r.outcome || !(r.outcome === 'applied' || r.outcome.startsWith('failed'))) return;
      const ok = r.outcome === 'applied';
      await d.recordEvent(ok ? 'Normal' : 'Warning', ok ? 'KhaosIntervalChanged' : 'KhaosIntervalChangeFailed', `khaos (${s.actuator}): checkpoint interval ${r.decision.fromIntervalMs} → ${r.decision.toIntervalMs} ms ${ok ? 'applied' : r.outcome}: ${r.decision.reason}`);
    },
  );
  return { ...result, pausedBecause, endedBecause };
}
