import { builtInJob } from '../../src/core/jobs.js';
import { FakeFlinkPlatform } from '../fakes/fake-flink-platform.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import type { PlatformSubject } from './orchestrator.contract.js';

/** FakeFlinkPlatform under a ManualClock as the subject of the Orchestrator and FailureInjector contracts. */
export async function fakePlatformSubject(): Promise<PlatformSubject> {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock);
  platform.setInputRate(2000);
  const taskManagers = (replica: string) => {
    try {
      return platform.inspect(replica).taskManagers;
    } catch {
      return []; // stopped or never started: no process
    }
  };
  return {
    orchestrator: platform,
    request: (name, checkpointIntervalMs) => ({ name, job: builtInJob('iot'), checkpointIntervalMs, parallelism: 2, inputTopic: 'in', outputTopic: 'out', auditTopic: 'audit', groupId: `g-${name}` }),
    flinkAt: (restUrl) => platform.flinkAt(restUrl),
    injectorFor: (replica) => platform.injectorFor(replica),
    now: () => clock.now(),
    pidOf: (replica, taskManagerId) => taskManagers(replica).find((t) => t.id === taskManagerId)?.pid ?? -1,
    processRunning: (replica, pid) => taskManagers(replica).some((t) => t.pid === pid && t.alive && t.frozenUntilMs === undefined),
    processesOf: (replica) => taskManagers(replica).filter((t) => t.alive).map((t) => t.pid),
    waitMs: (ms) => clock.sleep(ms),
  };
}
