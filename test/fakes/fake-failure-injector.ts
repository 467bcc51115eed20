import type { FluidFlinkCluster, TaskManagerSim } from '../../src/adapters/sim/fluid-flink-cluster.js';
import { KhaosError } from '../../src/core/errors.js';
import type { Clock } from '../../src/ports/clock.js';
import { byFailureType, type PerFailureType } from '../../src/core/failure-types.js';
import type { FailureInjector, FailureSpec, InjectedFailure, TaskExceptionTarget } from '../../src/ports/failure-injector.js';

/**
 * Kills or freezes a fake TaskManager. Like ProcessFailureInjector: an unknown or dead id is
 * KhaosError('bad-input') (handles list live TaskManagers only), and freeze resolves after sleeping
 * its duration on the clock. `injected` records what was done.
 */
export class FakeFailureInjector implements FailureInjector {
  readonly injected: InjectedFailure[] = [];

  constructor(
    private readonly cluster: () => FluidFlinkCluster,
    private readonly clock: Clock,
    readonly replica: string,
  ) {}

  private readonly ways: PerFailureType<Promise<InjectedFailure>> = {
    kill: (s) => this.kill(s.taskManagerId),
    freeze: (s) => this.freeze(s.taskManagerId, s.durationMs),
    exception: (s) => this.exception(s.target),
  };

  async inject(spec: FailureSpec): Promise<InjectedFailure> {
    return byFailureType(this.ways, spec);
  }

  private target(taskManagerId: string): { m: FluidFlinkCluster; tm: TaskManagerSim } {
    const m = this.cluster();
    m.advanceTo(this.clock.now());
    const tm = m.tms.find((t) => t.id === taskManagerId);
    if (!tm || !tm.alive) throw new KhaosError('bad-input', `TaskManager ${taskManagerId} is not a live process of replica ${this.replica}`, 'its live TaskManagers: `khaos stack status`');
    return { m, tm };
  }

  private async kill(taskManagerId: string): Promise<InjectedFailure> {
    const { m, tm } = this.target(taskManagerId);
    m.kill(tm);
    const f: InjectedFailure = { type: 'kill', taskManagerId, pid: tm.pid, injectedAtMs: this.clock.now() };
    this.injected.push(f);
    return f;
  }

  private async freeze(taskManagerId: string, durationMs: number): Promise<InjectedFailure> {
    const { m, tm } = this.target(taskManagerId);
    const injectedAtMs = this.clock.now();
    m.freeze(tm, durationMs);
    await this.clock.sleep(durationMs);
    m.advanceTo(this.clock.now());
    const f: InjectedFailure = { type: 'freeze', taskManagerId, pid: tm.pid, injectedAtMs, resumedAtMs: this.clock.now() };
    this.injected.push(f);
    return f;
  }

  /**
   * Like adapters/shared/task-exception.ts on the real platform: the parse subtasks' attempt is read, the
   * marker written (the job is not given the target: the fake's input is one topic) and read at
   * once. KhaosError('platform') when the tasks are not all RUNNING.
   */
  private async exception(target: TaskExceptionTarget): Promise<InjectedFailure> {
    void target;
    const m = this.cluster();
    m.advanceTo(this.clock.now());
    if (!m.placement || m.taskStatus() !== 'RUNNING') throw new KhaosError('platform', `the parse subtasks of replica ${this.replica} are not all RUNNING`, 'wait until every task runs, then try again');
    const failAtAttempt = m.fluid.numRestarts;
    const taskManagerId = m.placement[0]!;
    const f: InjectedFailure = { type: 'exception', taskManagerId, pid: m.tms.find((t) => t.id === taskManagerId)?.pid ?? 0, injectedAtMs: this.clock.now(), failAtAttempt };
    m.taskException(failAtAttempt);
    this.injected.push(f);
    return f;
  }
}
