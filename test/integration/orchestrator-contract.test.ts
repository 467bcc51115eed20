import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInJob } from '../../src/core/jobs.js';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import type { LocalStack } from '../../src/adapters/local/local-stack.js';
import { ProcessFailureInjector } from '../../src/adapters/local/process-failure-injector.js';
import { stackMarker } from '../../src/adapters/local/run-dir.js';
import { SystemClock } from '../../src/adapters/system/clock.js';
import { commandLine, isAlive, pidsWithMarker, terminate } from '../../src/adapters/system/processes.js';
import { kafkaBus } from '../../src/compose.js';
import { failureInjectorContract } from '../contract/failure-injector.contract.js';
import { orchestratorContract, type PlatformSubject } from '../contract/orchestrator.contract.js';
import { progress, testStack } from './helpers.js';

/**
 * The Orchestrator and FailureInjector contracts against LocalStack and ProcessFailureInjector:
 * the suites the fake passes (test/contract/fake-orchestrator.test.ts,
 * fake-failure-injector.test.ts). One stack (Kafka and the replicas) for the whole file; each
 * contract starts and stops its own replica, one at a time.
 */
const STACK = 'it-orch-contract';
const marker = stackMarker(STACK);
const topics = { inputTopic: 'oc-in', outputTopic: 'oc-out', auditTopic: 'oc-audit' };
let stack: LocalStack | undefined;

beforeAll(async () => {
  stack = await testStack('orch-contract');
  const bus = kafkaBus(stack);
  try {
    for (const t of Object.values(topics)) await bus.ensureTopic(t, 2);
  } finally {
    await bus.close();
  }
});

/** Tears the stack down even when a test failed; any process of it that survives is ended (by pid) and fails the file. */
async function tearDown(): Promise<number[]> {
  await stack?.down();
  const left = pidsWithMarker(marker);
  for (const pid of left) await terminate(pid, 1000);
  return left;
}

afterAll(async () => {
  const left = await tearDown();
  if (left.length > 0) throw new Error(`processes of stack ${STACK} survived its teardown: ${left.map((p) => `${p} ${commandLine(p)?.slice(0, 120)}`).join('; ')}`);
});

/** State letter of a process (R, S, T for stopped, Z …), from /proc. */
function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

async function localSubject(): Promise<PlatformSubject> {
  if (!stack) throw new Error('the stack did not start');
  const s = stack;
  const clock = new SystemClock();
  // The task-exception marker goes through Kafka: one client for the subject, closed with it.
  let client: ReturnType<typeof kafkaBus> | undefined;
  const bus = () => (client ??= kafkaBus(s));
  return {
    cleanup: async () => void (await client?.close()),
    orchestrator: s,
    request: (name, checkpointIntervalMs) => ({ name, job: builtInJob('iot'), checkpointIntervalMs, parallelism: 1, ...topics, groupId: `oc-${name}` }),
    flinkAt: (restUrl) => new RestFlinkEngine(restUrl),
    injectorFor: (replica) => new ProcessFailureInjector(s, replica, clock, { bus: bus(), flinkAt: (url) => new RestFlinkEngine(url) }),
    now: () => clock.now(),
    pidOf: (replica, taskManagerId) => s.taskManagerPid(replica, taskManagerId) ?? -1,
    processRunning: (_replica, pid) => isAlive(pid) && procState(pid) !== 'T',
    // Every JVM of a replica logs to <stack>/logs/<replica>-jm|tm<slot>.log.
    processesOf: (replica) => pidsWithMarker(marker).filter((pid) => (commandLine(pid) ?? '').includes(`/logs/${replica}-`)),
    waitMs: (ms) => clock.sleep(ms),
    deadlineMs: 120_000,
    pollMs: 500,
  };
}

orchestratorContract('LocalStack', localSubject);
failureInjectorContract('ProcessFailureInjector', localSubject);

describe('after both contracts', () => {
  it('leaves no JVM of the stack once it is down', async () => {
    expect(await tearDown()).toEqual([]);
    expect(pidsWithMarker(marker)).toEqual([]);
    progress('no process left with marker ' + marker);
  });
});
