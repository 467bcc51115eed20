/**
 * Does a TaskManager that dies while Flink's REST endpoint queries its metrics freeze every REST
 * metric of its job, and does `stack.webTimeout` bound that freeze?
 *
 * Flink's MetricFetcher starts a new fetch only once every query of the last one ended (FLINK-29134),
 * and each query waits up to web.timeout (Flink's default: 10 min). A kill that lands while a query
 * is in flight leaves it unanswered. To land one there every time, each trial freezes the
 * TaskManager (SIGSTOP) for 2.5 s, so that the next 1 s fetch is stuck on it, then kills it. A
 * plain SIGKILL trial hits the window only by chance.
 *
 * Per trial: time from the job RUNNING again (all tasks) until the source's record counter, read
 * over REST, first changes between two reads ("stale"), up to 90 s.
 * Run: npx tsx bench/metric-freeze.ts [trials] [webTimeout, e.g. 5s or 600s] [rate]
 */
import { taskManagerRunning, JobSampler } from '../src/app/observe.js';
import { resolveConfig } from '../src/config/schema.js';
import { startLocalStack, SystemClock } from '../src/compose.js';
import { loadedReplica, report, stats } from './lib.js';

const trials = Number(process.argv[2] ?? 4);
const webTimeout = process.argv[3] ?? '5s';
const rate = Number(process.argv[4] ?? 2000);
const staleCapMs = 90_000;
const config = resolveConfig({ stack: { name: 'bench-freeze', webTimeout } });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const stack = await startLocalStack(config, console.log, true);
const rows: { mode: string; staleMs: number; stillFrozen: boolean }[] = [];
let loaded: Awaited<ReturnType<typeof loadedReplica>> | undefined;
try {
  loaded = await loadedReplica(stack, 'f', 3000, rate);
  const { flink } = loaded;
  const sampler = new JobSampler(flink, new SystemClock());
  for (let i = 0; i < trials; i++) {
    for (const mode of ['stop-then-kill', 'kill']) {
      await sleep(15_000);
      const target = await taskManagerRunning(flink);
      const pid = stack.taskManagerPid('iot-1', target.taskManagerId)!;
      if (mode === 'stop-then-kill') {
        process.kill(pid, 'SIGSTOP');
        await sleep(2500);
      }
      process.kill(pid, 'SIGKILL');
      const killedAt = Date.now();
      let runningAt: number | undefined;
      let movedAt: number | undefined;
      let last: number | undefined;
      while (movedAt === undefined && Date.now() - killedAt < 120_000 + staleCapMs) {
        await stack.restartDeadTaskManagers('iot-1');
        const s = await sampler.sample();
        if (s.state !== 'RUNNING') runningAt = undefined;
        else if (runningAt === undefined) runningAt = Date.now();
        if (runningAt !== undefined && s.processed !== undefined) {
          if (last !== undefined && s.processed !== last) movedAt = Date.now();
          else if (Date.now() - runningAt > staleCapMs) break;
        }
        last = s.state === 'RUNNING' ? s.processed : undefined;
        await sleep(200);
      }
      if (runningAt === undefined) throw new Error('no recovery within 120 s');
      const row = { mode, staleMs: (movedAt ?? Date.now()) - runningAt, stillFrozen: movedAt === undefined };
      console.log('trial', i + 1, row);
      rows.push(row);
    }
  }
  await loaded.end();
} finally {
  await loaded?.end().catch(() => undefined);
  await stack.down();
}
const of = (mode: string) => {
  const r = rows.filter((x) => x.mode === mode);
  return { staleMs: stats(r.map((x) => x.staleMs)), stillFrozenAfter90s: r.filter((x) => x.stillFrozen).length, rows: r };
};
report(
  `metric-freeze-${webTimeout}`,
  { job: 'iot, parallelism 2 + 1 spare TaskManager', loadEps: rate, checkpointIntervalMs: 3000, webTimeout, metricsFetcherUpdateIntervalMs: 1000, trials, observation: 'JobSampler every 200 ms; stale = all tasks RUNNING → source numRecordsOut first moves, capped at 90 s' },
  { 'stop-then-kill': of('stop-then-kill'), kill: of('kill') },
);
