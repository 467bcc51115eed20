/**
 * On the real local stack, under a steady replayed load: time from a TaskManager kill to the job
 * RUNNING again (Flink's own state timestamps), and reconfiguration downtime (stop-with-savepoint
 * → resubmitted job RUNNING with the new interval). Run: npx tsx bench/recovery-and-reconfiguration.ts [kills] [reconfigurations] [rate]
 */
import { taskManagerRunning } from '../src/app/observe.js';
import { resolveConfig } from '../src/config/schema.js';
import { startLocalStack } from '../src/compose.js';
import { loadedReplica, report, stats } from './lib.js';

const kills = Number(process.argv[2] ?? 5);
const reconfigs = Number(process.argv[3] ?? 5);
const rate = Number(process.argv[4] ?? 2000);
const config = resolveConfig({ stack: { name: 'bench-recovery' } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stack = await startLocalStack(config, console.log, true);
const killRows: Record<string, number | string>[] = [];
const reconfRows: Record<string, number>[] = [];
let loaded: Awaited<ReturnType<typeof loadedReplica>> | undefined;
try {
  loaded = await loadedReplica(stack, 'b', 3000, rate);
  const { flink } = loaded;
  const allRunning = async () => {
    const job = (await flink.listJobs()).find((j) => j.state === 'RUNNING');
    return job ? (await flink.job(job.id)).vertices.every((v) => v.status === 'RUNNING') : false;
  };
  for (let i = 0; i < kills; i++) {
    await sleep(20_000);
    const target = await taskManagerRunning(flink);
    const pid = stack.taskManagerPid('iot-1', target.taskManagerId)!;
    const restartsBefore = (await flink.jobMetrics(target.jobId, ['numRestarts'])).numRestarts ?? 0;
    const killedAt = Date.now();
    process.kill(pid, 'SIGKILL');
    // Polled every 200 ms: Flink's own state timestamps come from a cached execution graph.
    let leftRunningAt: number | undefined;
    for (;;) {
      const running = await allRunning().catch(() => false);
      if (!running && leftRunningAt === undefined) leftRunningAt = Date.now();
      if (running && leftRunningAt !== undefined) break;
      if (Date.now() - killedAt > 120_000) throw new Error('no recovery within 120 s');
      await stack.restartDeadTaskManagers('iot-1');
      await sleep(200);
    }
    const seenRunningAt = Date.now();
    await sleep(3000);
    const row = { killToNotRunningSeenMs: leftRunningAt - killedAt, killToAllTasksRunningSeenMs: seenRunningAt - killedAt, restartsForThisKill: ((await flink.jobMetrics(target.jobId, ['numRestarts'])).numRestarts ?? NaN) - restartsBefore };
    console.log('kill', i + 1, row);
    killRows.push(row);
  }
  for (let i = 0; i < reconfigs; i++) {
    await sleep(15_000);
    const r = await stack.reconfigure('iot-1', i % 2 === 0 ? 6000 : 3000);
    const row = { savepointMs: r.stoppedAtMs - r.requestedAtMs, relaunchMs: r.runningAtMs - r.stoppedAtMs, downtimeMs: r.runningAtMs - r.requestedAtMs };
    console.log('reconfiguration', i + 1, row);
    reconfRows.push(row);
  }
  await loaded.end();
} finally {
  await loaded?.end().catch(() => undefined);
  await stack.down();
}
const col = (rows: Record<string, number | string>[], k: string) => stats(rows.map((r) => Number(r[k])));
report(
  'recovery-and-reconfiguration',
  { job: 'iot, parallelism 2 + 1 spare TaskManager', loadEps: rate, checkpointIntervalMs: '3000 (kills), alternating 6000/3000 (reconfigurations)', heartbeatTimeoutMs: config.stack.heartbeatTimeoutMs, restartDelayMs: config.stack.restartDelayMs, failure: 'SIGKILL of the TaskManager running sink subtask 0', observation: 'REST polled every 200 ms (web.refresh-interval 500 ms)' },
  {
    kills: { killToNotRunningSeenMs: col(killRows, 'killToNotRunningSeenMs'), killToAllTasksRunningSeenMs: col(killRows, 'killToAllTasksRunningSeenMs'), rows: killRows },
    reconfigurations: { savepointMs: col(reconfRows, 'savepointMs'), relaunchMs: col(reconfRows, 'relaunchMs'), downtimeMs: col(reconfRows, 'downtimeMs'), rows: reconfRows },
  },
);
