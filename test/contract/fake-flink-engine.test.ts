import { describe, expect, it } from 'vitest';
import { builtInJob } from '../../src/core/jobs.js';
import { METRIC } from '../../src/adapters/sim/sample-jobs.js';
import { JobSampler, taskManagerRunning } from '../../src/app/observe.js';
import { replayWorkload } from '../../src/app/replay.js';
import { recoveryTimeline, type JobSample, type RecoveryTimeline } from '../../src/core/profiling/recovery.js';
import type { ReplicaRequest } from '../../src/ports/orchestrator.js';
import { FakeFlinkPlatform, type FakeFlinkPlatformOptions } from '../fakes/fake-flink-platform.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';
import { flinkEngineContract } from './flink-engine.contract.js';

const request = (name: string, checkpointIntervalMs: number, parallelism = 2): ReplicaRequest => ({
  name,
  job: builtInJob('iot'),
  checkpointIntervalMs,
  parallelism,
  inputTopic: 'in',
  outputTopic: 'out',
  auditTopic: 'audit',
  groupId: `g-${name}`,
});

flinkEngineContract('FakeFlinkEngine', async () => {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock);
  platform.setInputRate(2000);
  const handle = await platform.startReplica(request('contract', 2000));
  const engine = platform.flinkAt(handle.restUrl);
  return {
    engine,
    checkpointIntervalMs: 2000,
    savepointDirectory: 'file:/fake/savepoints',
    kill: async () => {
      await platform.injectorFor('contract').inject({ type: 'kill', taskManagerId: (await taskManagerRunning(engine)).taskManagerId });
    },
    waitMs: (ms) => clock.sleep(ms),
    cleanup: () => platform.stopReplica('contract'),
  };
});

/** A platform with round numbers: 10 000 ev/s capacity, 5 s detection, 1 s restart, 200 ms base latency. */
async function setUp(intervalMs: number, inputEps: number, options: FakeFlinkPlatformOptions = {}) {
  const clock = new ManualClock();
  const platform = new FakeFlinkPlatform(clock, { capacityEps: 10_000, detectionDelayMs: 5000, restartDelayMs: 1000, baseLatencyMs: 200, ...options });
  platform.setInputRate(inputEps);
  const handle = await platform.startReplica(request('r', intervalMs));
  const flink = platform.flinkAt(handle.restUrl);
  const jobId = (await flink.listJobs())[0]!.id;
  return { clock, platform, handle, flink, jobId };
}

const RECOVERY = { baselineMs: 20_000, sustainMs: 5000, sampleEveryMs: 1000, slackSeconds: 2 };

/**
 * What the profile flow does, on the fake: sample once a second (restarting dead TaskManagers),
 * kill the sink's TaskManager `leadMs` before the next checkpoint is due or after it completed
 * (located from REST as the flow would), and watch until recoveryTimeline says recovered.
 */
async function measureRecovery(o: { intervalMs: number; inputEps: number; timing: 'before' | 'after'; leadMs?: number }) {
  const { clock, platform, flink, jobId } = await setUp(o.intervalMs, o.inputEps);
  const sampler = new JobSampler(flink, clock);
  const samples: JobSample[] = [];
  const sampleUntil = async (done: () => boolean) => {
    while (!done()) {
      samples.push(await sampler.sample());
      await platform.restartDeadTaskManagers('r');
      await clock.sleep(1000);
    }
  };
  // A baseline of 30 s, and at least one completed checkpoint to place the kill from.
  const start = clock.now();
  await sampleUntil(() => clock.now() >= start + Math.max(30_000, o.intervalMs + 1000));
  const last = (await flink.checkpoints(jobId)).latestCompleted!;
  let due = last.triggerTimestampMs + o.intervalMs;
  while (due - (o.leadMs ?? 500) <= clock.now()) due += o.intervalMs;
  const killAt = o.timing === 'before' ? due - (o.leadMs ?? 500) : due + platform.options.checkpointDurationMs + (o.leadMs ?? 500);
  while (clock.now() < killAt) {
    samples.push(await sampler.sample());
    await clock.sleep(Math.min(1000, killAt - clock.now()));
  }
  const restoredFrom = o.timing === 'before' ? due - o.intervalMs : due;
  const target = await taskManagerRunning(flink);
  const failure = await platform.injectorFor('r').inject({ type: 'kill', taskManagerId: target.taskManagerId });
  let timeline: RecoveryTimeline = recoveryTimeline(samples, failure.injectedAtMs, RECOVERY);
  await sampleUntil(() => {
    timeline = recoveryTimeline(samples, failure.injectedAtMs, RECOVERY);
    return timeline.recoveredAtMs !== undefined || clock.now() > failure.injectedAtMs + 1_800_000;
  });
  expect(timeline.recoveredAtMs, 'recovered within 30 min of fake time').toBeDefined();
  // Fluid physics: restored at kill + 6 s with the input since the checkpoint's trigger to replay,
  // drained at (capacity − input) down to the threshold of 2 s of input.
  const restoreAt = failure.injectedAtMs + 6000;
  const lambda = o.inputEps;
  const expectedMs = restoreAt - failure.injectedAtMs + ((lambda * (restoreAt - restoredFrom)) / 1000 - 2 * lambda) / (10_000 - lambda) * 1000;
  return { recoveryMs: timeline.recoveredAtMs! - failure.injectedAtMs, expectedMs, timeline, platform, flink, jobId, failure, restoredFrom, target };
}

describe('FakeFlinkPlatform', () => {
  it('places subtask i of every vertex on <replica>-tm<i>-g0 with one spare, under the names the app looks for', async () => {
    const { handle, flink, jobId, clock } = await setUp(10_000, 1000);
    expect(handle.taskManagers.map((t) => t.id)).toEqual(['r-tm0-g0', 'r-tm1-g0', 'r-tm2-g0']);
    const target = await taskManagerRunning(flink);
    expect(target).toMatchObject({ jobId, taskManagerId: 'r-tm0-g0' });
    expect(target.vertex).toContain('latency');
    const job = await flink.job(jobId);
    expect(job.name).toBe('khaos-iot-vehicles');
    const source = job.vertices.find((v) => v.name.includes('kafka-source'))!;
    expect(await flink.vertexMetricNames(jobId, source.id)).toEqual(expect.arrayContaining([METRIC.pendingRecords, METRIC.sourceOutRate]));
    expect((await flink.subtasks(jobId, source.id)).map((t) => t.taskManagerId)).toEqual(['r-tm0-g0', 'r-tm1-g0']);
    expect((await flink.taskManagers()).map((t) => [t.id, t.freeSlots])).toEqual([['r-tm0-g0', 0], ['r-tm1-g0', 0], ['r-tm2-g0', 1]]);
    await clock.sleep(5000);
    const sampler = new JobSampler(flink, clock);
    await sampler.sample();
    await clock.sleep(1000);
    expect(await sampler.sample()).toMatchObject({ state: 'RUNNING', lag: 0, inputEps: 1000, latencyP99Ms: 200 });
    expect((await flink.vertexMetrics(jobId, source.id, [METRIC.sourceOut]))[METRIC.sourceOut]!.sum).toBeCloseTo(6000);
  });

  it('grows the backlog above capacity and drains it at capacity − input; latency follows the backlog', async () => {
    const { platform, flink, jobId, clock } = await setUp(60_000, 12_000);
    const job = await flink.job(jobId);
    const source = job.vertices.find((v) => v.name.includes('kafka-source'))!;
    const sink = job.vertices.find((v) => v.name.includes('kafka-sink') && v.name.includes('latency'))!;
    await clock.sleep(10_000);
    const m = await flink.vertexMetrics(jobId, source.id, [METRIC.pendingRecords, METRIC.sourceOutRate]);
    expect(m[METRIC.pendingRecords]!.sum).toBeCloseTo(20_000);
    expect(m[METRIC.pendingRecords]!.max).toBeCloseTo(10_000);
    expect(m[METRIC.sourceOutRate]!.sum).toBeCloseTo(10_000);
    // The sink's gauge measures the events it outputs now (fluid.ts's p99: base + the wait of the
    // event at the head of the backlog): after 10 s at capacity the source reads event 100 000,
    // which arrived at 12 000 ev/s at 8.33 s, 1.67 s ago. (The fake used to report the time the
    // backlog would take to drain, 20 000 / 10 000 ev/s = 2 s: the wait of the event arriving now,
    // which no sink has measured yet.)
    expect((await flink.vertexMetrics(jobId, sink.id, [METRIC.latencyP99]))[METRIC.latencyP99]!.max).toBeCloseTo(200 + (10 - 100_000 / 12_000) * 1000);
    platform.setInputRate(5000);
    await clock.sleep(3000);
    expect(platform.backlog('r')).toBeCloseTo(5000);
    await clock.sleep(1000);
    expect(platform.backlog('r')).toBeCloseTo(0);
    await clock.sleep(500); // the rate is averaged over the last second: half at capacity, half at the input rate
    expect((await flink.vertexMetrics(jobId, source.id, [METRIC.sourceOutRate]))[METRIC.sourceOutRate]!.sum).toBeCloseTo(7500);
    await clock.sleep(500);
    expect((await flink.vertexMetrics(jobId, source.id, [METRIC.sourceOutRate]))[METRIC.sourceOutRate]!.sum).toBeCloseTo(5000);
    expect(platform.processedTotal('r')).toBeCloseTo(platform.inputTotal());
  });

  it('triggers checkpoints every interval from deployment with increasing ids, each storing the source offset', async () => {
    const { platform, flink, jobId, clock } = await setUp(10_000, 1000);
    const t0 = clock.now();
    await clock.sleep(35_000);
    const stats = await flink.checkpoints(jobId);
    expect(stats.counts).toMatchObject({ completed: 3, failed: 0, inProgress: 0, restored: 0, total: 3 });
    expect(stats.latestCompleted).toMatchObject({ id: 3, triggerTimestampMs: t0 + 30_000, latestAckTimestampMs: t0 + 30_100, endToEndDurationMs: 100, isSavepoint: false });
    expect(platform.inspect('r').checkpoints.map((c) => [c.id, c.position])).toEqual([[1, 10_000], [2, 20_000], [3, 30_000]]);
    expect(platform.inspect('r').nextCheckpointAtMs).toBe(t0 + 40_000);
    expect(await flink.jobMetrics(jobId, ['numRestarts', 'lastCheckpointDuration'])).toEqual({ numRestarts: 0, lastCheckpointDuration: 100 });
  });

  it('recovers a kill just before a checkpoint more slowly than one just after (the backlog physics)', async () => {
    const before = await measureRecovery({ intervalMs: 30_000, inputEps: 5000, timing: 'before' });
    const after = await measureRecovery({ intervalMs: 30_000, inputEps: 5000, timing: 'after' });
    expect(before.recoveryMs).toBeGreaterThan(after.recoveryMs + 20_000);
    for (const r of [before, after]) {
      expect(r.recoveryMs).toBeGreaterThanOrEqual(r.expectedMs - 1);
      expect(r.recoveryMs).toBeLessThan(r.expectedMs + 1000);
      expect(r.timeline.detectedAtMs! - r.failure.injectedAtMs).toBeLessThanOrEqual(6000);
    }
  });

  it('rewinds the source to the restored checkpoint: what it processed since is processed again', async () => {
    const r = await measureRecovery({ intervalMs: 20_000, inputEps: 4000, timing: 'before', leadMs: 2000 });
    const stats = await r.flink.checkpoints(r.jobId);
    expect(stats.latestRestored).toMatchObject({ restoreTimestampMs: r.failure.injectedAtMs + 6000, isSavepoint: false });
    expect(r.platform.inspect('r').checkpoints.find((c) => c.id === stats.latestRestored!.id)!.triggerTimestampMs).toBe(r.restoredFrom);
    // Caught up: everything was read, and the 18 s before the kill were read twice.
    const s = r.platform.inspect('r');
    expect(s.backlog).toBeCloseTo(0);
    expect(r.platform.processedTotal('r') - r.platform.inputTotal()).toBeCloseTo(4000 * 18);
    expect(s.numRestarts).toBe(1);
    const [exception] = await r.flink.exceptions(r.jobId);
    expect(exception).toMatchObject({ timestampMs: r.failure.injectedAtMs + 5000, exceptionName: expect.stringContaining('RemoteTransportException') });
  });

  it('takes longer to recover with a longer interval, and far longer as input nears capacity', async () => {
    const byInterval: number[] = [];
    for (const intervalMs of [5000, 20_000, 60_000]) byInterval.push((await measureRecovery({ intervalMs, inputEps: 5000, timing: 'before' })).recoveryMs);
    expect(byInterval[1]).toBeGreaterThan(byInterval[0]! + 10_000);
    expect(byInterval[2]).toBeGreaterThan(byInterval[1]! + 30_000);
    const byLoad: number[] = [];
    for (const inputEps of [5000, 8000, 9500]) byLoad.push((await measureRecovery({ intervalMs: 10_000, inputEps, timing: 'before' })).recoveryMs);
    expect(byLoad[1]).toBeGreaterThan(2 * byLoad[0]!);
    expect(byLoad[2]).toBeGreaterThan(10 * byLoad[0]!);
  });

  it('pauses processing during a freeze shorter than the detection delay, without a restart', async () => {
    const { platform, flink, jobId, clock } = await setUp(10_000, 2000);
    await clock.sleep(8000);
    const before = clock.now();
    const f = await platform.injectorFor('r').inject({ type: 'freeze', taskManagerId: 'r-tm0-g0', durationMs: 4000 });
    expect(f).toMatchObject({ type: 'freeze', taskManagerId: 'r-tm0-g0', injectedAtMs: before, resumedAtMs: before + 4000 });
    expect(clock.now()).toBe(before + 4000);
    expect(platform.backlog('r')).toBeCloseTo(8000);
    const stats = await flink.checkpoints(jobId);
    // Checkpoint 1 was due at +10 s, during the freeze: it completed right after the thaw.
    expect(stats.latestCompleted).toMatchObject({ id: 1, latestAckTimestampMs: before + 4000, endToEndDurationMs: 2000 });
    await clock.sleep(2000);
    expect(platform.backlog('r')).toBeCloseTo(0);
    expect(await flink.exceptions(jobId)).toEqual([]);
    expect((await flink.jobMetrics(jobId, ['numRestarts'])).numRestarts).toBe(0);
    expect((await flink.job(jobId)).timestamps.RESTARTING).toBeUndefined();
  });

  it('restarts on the spare after a freeze longer than the detection delay; the thawed TaskManager comes back idle', async () => {
    const { platform, flink, jobId, clock } = await setUp(5000, 2000);
    await clock.sleep(12_000);
    const f = await platform.injectorFor('r').inject({ type: 'freeze', taskManagerId: 'r-tm0-g0', durationMs: 20_000 });
    const job = await flink.job(jobId);
    expect(job.timestamps.RESTARTING).toBe(f.injectedAtMs + 5000);
    expect(job.timestamps.RUNNING).toBe(f.injectedAtMs + 6000);
    const [e] = await flink.exceptions(jobId);
    expect(e).toMatchObject({ exceptionName: 'java.util.concurrent.TimeoutException', taskManagerId: 'r-tm0-g0' });
    expect((await flink.checkpoints(jobId)).latestRestored).toMatchObject({ id: 2, restoreTimestampMs: f.injectedAtMs + 6000 });
    expect(platform.inspect('r').placement).toEqual(['r-tm2-g0', 'r-tm1-g0']);
    expect((await flink.taskManagers()).find((t) => t.id === 'r-tm0-g0')).toEqual({ id: 'r-tm0-g0', slots: 1, freeSlots: 1 });
  });

  it('reports no task metrics while the job is not RUNNING, and a JobSampler sees the states', async () => {
    const { platform, flink, jobId, clock } = await setUp(10_000, 1000);
    const source = (await flink.job(jobId)).vertices.find((v) => v.name.includes('kafka-source'))!;
    const sampler = new JobSampler(flink, clock);
    await clock.sleep(3000);
    await sampler.sample();
    await platform.injectorFor('r').inject({ type: 'kill', taskManagerId: 'r-tm0-g0' });
    await clock.sleep(2000);
    expect(await sampler.sample()).toMatchObject({ state: 'RUNNING', inputEps: 0 }); // not detected yet
    expect((await flink.vertexMetrics(jobId, source.id, [METRIC.sourceOut]))[METRIC.sourceOut]!.sum).toBeCloseTo(3000);
    await clock.sleep(3500);
    expect((await flink.listJobs())[0]!.state).toBe('RESTARTING');
    expect(await flink.vertexMetricNames(jobId, source.id)).toEqual([]);
    expect(await flink.vertexMetrics(jobId, source.id, [METRIC.pendingRecords])).toEqual({});
    expect((await flink.subtasks(jobId, source.id)).map((t) => t.status)).toEqual(['CANCELED', 'CANCELED']);
    expect(await sampler.sample()).toMatchObject({ tMs: clock.now(), state: 'RESTARTING' });
    await clock.sleep(1000);
    expect((await sampler.sample()).lag).toBeGreaterThan(0);
    // The redeployed tasks (RUNNING at +9 s) count records from 0 again. No checkpoint had completed
    // (the first was due at +10 s), so the source restarted from the earliest offset: 9000 records,
    // drained in 1 s at capacity, then 0.5 s at the input rate.
    await clock.sleep(1000);
    expect((await flink.vertexMetrics(jobId, source.id, [METRIC.sourceOut]))[METRIC.sourceOut]!.sum).toBeCloseTo(10_000 + 500);
    expect((await flink.checkpoints(jobId)).latestRestored).toBeUndefined();
  });

  it('keeps a killed TaskManager gone until restartDeadTaskManagers; without free slots the job waits with its tasks SCHEDULED', async () => {
    const { platform, flink, jobId, clock } = await setUp(10_000, 1000);
    const injector = platform.injectorFor('r');
    await injector.inject({ type: 'kill', taskManagerId: 'r-tm0-g0' });
    expect(platform.replica('r').taskManagers.map((t) => t.id)).toEqual(['r-tm1-g0', 'r-tm2-g0']);
    expect((await flink.taskManagers()).map((t) => t.id)).toContain('r-tm0-g0'); // until the heartbeat times out
    await clock.sleep(7000);
    expect((await flink.taskManagers()).map((t) => t.id)).toEqual(['r-tm1-g0', 'r-tm2-g0']);
    expect(platform.inspect('r').placement).toEqual(['r-tm2-g0', 'r-tm1-g0']);
    await expect(injector.inject({ type: 'kill', taskManagerId: 'r-tm0-g0' })).rejects.toMatchObject({ kind: 'bad-input' });
    await injector.inject({ type: 'kill', taskManagerId: 'r-tm2-g0' });
    await clock.sleep(7000);
    const job = await flink.job(jobId);
    expect(job.state).toBe('RUNNING');
    expect(job.vertices.map((v) => v.status)).toEqual(['SCHEDULED', 'SCHEDULED', 'SCHEDULED']);
    expect(platform.inspect('r').processing).toBe(false);
    expect(await platform.restartDeadTaskManagers('r')).toEqual(['r-tm0-g1', 'r-tm2-g2']);
    expect(await platform.restartDeadTaskManagers('r')).toEqual([]);
    expect(platform.inspect('r').placement).toEqual(['r-tm0-g1', 'r-tm1-g0']);
    expect((await flink.job(jobId)).vertices.every((v) => v.status === 'RUNNING')).toBe(true);
    expect((await flink.jobMetrics(jobId, ['numRestarts'])).numRestarts).toBe(2);
    await expect(injector.inject({ type: 'kill', taskManagerId: 'r-tm0-g0' })).rejects.toMatchObject({ kind: 'bad-input' });
  });

  it('reconfigures through a savepoint: down for the relaunch, then RUNNING from the savepoint with the new interval', async () => {
    const { platform, flink, jobId, clock } = await setUp(10_000, 3000, { savepointMs: 1500, relaunchMs: 8000 });
    await clock.sleep(25_000);
    const r = await platform.reconfigure('r', 30_000);
    expect(r.stoppedAtMs - r.requestedAtMs).toBe(1500);
    expect(r.runningAtMs - r.stoppedAtMs).toBe(8000);
    expect(r.savepointPath).toMatch(new RegExp(`^file:/fake/r/savepoints/savepoint-${jobId.slice(0, 6)}-[0-9a-f]{12}$`));
    expect(platform.replica('r').checkpointIntervalMs).toBe(30_000);
    const [job] = await flink.listJobs();
    expect(job!.id).not.toBe(jobId);
    expect(job!.state).toBe('RUNNING');
    expect(await flink.checkpointConfig(job!.id)).toMatchObject({ intervalMs: 30_000 });
    const stats = await flink.checkpoints(job!.id);
    expect(stats.latestRestored).toMatchObject({ id: 3, isSavepoint: true, restoreTimestampMs: r.runningAtMs, externalPath: r.savepointPath });
    expect(stats.counts).toMatchObject({ restored: 1, completed: 0 });
    // Sources stopped at the savepoint's trigger: the downtime's input waits, nothing is replayed.
    expect(platform.backlog('r')).toBeCloseTo(3000 * 9.5);
    expect(platform.processedTotal('r')).toBeCloseTo(platform.inspect('r').consumedOffset);
    await expect(flink.job(jobId)).rejects.toMatchObject({ kind: 'platform' });
    await clock.sleep(30_100);
    expect((await flink.checkpoints(job!.id)).latestCompleted?.id).toBe(4);
    expect((await flink.jobMetrics(job!.id, ['numRestarts'])).numRestarts).toBe(0);
  });

  it('switch unreachable: every call fails like a dead JobManager until it is cleared', async () => {
    const { flink, jobId, clock } = await setUp(10_000, 1000);
    flink.unreachable = true;
    expect(await flink.isReachable()).toBe(false);
    await expect(flink.listJobs()).rejects.toMatchObject({ name: 'KhaosError', kind: 'platform' });
    await expect(flink.checkpoints(jobId)).rejects.toMatchObject({ kind: 'platform' });
    await expect(flink.stopWithSavepoint(jobId, 'file:/sp', 60_000)).rejects.toMatchObject({ kind: 'platform' });
    expect(await new JobSampler(flink, clock).sample()).toEqual({ tMs: clock.now(), state: 'UNREACHABLE' });
    flink.unreachable = false;
    expect(await flink.isReachable()).toBe(true);
  });

  it('switch failNextSavepoint: the stop fails with Flink’s CheckpointException and the job keeps running; reconfigure retries it', async () => {
    const { platform, flink, jobId, clock } = await setUp(10_000, 1000, { savepointMs: 1000 });
    flink.failNextSavepoint = true;
    await expect(flink.stopWithSavepoint(jobId, 'file:/sp', 60_000)).rejects.toMatchObject({ kind: 'platform', message: expect.stringMatching(/CheckpointException.*Not all required tasks/) });
    expect((await flink.listJobs())[0]!.state).toBe('RUNNING');
    expect(platform.inspect('r').processing).toBe(true);
    flink.failNextSavepoint = true;
    const r = await platform.reconfigure('r', 20_000);
    expect(r.stoppedAtMs - r.requestedAtMs).toBe(2000 + 1000);
    expect(flink.calls.filter((c) => c.method === 'stopWithSavepoint')).toHaveLength(3);
    expect(clock.now()).toBe(r.runningAtMs);
  });

  it('fails a savepoint slower than its timeout with KhaosError("timeout") and keeps the job running', async () => {
    const { platform, flink, jobId, clock } = await setUp(10_000, 1000, { savepointMs: 5000 });
    const t0 = clock.now();
    await expect(flink.stopWithSavepoint(jobId, 'file:/sp', 2000)).rejects.toMatchObject({ kind: 'timeout' });
    expect(clock.now()).toBe(t0 + 2000);
    expect(platform.inspect('r')).toMatchObject({ jobState: 'RUNNING', processing: true });
    expect((await flink.checkpoints(jobId)).counts.failed).toBe(1);
  });

  it('refuses a stop-with-savepoint while tasks are down, as Flink does', async () => {
    const { platform, flink, jobId } = await setUp(10_000, 1000);
    await platform.injectorFor('r').inject({ type: 'kill', taskManagerId: 'r-tm1-g0' });
    await expect(flink.stopWithSavepoint(jobId, 'file:/sp', 60_000)).rejects.toMatchObject({ kind: 'platform', message: expect.stringContaining('not being executed') });
    await expect(platform.reconfigure('r', 5000)).resolves.toMatchObject({ savepointPath: expect.stringContaining('savepoint-') });
  });

  it('starts a replica from the earliest offset when input is already there, and after startupMs', async () => {
    const clock = new ManualClock();
    const platform = new FakeFlinkPlatform(clock, { startupMs: 4000, capacityEps: 10_000 });
    platform.setInputRate(1000);
    await clock.sleep(10_000);
    const t0 = clock.now();
    const h = await platform.startReplica(request('late', 10_000));
    expect(clock.now()).toBe(t0 + 4000);
    const job = await platform.flinkAt(h.restUrl).job(platform.inspect('late').jobId);
    // As Flink: RUNNING as soon as scheduling starts, while the tasks are still being deployed.
    expect(job.timestamps).toEqual({ INITIALIZING: t0, CREATED: t0, RUNNING: t0 });
    expect(platform.backlog('late')).toBe(14_000);
    await expect(platform.startReplica(request('late', 10_000))).rejects.toMatchObject({ kind: 'bad-input' });
  });

  it('takes its input from a replay through feedingBus, every produced record arriving', async () => {
    const { platform, clock } = await setUp(10_000, 0);
    const bus = platform.feedingBus(new MemoryMessageBus(), 'in');
    await bus.ensureTopic('in', 2);
    const seen: { rate: number; backlog: number }[] = [];
    const schedule = [1000, 3000, 3000, 12_000, 12_000, 2000];
    const replay = await replayWorkload({ bus, clock, topic: 'in', schedule, generate: (ts) => ({ key: 'k', value: String(ts) }), onSecond: () => seen.push({ rate: platform.inputRateEps, backlog: platform.backlog('r') }) });
    expect(replay.producedTotal).toBe(33_000);
    expect(await bus.endOffsetTotal('in')).toBe(33_000);
    await clock.sleep(100);
    expect(platform.inputTotal()).toBeCloseTo(33_000);
    expect(platform.inputRateEps).toBe(0);
    expect(seen.map((x) => x.rate)).toEqual(schedule);
    expect(seen[2]!.backlog).toBeCloseTo(0);
    expect(seen[4]!.backlog).toBeCloseTo(2000 * 1.9); // above capacity from +3 s: 2000/s more than processed
    await clock.sleep(5000);
    expect(platform.processedTotal('r')).toBeCloseTo(33_000);
    // Batches sent late, at one instant, still all arrive (within the next slice).
    for (let i = 0; i < 3; i++) await bus.produce('in', Array.from({ length: 500 }, () => ({ key: 'k', value: 'v' })));
    await clock.sleep(100);
    expect(platform.inputTotal()).toBeCloseTo(34_500);
  });

  it('detects a freeze only after freezeDetectionDelayMs when that differs from a kill’s detection', async () => {
    const { platform, flink, jobId, clock } = await setUp(10_000, 1000, { detectionDelayMs: 1000, freezeDetectionDelayMs: 5000 });
    await platform.injectorFor('r').inject({ type: 'freeze', taskManagerId: 'r-tm0-g0', durationMs: 3000 });
    expect((await flink.jobMetrics(jobId, ['numRestarts'])).numRestarts).toBe(0);
    const kill = await platform.injectorFor('r').inject({ type: 'kill', taskManagerId: 'r-tm1-g0' });
    expect((await flink.job(jobId)).timestamps.RESTARTING).toBeUndefined();
    await clock.sleep(2000);
    expect((await flink.job(jobId)).timestamps).toMatchObject({ RESTARTING: kill.injectedAtMs + 1000, RUNNING: kill.injectedAtMs + 2000 });
  });

  it('records calls and injected failures, and stops replicas', async () => {
    const { platform, flink, jobId } = await setUp(10_000, 1000);
    await flink.checkpoints(jobId);
    await platform.injectorFor('r').inject({ type: 'kill', taskManagerId: 'r-tm1-g0' });
    expect(flink.calls.map((c) => c.method)).toEqual(['listJobs', 'checkpoints']);
    expect(platform.calls.map((c) => c.method)).toEqual(['startReplica']);
    expect(platform.injectorFor('r').injected.map((f) => [f.type, f.taskManagerId, f.pid])).toEqual([['kill', 'r-tm1-g0', platform.inspect('r').taskManagers[1]!.pid]]);
    await platform.stopReplica('r');
    expect(await flink.isReachable()).toBe(false);
    expect(() => platform.replica('r')).toThrow(expect.objectContaining({ kind: 'bad-input' }));
    await expect(platform.injectorFor('r').inject({ type: 'kill', taskManagerId: 'r-tm0-g0' })).rejects.toMatchObject({ kind: 'bad-input' });
  });
});
