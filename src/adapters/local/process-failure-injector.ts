import { KhaosError } from '../../core/errors.js';
import type { Clock } from '../../ports/clock.js';
import type { FailureInjector, InjectedFailure } from '../../ports/failure-injector.js';
import type { Orchestrator } from '../../ports/orchestrator.js';
import { isAlive, signal } from '../system/processes.js';

/** Kills or freezes a local TaskManager JVM with POSIX signals (SIGKILL; SIGSTOP then SIGCONT). */
export class ProcessFailureInjector implements FailureInjector {
  constructor(
    private readonly orchestrator: Orchestrator,
    private readonly replica: string,
    private readonly clock: Clock,
  ) {}

  private pidOf(taskManagerId: string): number {
    const tm = this.orchestrator.replica(this.replica).taskManagers.find((t) => t.id === taskManagerId);
    if (!tm) throw new KhaosError('bad-input', `TaskManager ${taskManagerId} is not a live process of replica ${this.replica}`, 'its live TaskManagers: `khaos stack status`');
    if (!isAlive(tm.pid)) throw new KhaosError('platform', `TaskManager ${taskManagerId} (pid ${tm.pid}) is not running`);
    return tm.pid;
  }

  async kill(taskManagerId: string): Promise<InjectedFailure> {
    const pid = this.pidOf(taskManagerId);
    const injectedAtMs = this.clock.now();
    if (!signal(pid, 'SIGKILL')) throw new KhaosError('platform', `could not SIGKILL pid ${pid}`);
    return { type: 'kill', taskManagerId, pid, injectedAtMs };
  }

  async freeze(taskManagerId: string, durationMs: number): Promise<InjectedFailure> {
    const pid = this.pidOf(taskManagerId);
    const injectedAtMs = this.clock.now();
    if (!signal(pid, 'SIGSTOP')) throw new KhaosError('platform', `could not SIGSTOP pid ${pid}`);
    try {
      await this.clock.sleep(durationMs);
    } finally {
      signal(pid, 'SIGCONT');
    }
    return { type: 'freeze', taskManagerId, pid, injectedAtMs, resumedAtMs: this.clock.now() };
  }
}
