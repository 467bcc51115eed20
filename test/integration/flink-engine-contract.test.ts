import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { builtInJob } from '../../src/core/jobs.js';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import type { LocalStack } from '../../src/adapters/local/local-stack.js';
import { taskManagerRunning } from '../../src/app/observe.js';
import { kafkaBus } from '../../src/compose.js';
import { eventGenerator } from '../../src/core/load/events.js';
import { seededRandom } from '../../src/core/random.js';
import { flinkEngineContract } from '../contract/flink-engine.contract.js';
import { testStack } from './helpers.js';

/**
 * The FlinkEngine contract against RestFlinkEngine on a real replica of the local stack: the same
 * suite the fake passes (test/contract/fake-flink-engine.test.ts). One fresh replica per test.
 */
let stack: LocalStack;
let n = 0;
beforeAll(async () => {
  stack = await testStack('contract');
  const bus = kafkaBus(stack);
  for (const t of ['fc-in', 'fc-out', 'fc-audit']) await bus.ensureTopic(t, 2);
  // Input for every replica (each reads from the beginning with its own group): a Kafka source
  // reports pendingRecords only once it has fetched something.
  const generate = eventGenerator('iot', seededRandom(5));
  await bus.produce('fc-in', Array.from({ length: 5000 }, () => generate(Date.now())));
  await bus.close();
});
afterAll(async () => {
  await stack?.down();
});

flinkEngineContract('RestFlinkEngine on a real replica', async () => {
  const name = `iot-${++n}`;
  const replica = await stack.startReplica({ name, job: builtInJob('iot'), checkpointIntervalMs: 1500, parallelism: 1, inputTopic: 'fc-in', outputTopic: 'fc-out', auditTopic: 'fc-audit', groupId: `fc-${name}` });
  const engine = new RestFlinkEngine(replica.restUrl);
  return {
    engine,
    checkpointIntervalMs: 1500,
    savepointDirectory: `file://${path.join(stack.dir, name, 'savepoints')}`,
    kill: async () => {
      const { taskManagerId } = await taskManagerRunning(engine);
      process.kill(stack.taskManagerPid(name, taskManagerId)!, 'SIGKILL');
    },
    waitMs: (ms) => new Promise((r) => setTimeout(r, ms)),
    cleanup: () => stack.stopReplica(name),
    deadlineMs: 120_000,
    pollMs: 500,
  };
});
