import { KhaosError } from '../../core/errors.js';
import type { ReconfigRecord, ReconfigStep } from '../../core/control/records.js';
import type { ActuationOutcome, IntervalActuator } from '../../ports/actuator.js';
import type { Clock } from '../../ports/clock.js';
import type { ControlStore } from '../../ports/control-store.js';
import type { DeploymentView, ManagedDeployment } from '../../ports/managed-deployment.js';
import { saveStep } from './restart-actuator.js';

/**
 * The restart actuator on an operator-managed deployment (a FlinkDeployment): Khaos patches the
 * interval into the spec and the operator performs the upgrade its upgradeMode says (savepoint:
 * stop with a savepoint, redeploy from it; last-state: redeploy from the latest checkpoint). Khaos
 * follows it through the status, never acting on the job itself.
 *
 * Steps, each persisted before it is taken (as the local RestartActuator's):
 * planned → stopping (the patch is about to be sent) → stopped (the operator has reconciled the new
 * spec: the upgrade's savepoint, or the last-state marker, is in the status) → relaunching (the
 * operator redeploys) → done; or failed / rolled-back. A controller killed at any step and
 * started again resumes from the step and the deployment's status (resume()).
 */

export interface DeploymentActuatorDeps {
  deployment: ManagedDeployment;
  store: ControlStore;
  clock: Clock;
  log(line: string): void;
  runId(): string;
  /** Called right after each step is persisted, before it is taken (the crash-safety test kills the process here). */
  onStep?(step: ReconfigStep): void;
  /** How long the operator may take to observe the patch (else it is rolled back: no operator runs), ms. */
  observeTimeoutMs: number;
  /** How long the whole upgrade may take once observed, ms. */
  upgradeTimeoutMs: number;
}

/** The operator has reconciled generation `gen` (and with it `intervalMs`). */
const observed = (v: DeploymentView, gen: number, intervalMs: number) => (v.observedGeneration ?? 0) >= gen && v.reconciledIntervalMs === intervalMs;

/** The job runs the spec with `intervalMs`, deployed by the operator. */
export const runsWith = (v: DeploymentView, intervalMs: number) =>
  v.reconciledIntervalMs === intervalMs && v.reconciliationState === 'DEPLOYED' && ['DEPLOYED', 'STABLE'].includes(v.lifecycleState ?? '') && v.jobManagerStatus === 'READY' && v.jobState === 'RUNNING';

/** Throws for the operator's rollback and failure states. */
function throwIfBroken(v: DeploymentView | undefined, ref: string): DeploymentView {
  if (!v) throw new KhaosError('platform', `FlinkDeployment ${ref} was deleted during the upgrade`, 'nothing left to control');
  if (['ROLLING_BACK', 'ROLLED_BACK'].includes(v.lifecycleState ?? '') || ['ROLLING_BACK', 'ROLLED_BACK'].includes(v.reconciliationState ?? '')) {
    throw new KhaosError('platform', `the operator rolled ${ref} back to its last stable spec (${v.lifecycleState ?? v.reconciliationState})${v.error ? `: ${v.error.slice(0, 300)}` : ''}`, 'see kubectl describe flinkdeployment and the operator’s log');
  }
  if (v.lifecycleState === 'FAILED' || v.jobState === 'FAILED') throw new KhaosError('platform', `${ref} failed after the upgrade (lifecycleState ${v.lifecycleState ?? '-'}, job ${v.jobState ?? '-'})${v.error ? `: ${v.error.slice(0, 300)}` : ''}`, 'see the JobManager’s log');
  return v;
}

export class DeploymentUpgradeActuator implements IntervalActuator {
  readonly kind = 'restart' as const;
  private current: number;
  /** The interval Khaos last wrote into the spec (or found there). */
  private written: number;

  constructor(
    private readonly deps: DeploymentActuatorDeps,
    initialIntervalMs: number,
  ) {
    this.current = initialIntervalMs;
    this.written = initialIntervalMs;
  }

  private get target(): string {
    return `k8s/${this.deps.deployment.ref}`;
  }

  intervalMs(): number {
    return this.current;
  }

  adopt(intervalMs: number): void {
    this.current = intervalMs;
    this.written = intervalMs;
  }

  /** The interval Khaos last wrote into the deployment's spec: any other there was set by someone else. */
  specIntervalMs(): number {
    return this.written;
  }

  private save(r: ReconfigRecord, step: ReconfigStep, extra: Partial<ReconfigRecord> = {}): ReconfigRecord {
    return saveStep(this.deps, r, step, extra);
  }

  async apply(toIntervalMs: number): Promise<ActuationOutcome> {
    const from = this.current;
    const now = this.deps.clock.now();
    let r = this.save({ id: `${this.target}@${now}`, runId: this.deps.runId(), target: this.target, fromIntervalMs: from, toIntervalMs, step: 'planned', startedAtMs: now, updatedAtMs: now }, 'planned');
    r = this.save(r, 'stopping');
    let generation: number;
    try {
      generation = await this.deps.deployment.setInterval(toIntervalMs);
      this.written = toIntervalMs;
    } catch (e) {
      return this.fail(r, `the patch was refused, the job keeps running at ${from} ms: ${(e as Error).message}`, 0);
    }
    return this.follow(r, generation);
  }

  /** From the patch to a job running with the new interval; rolled back when the operator never observes the patch. */
  private async follow(r: ReconfigRecord, generation: number): Promise<ActuationOutcome> {
    const d = this.deps.deployment;
    if (r.step === 'stopping') {
      try {
        const v = await d.waitFor(`the operator observing ${d.ref}'s interval ${r.toIntervalMs} ms`, this.deps.observeTimeoutMs, (x) => (observed(throwIfBroken(x, d.ref), generation, r.toIntervalMs) ? x : undefined));
        r = this.save(r, 'stopped', { savepointPath: v!.upgradeSavepointPath ?? v!.lastSavepoint ?? '(none reported)' });
      } catch (e) {
        if (!(e instanceof KhaosError && e.kind === 'timeout')) return this.fail(r, (e as Error).message, this.deps.clock.now() - r.startedAtMs);
        // No operator acted on the patch: put the spec back, so that none acts on it later unseen.
        await d.setInterval(r.fromIntervalMs).then(
          () => (this.written = r.fromIntervalMs),
          (u: Error) => this.deps.log(`restart: putting the interval back failed: ${u.message}`),
        );
        this.current = r.fromIntervalMs;
        const detail = `the operator did not observe the patch within ${this.deps.observeTimeoutMs / 1000} s (is it running?): the interval was put back to ${r.fromIntervalMs} ms; ${(e as Error).message}`;
        this.save(r, 'rolled-back', { detail });
        return { ok: false, fromIntervalMs: r.fromIntervalMs, toIntervalMs: r.fromIntervalMs, outageMs: 0, detail };
      }
    }
    r = this.save(r, 'relaunching');
    try {
      await d.waitFor(`${d.ref} RUNNING again with the interval ${r.toIntervalMs} ms`, this.deps.upgradeTimeoutMs, (x) => (runsWith(throwIfBroken(x, d.ref), r.toIntervalMs) ? true : undefined));
    } catch (e) {
      return this.fail(r, (e as Error).message, this.deps.clock.now() - r.startedAtMs);
    }
    this.current = r.toIntervalMs;
    const outageMs = this.deps.clock.now() - r.startedAtMs;
    this.save(r, 'done', { detail: `upgraded from ${r.savepointPath}` });
    return { ok: true, fromIntervalMs: r.fromIntervalMs, toIntervalMs: r.toIntervalMs, outageMs, detail: `operator upgrade from ${r.savepointPath}, running again after ${outageMs} ms` };
  }

  private fail(r: ReconfigRecord, detail: string, outageMs: number): ActuationOutcome {
    this.save(r, 'failed', { detail });
    return { ok: false, fromIntervalMs: r.fromIntervalMs, toIntervalMs: r.toIntervalMs, outageMs, detail };
  }

  /**
   * Finishes or rolls back a change a killed controller left open; what it did, or undefined.
   * - planned: nothing was sent → rolled back.
   * - stopping: the spec says whether the patch went out: the old interval → rolled back; the
   *   new one → followed as if never interrupted.
   * - stopped / relaunching: followed until the job runs with the new interval (or fails).
   */
  async resume(): Promise<string | undefined> {
    const r = this.deps.store.openReconfiguration(this.target);
    if (!r) return undefined;
    this.deps.log(`restart: resuming reconfiguration ${r.id} (${r.fromIntervalMs} → ${r.toIntervalMs} ms) left at step "${r.step}"`);
    const v = this.deps.deployment.view();
    if (v?.specIntervalMs !== undefined) this.written = v.specIntervalMs;
    if (r.step === 'planned' || (r.step === 'stopping' && v?.specIntervalMs !== r.toIntervalMs)) {
      this.current = r.fromIntervalMs;
      this.save(r, 'rolled-back', { detail: 'the controller stopped before the patch was sent: the deployment was not touched' });
      return `rolled back (the patch was never sent; the job runs at ${r.fromIntervalMs} ms)`;
    }
    const out = await this.follow(r, v?.generation ?? 0);
    return out.ok ? `done (the operator's upgrade finished: ${r.toIntervalMs} ms)` : `${out.toIntervalMs === out.fromIntervalMs ? 'rolled back' : 'failed'}: ${out.detail}`;
  }
}
