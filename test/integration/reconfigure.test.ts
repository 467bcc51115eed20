import { sampleIdField } from '../../src/core/jobs.js';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtInJob } from '../../src/core/jobs.js';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import { awaitReconciliation, flushWindows } from '../../src/app/reconcile-output.js';
import { replayWorkload } from '../../src/app/replay.js';
import { localPlatform, repoRoot } from '../../src/compose.js';
import { eventGenerator } from '../../src/core/load/events.js';
import { seededRandom } from '../../src/core/random.js';
import { fileStack, progress } from './helpers.js';

const stackOf = fileStack('reconf');

describe('reconfiguration: stop with savepoint, resubmit with a new checkpoint interval', () => {
  it('runs with the new interval, restored from the savepoint, and loses nothing', async () => {
    const stack = stackOf();
    const { bus, clock } = localPlatform(stack, progress);
    try {
      const topics = { input: 'rc-in', output: 'rc-out', audit: 'rc-audit' };
      for (const t of Object.values(topics)) await bus.ensureTopic(t, 4);
      const replica = await stack.startReplica({ name: 'ysb-1', job: builtInJob('ysb'), checkpointIntervalMs: 2000, parallelism: 2, inputTopic: topics.input, outputTopic: topics.output, auditTopic: topics.audit, groupId: 'rc' });
      // The cluster runs the jar just built, not a stale copy (Flink caches --jars in user.artifacts.base-dir).
      const copies = (fs.readdirSync(path.join(stack.dir, 'ysb-1', 'artifacts'), { recursive: true }) as string[]).filter((f) => f.endsWith('.jar'));
      expect(copies.length).toBeGreaterThan(0);
      const built = fs.readFileSync(path.join(repoRoot, 'jobs', 'target', 'khaos-jobs.jar'));
      for (const c of copies) expect(fs.readFileSync(path.join(stack.dir, 'ysb-1', 'artifacts', c)).equals(built)).toBe(true);
      const flink = new RestFlinkEngine(replica.restUrl);
      const jobId = (await flink.listJobs())[0]!.id;
      expect((await flink.checkpointConfig(jobId)).intervalMs).toBe(2000);

      let reconfigured: ReturnType<typeof stack.reconfigure> | undefined;
      const replay = await replayWorkload({
        bus, clock, topic: topics.input, schedule: new Array(40).fill(500), generate: eventGenerator('ysb', seededRandom(3)),
        onSecond: (s) => {
          if (s.second === 12) reconfigured = stack.reconfigure('ysb-1', 7000);
        },
      });
      const { savepointPath } = await reconfigured!;
      expect(savepointPath).toContain('savepoint');

      const after = (await flink.listJobs()).find((j) => j.state === 'RUNNING')!;
      await new Promise((r) => setTimeout(r, 4000)); // Flink caches the checkpoint config answer ~3 s
      expect((await flink.checkpointConfig(after.id)).intervalMs).toBe(7000);
      const restored = (await flink.checkpoints(after.id)).latestRestored;
      expect(restored?.isSavepoint).toBe(true);

      await flushWindows(bus, topics.input, sampleIdField('ysb'), Date.now() + 180_000);
      const r = await awaitReconciliation(bus, clock, topics.audit, replay.producedPerKey, 90_000, progress);
      expect(r).toMatchObject({ ok: true, countedTotal: 20_000, duplicateWindows: 0 });
    } finally {
      await bus.close();
    }
  });
});
