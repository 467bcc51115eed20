import { KhaosError } from '../../core/errors.js';
import { byFailureType, type PerFailureType } from '../../core/failure-types.js';
import type { Clock } from '../../ports/clock.js';
import type { FailureInjector, FailureSpec, InjectedFailure } from '../../ports/failure-injector.js';
import type { FlinkEngine } from '../../ports/flink-engine.js';
import type { MessageBus } from '../../ports/message-bus.js';
import { injectTaskException } from '../shared/task-exception.js';
import type { LocalStack } from './local-stack.js';
import { isAlive, signal } from '../system/processes.js';

/** What a task exception needs besides the processes: the replica's Flink REST API and the broker its input is on. */
export interface TaskExceptionDeps {
  bus: MessageBus;
  flinkAt(restUrl: string): FlinkEngine;
}

/**
 * Kills or freezes a local TaskManager JVM with POSIX signals (SIGKILL; SIGSTOP then SIGCONT);
 * a task exception goes through the job's input (adapters/shared/task-exception.ts), given
 * `taskException`.
 */
export class ProcessFailureInjector implements FailureInjector {
  constructor(
    private readonly orchestrator: Pick<LocalStack, 'replica' | 'taskManagerPid'>,
    private readonly replica: string,
    private readonly clock: Clock,
    private readonly taskException?: TaskExceptionDeps,
  ) {}

  /** How each failure type is done to a local TaskManager JVM. */
  private readonly ways: PerFailureType<Promise<InjectedFailure>> = {
    kill: async ({ taskManagerId }) => {
      const pid = this.pidOf(taskManagerId);
      const injectedAtMs = this.clock.now();
      if (!signal(pid, 'SIGKILL')) throw new KhaosError('platform', `could not SIGKILL pid ${pid}`);
      return { type: 'kill', taskManagerId, pid, injectedAtMs };
    },
    freeze: async ({ taskManagerId, durationMs }) => {
      const pid = this.pidOf(taskManagerId);
      const injectedAtMs = this.clock.now();
      if (!signal(pid, 'SIGSTOP')) throw new KhaosError('platform', `could not SIGSTOP pid ${pid}`);
      try {
        await this.clock.sleep(durationMs);
      } finally {
        signal(pid, 'SIGCONT');
      }
      return { type: 'freeze', taskManagerId, pid, injectedAtMs, resumedAtMs: this.clock.now() };
    },
    exception: async ({ target }) => {
      const handle = this.orchestrator.replica(this.replica); // bad-input for an unknown replica
      if (!this.taskException) throw new KhaosError('environment', 'this injector was built without a message bus: it cannot write a task-exception marker', 'a bug: compose the injector with its TaskExceptionDeps');
      const { bus, flinkAt } = this.taskException;
      const f = await injectTaskException(flinkAt(handle.restUrl), bus, this.clock, target);
      return { ...f, pid: this.orchestrator.taskManagerPid(this.replica, f.taskManagerId) ?? 0 };
    },
  };

  async inject(spec: FailureSpec): Promise<InjectedFailure> {
    return byFailureType(this.ways, spec);
  }

  private pidOf(taskManagerId: string): number {
    const pid = this.orchestrator.replica(this.replica).taskManagers.some((t) => t.id === taskManagerId) ? this.orchestrator.taskManagerPid(this.replica, taskManagerId) : undefined;
    if (pid === undefined) throw new KhaosError('bad-input', `TaskManager ${taskManagerId} is not a live process of replica ${this.replica}`, 'its live TaskManagers: `khaos stack status`');
    if (!isAlive(pid)) throw new KhaosError('platform', `TaskManager ${taskManagerId} (pid ${pid}) is not running`);
    return pid;
  }
}
