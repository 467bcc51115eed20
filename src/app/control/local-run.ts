import { eventGenerator, type JobKind } from '../../core/load/events.js';
import { seededRandom } from '../../core/random.js';
import type { Reconciliation } from '../../core/reconcile.js';
import { replaySchedule, type ReplayPlan, type Trace } from '../../core/load/trace.js';
import type { Clock } from '../../ports/clock.js';
import type { ControlStore } from '../../ports/control-store.js';
import type { FailureInjector } from '../../ports/failure-injector.js';
import type { FlinkEngine } from '../../ports/flink-engine.js';
import type { MessageBus } from '../../ports/message-bus.js';
import type { Orchestrator } from '../../ports/orchestrator.js';
import { taskManagerRunning } from '../observe.js';
import { awaitReconciliation, flushWindows } from '../reconcile-output.js';
import { replayWorkload } from '../replay.js';
import { Pacer } from './pacer.js';
import { RestartActuator } from './restart-actuator.js';
import { runControlSession, type ControlSettings, type SessionResult, type SessionTarget } from './session.js';

export interface LocalControlDeps {
  orchestrator: Orchestrator;
  bus: MessageBus;
  flinkAt(restUrl: string): FlinkEngine;
  injectorFor(replica: string): FailureInjector;
  clock: Clock;
  store: ControlStore;
  newRunId(): string;
  log(line: string): void;
}

export interface LocalControlOptions extends ReplayPlan {
  job: JobKind;
  trace: Trace;
  seed: number;
  parallelism: number;
  partitions: number;
  /** The interval the job starts with: paced → the pacing interval (the job itself runs at the fallback). */
  startIntervalMs: number;
  fallbackIntervalMs: number;
  /** TaskManager kills, wall seconds after the replay starts. */
  killsSec: number[];
  /** Keep controlling this long after the replay ends, ms (the last recovery and checkpoints). */
  drainMs: number;
}

export interface LocalControlResult extends SessionResult {
  reconciliation: Reconciliation;
  kills: number;
}

/**
 * `khaos control` on the local stack: starts the job (paced: with the long fallback interval),
 * replays a real trace into it, kills TaskManagers on schedule, runs the control session for the
 * whole replay, then checks that the committed output counts every input event exactly once.
 */
export async function runLocalControl(deps: LocalControlDeps, s: ControlSettings, o: LocalControlOptions, config: unknown, samples: SessionTarget['samples'], models: SessionTarget['models'], shouldStop: () => boolean): Promise<LocalControlResult> {
  const { bus, clock, log } = deps;
  const topics = { input: `khaos-ctl-${o.job}-input`, output: `khaos-ctl-${o.job}-output`, audit: `khaos-ctl-${o.job}-audit` };
  for (const t of Object.values(topics)) await bus.ensureTopic(t, o.partitions);
  const schedule = replaySchedule(o.trace, o);
  log(`workload: ${o.trace.name}, ${o.durationSec} s at ×${o.compression} from +${o.startOffsetSec} s, peak ${o.peakRateEps} ev/s → ${schedule.reduce((a, b) => a + b, 0)} events`);
  const name = `${o.job}-ctl`;
  const jobInterval = s.actuator === 'paced' ? o.fallbackIntervalMs : o.startIntervalMs;
  const replica = await deps.orchestrator.startReplica({
    name, job: o.job, checkpointIntervalMs: jobInterval, parallelism: o.parallelism,
    inputTopic: topics.input, outputTopic: topics.output, auditTopic: topics.audit, groupId: `khaos-ctl-${o.job}`,
  });
  log(`replica ${replica.name} RUNNING at ${replica.restUrl} with its own checkpoint interval ${jobInterval} ms`);
  const flink = deps.flinkAt(replica.restUrl);

  let replayDone = false;
  let replayEndMs = Infinity;
  let kills = 0;
  const pendingKills = [...o.killsSec].sort((a, b) => a - b);
  let killing: Promise<void> = Promise.resolve();
  const replayStart = clock.now();
  const stopControl = () => shouldStop() || (replayDone && clock.now() >= replayEndMs + o.drainMs);

  let runId: string | undefined;
  const session = runControlSession(
    { flink, clock, store: deps.store, log, newRunId: () => (runId = deps.newRunId()), ownerPid: process.pid },
    s,
    {
      startIntervalMs: o.startIntervalMs,
      restartActuator: new RestartActuator({ orchestrator: deps.orchestrator, flink, store: deps.store, clock, log, runId: () => runId ?? 'starting' }, name, `local/${name}`),
      samples, models, config,
    },
    stopControl,
    async () => {
      for (const id of deps.orchestrator.restartDeadTaskManagers(name)) log(`supervisor: started replacement TaskManager ${id}`);
      const dueSec = pendingKills[0];
      if (dueSec !== undefined && (clock.now() - replayStart) / 1000 >= dueSec) {
        pendingKills.shift();
        // Awaited by the next tick and at the end, so a failed kill is reported and never unhandled.
        killing = killing.then(async () => {
          try {
            const target = await taskManagerRunning(flink);
            const f = await deps.injectorFor(name).kill(target.taskManagerId);
            kills++;
            if (runId) deps.store.recordEvent({ runId, atMs: f.injectedAtMs, kind: 'chaos-kill', detail: `SIGKILL of TaskManager ${f.taskManagerId} (pid ${f.pid})`, data: f });
            log(`chaos: killed TaskManager ${f.taskManagerId} (pid ${f.pid}, runs ${target.vertex}) at +${((f.injectedAtMs - replayStart) / 1000).toFixed(0)} s`);
          } catch (e) {
            log(`chaos: kill at +${dueSec} s not done: ${(e as Error).message}`);
          }
        });
      }
    },
  );
  // A session that fails at once (bad job, bad models) must not leave the replay running alone.
  let sessionError: unknown;
  const guarded = session.catch((e: unknown) => {
    sessionError = e;
    return undefined;
  });
  const replay = await replayWorkload({
    bus, clock, topic: topics.input, schedule, generate: eventGenerator(o.job, seededRandom(o.seed)),
    shouldStop: () => shouldStop() || sessionError !== undefined,
    onSecond: (r) => {
      if (r.second % 30 === 0) log(`replay: second ${r.second}/${schedule.length}, ${r.produced}/${r.scheduled} events${r.lateMs > 0 ? `, ${r.lateMs} ms late` : ''}`);
    },
  });
  replayEndMs = clock.now();
  replayDone = true;
  const result = await guarded;
  await killing;
  if (sessionError !== undefined || !result) throw sessionError;
  log(`replay done: ${replay.producedTotal}/${replay.scheduledTotal} events`);
  await flushWindows(bus, topics.input, o.job, clock.now() + 120_000);
  // Output commits with checkpoints: pace them every 2 s while reading it back, rather than wait for the fallback.
  const finalPacer = new Pacer(flink, clock, 2000);
  let reading = true;
  const pacing = (async () => {
    while (reading) {
      await finalPacer.tick().catch(() => undefined);
      await clock.sleep(250);
    }
  })();
  const reconciliation = await awaitReconciliation(bus, clock, topics.audit, replay.producedPerKey, 120_000, log).finally(() => (reading = false));
  await pacing;
  log(reconciliation.ok ? `exactly-once: OK, ${reconciliation.countedTotal} events each counted once` : `exactly-once: FAILED: ${reconciliation.missing.length} keys short, ${reconciliation.extra.length} keys over, ${reconciliation.duplicateWindows} duplicate windows`);
  return { ...result, reconciliation, kills };
}
