import type { JobDescriptor } from '../../core/jobs.js';
import { reconciliationLine, type Reconciliation } from '../../core/reconcile.js';
import { replaySchedule, type ReplayPlan, type Trace } from '../../core/load/trace.js';
import type { ControlStore } from '../../ports/control-store.js';
import type { FlinkEngine } from '../../ports/flink-engine.js';
import { taskManagerRunning } from '../observe.js';
import { jobInputGenerator } from '../job-input.js';
import { checkOutput, notingFor, type ReplicaTopics } from '../reconcile-output.js';
import { replayWorkload } from '../replay.js';
import type { TickReport } from './controller.js';
import { Pacer } from './pacer.js';
import type { Platform } from '../platform.js';
import { RestartActuator } from './restart-actuator.js';
import { controlLatency } from './latency-source.js';
import { runControlSession, type ControlSettings, type SessionResult, type SessionTarget } from './session.js';

/** The platform of a control run, where it is recorded, and how a run is named. */
export type LocalControlDeps = Platform & { store: ControlStore; newRunId(): string };

/** A job replayed on the local stack: which job, its settings, the trace and how it is replayed. */
export interface ReplayedJob extends ReplayPlan {
  /** The job: how every replica starts, what the replay writes, how each output is checked. */
  job: JobDescriptor;
  trace: Trace;
  seed: number;
  parallelism: number;
  partitions: number;
}

/** The replay and the failures a group of replicas shares. */
export interface LocalGroupOptions extends ReplayedJob {
  /** TaskManager kills, wall seconds after the replay starts (each replica loses the TaskManager running its sink). */
  killsSec: number[];
  /** Keep controlling this long after the replay ends, ms (the last recovery and checkpoints). */
  drainMs: number;
  /** Names the topics: `<prefix>-input` shared, `<prefix>-<replica>-output|audit` per replica. */
  topicPrefix: string;
  /** Stop each replica once its output is reconciled (a run of several groups on one stack). */
  stopReplicas?: boolean;
}

/** One replica of a group, and the control session that runs on it. */
export interface GroupMember {
  name: string;
  settings: ControlSettings;
  /** The interval the job starts with: paced → the pacing interval (the job itself runs at the fallback). */
  startIntervalMs: number;
  fallbackIntervalMs: number;
  samples?: SessionTarget['samples'];
  models?: SessionTarget['models'];
  /** Each tick of its session, with the replica's REST API (recording). */
  onTick?: (r: TickReport, flink: FlinkEngine) => Promise<void>;
}

export interface KillRecord {
  injectedAtMs: number;
  taskManagerId: string;
  pid: number;
}

export interface MemberResult extends SessionResult {
  name: string;
  reconciliation: Reconciliation;
  kills: KillRecord[];
  replayStartMs: number;
  replayEndMs: number;
  /** Events produced in each second of the replay. */
  scheduleEps: number[];
}

export interface LocalControlOptions extends Omit<LocalGroupOptions, 'topicPrefix'> {
  startIntervalMs: number;
  fallbackIntervalMs: number;
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
  const [r] = await runLocalGroup(deps, { ...o, topicPrefix: `khaos-ctl-${o.job.name}` }, [{ name: `${o.job.name}-ctl`, settings: s, startIntervalMs: o.startIntervalMs, fallbackIntervalMs: o.fallbackIntervalMs, samples, models }], config, shouldStop);
  return { ...r!, kills: r!.kills.length };
}

/**
 * Replicas side by side on one replayed input, each under its own control session: starts them
 * all, replays the trace once into the shared input topic, kills each replica's sink TaskManager
 * at the same times, and reconciles each replica's committed output. A group of one is
 * `khaos control`; `khaos evaluate` runs one group per policy (sequential) or one of all.
 */
export async function runLocalGroup(deps: LocalControlDeps, o: LocalGroupOptions, members: readonly GroupMember[], config: unknown, shouldStop: () => boolean): Promise<MemberResult[]> {
  const { bus, clock, log } = deps;
  const input = `${o.topicPrefix}-input`;
  const topicsOf = (m: GroupMember): ReplicaTopics => ({ input, output: `${o.topicPrefix}-${m.name}-output`, audit: `${o.topicPrefix}-${m.name}-audit` });
  for (const t of new Set(members.flatMap((m) => Object.values(topicsOf(m))))) await bus.ensureTopic(t, o.partitions);
  // Before any replica starts: a replay topic that is missing or empty is refused here.
  const generator = notingFor(o.job, await jobInputGenerator(bus, o.job, o.seed, 'a control run', log));
  const schedule = replaySchedule(o.trace, o);
  log(`workload: ${o.trace.name}, ${o.durationSec} s at ×${o.compression} from +${o.startOffsetSec} s, peak ${o.peakRateEps} ev/s → ${schedule.reduce((a, b) => a + b, 0)} events`);

  const started: string[] = [];
  try {
    const runs = [];
    for (const m of members) {
      const jobInterval = m.settings.actuator === 'paced' ? m.fallbackIntervalMs : m.startIntervalMs;
      const replica = await deps.orchestrator.startReplica({
        name: m.name, job: o.job, checkpointIntervalMs: jobInterval, parallelism: o.parallelism,
        inputTopic: input, outputTopic: topicsOf(m).output, auditTopic: topicsOf(m).audit, groupId: `${o.topicPrefix}-${m.name}`,
      });
      started.push(m.name);
      log(`replica ${replica.name} RUNNING at ${replica.restUrl} with its own checkpoint interval ${jobInterval} ms`);
      runs.push({ m, flink: deps.flinkAt(replica.restUrl) });
    }

    let replayDone = false;
    let replayEndMs = Infinity;
    const replayStartMs = clock.now();
    const stopControl = () => shouldStop() || (replayDone && clock.now() >= replayEndMs + o.drainMs);
    const sessions = runs.map(({ m, flink }) => controlMember(deps, m, flink, { job: o.job, outputTopic: topicsOf(m).output }, o.killsSec, replayStartMs, stopControl, config));
    // A session that fails at once (bad job, bad models) must not leave the replay running alone.
    let sessionError: unknown;
    const guarded = sessions.map((s) =>
      s.promise.catch((e: unknown) => {
        sessionError ??= e;
        return undefined;
      }),
    );
    const replay = await replayWorkload({
      bus, clock, topic: input, schedule, generate: generator.generate,
      shouldStop: () => shouldStop() || sessionError !== undefined,
      onSecond: (r) => {
        if (r.second % 30 === 0) log(`replay: second ${r.second}/${schedule.length}, ${r.produced}/${r.scheduled} events${r.lateMs > 0 ? `, ${r.lateMs} ms late` : ''}`);
      },
    });
    replayEndMs = clock.now();
    replayDone = true;
    const results = await Promise.all(guarded);
    await Promise.all(sessions.map((s) => s.killing()));
    if (sessionError !== undefined) throw sessionError;
    log(`replay done: ${replay.producedTotal}/${replay.scheduledTotal} events`);

    const out: MemberResult[] = [];
    for (const [i, { m, flink }] of runs.entries()) {
      const reconciliation = await reconcileOutput(deps, flink, o.job, topicsOf(m), { ...replay, ids: generator.ids });
      log(`${m.name}: ${reconciliationLine(reconciliation)}`);
      if (o.stopReplicas) {
        await deps.orchestrator.stopReplica(m.name);
        started.splice(started.indexOf(m.name), 1);
      }
      out.push({ ...results[i]!, name: m.name, reconciliation, kills: sessions[i]!.kills, replayStartMs, replayEndMs, scheduleEps: replay.seconds.map((x) => x.produced) });
    }
    return out;
  } finally {
    // A failed group leaves no replica running for the next one.
    if (o.stopReplicas) for (const name of started) await deps.orchestrator.stopReplica(name).catch((e: unknown) => log(`stopping replica ${name}: ${(e as Error).message}`));
  }
}

/** One member's control session, observing `job`'s latency as it declares (its output in `outputTopic`), with its TaskManager kills at `killsSec` after the replay start. */
function controlMember(deps: LocalControlDeps, m: GroupMember, flink: FlinkEngine, where: { job: JobDescriptor; outputTopic: string }, killsSec: number[], replayStartMs: number, stopControl: () => boolean, config: unknown) {
  const { clock, log } = deps;
  const kills: KillRecord[] = [];
  const pendingKills = [...killsSec].sort((a, b) => a - b);
  let killing: Promise<void> = Promise.resolve();
  let runId: string | undefined;
  const promise = runControlSession(
    { flink, clock, store: deps.store, log, newRunId: () => (runId = deps.newRunId()), ownerPid: process.pid },
    m.settings,
    {
      startIntervalMs: m.startIntervalMs,
      restartActuator: new RestartActuator({ orchestrator: deps.orchestrator, flink, store: deps.store, clock, log, runId: () => runId ?? 'starting' }, m.name, `local/${m.name}`),
      samples: m.samples, models: m.models, config,
      latency: { way: controlLatency(where.job, m.settings.latencyMetric, where.outputTopic, 'a replica writes its own output topic'), bus: deps.bus },
    },
    stopControl,
    async (r) => {
      for (const id of await deps.orchestrator.restartDeadTaskManagers(m.name)) log(`supervisor: started replacement TaskManager ${id}`);
      const dueSec = pendingKills[0];
      if (dueSec !== undefined && (clock.now() - replayStartMs) / 1000 >= dueSec) {
        pendingKills.shift();
        // Awaited by the next tick and at the end, so a failed kill is reported and never unhandled.
        killing = killing.then(async () => {
          try {
            const target = await taskManagerRunning(flink);
            const f = await deps.injectorFor(m.name).inject({ type: 'kill', taskManagerId: target.taskManagerId });
            kills.push({ injectedAtMs: f.injectedAtMs, taskManagerId: f.taskManagerId, pid: f.pid });
            // No pid on Kubernetes (0): the TaskManager id is its pod's name there.
            const pid = f.pid ? `pid ${f.pid}, ` : '';
            if (runId) deps.store.recordEvent({ runId, atMs: f.injectedAtMs, kind: 'chaos-kill', detail: `kill of TaskManager ${f.taskManagerId}${f.pid ? ` (pid ${f.pid})` : ''}`, data: f });
            log(`chaos: killed TaskManager ${f.taskManagerId} of ${m.name} (${pid}runs ${target.vertex}) at +${((f.injectedAtMs - replayStartMs) / 1000).toFixed(0)} s`);
          } catch (e) {
            log(`chaos: kill of ${m.name} at +${dueSec} s not done: ${(e as Error).message}`);
          }
        });
      }
      await m.onTick?.(r, flink);
    },
  );
  return { promise, kills, killing: () => killing };
}

/** Output commits with checkpoints: paces them every 2 s while reading the output back (job.reconcile), rather than wait for the fallback. */
async function reconcileOutput(deps: LocalControlDeps, flink: FlinkEngine, job: JobDescriptor, topics: ReplicaTopics, sent: Parameters<typeof checkOutput>[3]): Promise<Reconciliation> {
  if (job.reconcile.kind === 'none') return (await checkOutput(deps, job, topics, sent, { timeoutMs: 0 })).reconciliation;
  const finalPacer = new Pacer(flink, deps.clock, 2000);
  let reading = true;
  let completed = 0;
  const pacing = (async () => {
    while (reading) {
      const r = await finalPacer.tick().catch(() => undefined);
      if (r?.kind === 'completed') completed++;
      await deps.clock.sleep(250);
    }
  })();
  // Checkpoints every 2 s commit the output: a count unchanged over 4 reads (about 15 s), with 2
  // checkpoints completed meanwhile (each commits whatever the job had processed), is final.
  const { reconciliation } = await checkOutput(deps, job, topics, sent, { timeoutMs: 120_000, settledAfterReads: 4, settle: { completed: () => completed, atLeast: 2 } }).finally(() => (reading = false));
  await pacing;
  return reconciliation;
}
