import { KhaosError } from '../../src/core/errors.js';
import { whenChanged } from '../../src/adapters/k8s/watch.js';
import type { DeploymentView, ManagedDeployment } from '../../src/ports/managed-deployment.js';

/**
 * A ManagedDeployment in memory: the view is what the test sets; `setInterval` bumps the
 * generation, writes the spec's interval and hands the deployment to `operator`, the test's
 * script of what the operator does next (nothing: no operator runs). Events are recorded.
 */
export class FakeManagedDeployment implements ManagedDeployment {
  readonly ref = 'ns/job';
  readonly restUrl = 'http://fake/ns/job';
  readonly events: { type: string; reason: string; message: string }[] = [];
  readonly patches: number[] = [];
  operator?: (d: FakeManagedDeployment, intervalMs: number) => void;
  private current?: DeploymentView;
  private readonly waiters = new Set<() => void>();

  constructor(intervalMs: number, upgradeMode: DeploymentView['upgradeMode'] = 'savepoint') {
    this.current = {
      generation: 1, observedGeneration: 1, specIntervalMs: intervalMs, reconciledIntervalMs: intervalMs, upgradeMode, lifecycleState: 'STABLE', reconciliationState: 'DEPLOYED',
      jobManagerStatus: 'READY', jobState: 'RUNNING', jobId: 'j1', flinkConfiguration: { 'execution.checkpointing.interval': `${intervalMs} ms` }, deleting: false,
    };
  }

  view(): DeploymentView | undefined {
    return this.current && { ...this.current };
  }

  /** The status moves (or the deployment goes, with undefined); waiters re-check. */
  update(patch: Partial<DeploymentView> | undefined): void {
    this.current = patch && this.current ? { ...this.current, ...patch } : undefined;
    for (const w of [...this.waiters]) w();
  }

  async setInterval(intervalMs: number): Promise<number> {
    if (!this.current) throw new KhaosError('platform', `FlinkDeployment ${this.ref} is gone`);
    this.patches.push(intervalMs);
    this.update({ generation: this.current.generation + 1, specIntervalMs: intervalMs });
    const generation = this.current.generation;
    queueMicrotask(() => this.operator?.(this, intervalMs));
    return generation;
  }

  async recordEvent(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    this.events.push({ type, reason, message });
  }

  waitFor<T>(what: string, ms: number, check: (v: DeploymentView | undefined) => T | undefined): Promise<T> {
    return whenChanged(this.waiters, ms, () => check(this.view()), () => new KhaosError('timeout', `${what}: not within ${ms / 1000} s`));
  }

  close(): void {}
}

/** The operator's upgrade as a script: observed (UPGRADING, the snapshot in the status), then redeployed RUNNING. */
export function upgradingOperator(snapshot: (intervalMs: number) => string, outcome: 'running' | 'rolled-back' = 'running') {
  return (d: FakeManagedDeployment, intervalMs: number) => {
    const v = d.view()!;
    d.update({ observedGeneration: v.generation, reconciledIntervalMs: intervalMs, reconciliationState: 'UPGRADING', lifecycleState: 'UPGRADING', jobState: 'FINISHED', upgradeSavepointPath: snapshot(intervalMs) });
    setTimeout(() => {
      if (outcome === 'rolled-back') return d.update({ reconciliationState: 'ROLLED_BACK', lifecycleState: 'ROLLED_BACK', jobState: 'RUNNING', error: 'Deployment is not ready within the configured timeout, rolling back' });
      d.update({ reconciliationState: 'DEPLOYED', lifecycleState: 'DEPLOYED', jobManagerStatus: 'READY', jobState: 'RUNNING' });
    }, 5);
  };
}
