import type { JobKind } from '../core/load/events.js';
import type { ReplayPlan, Trace } from '../core/load/trace.js';
import { measureKills } from '../core/evaluation/real-qos.js';
import type { RealRunRecord } from '../core/evaluation/real-run.js';
import { detectorOptions, type JobSample } from '../core/profiling/recovery.js';
import type { PolicyUnderTest } from '../core/sim/evaluate.js';
import type { FlinkEngine } from '../ports/flink-engine.js';
import { runLocalGroup, type GroupMember, type LocalControlDeps, type MemberResult } from './control/local-run.js';
import type { ControlSettings, SessionTarget } from './control/session.js';

/**
 * `khaos evaluate` on the real stack: each policy under test controls a replica of the job while
 * the same compressed trace is replayed into it and the same TaskManager kills hit it. Sequential
 * (default): one replica at a time, each with its own replay of the same events; side by side: all
 * replicas on one replay. Every run is recorded (RealRunRecord) for the QoS, the report, the
 * simulator's prediction and calibration.
 */
export interface RealEvaluationInput extends ReplayPlan {
  job: JobKind;
  trace: Trace;
  seed: number;
  parallelism: number;
  partitions: number;
  policies: readonly PolicyUnderTest[];
  /** control.* of the config; policy and actuator are set per policy under test. */
  control: ControlSettings;
  /** Where the policies that change the interval start, ms. */
  initialIntervalMs: number;
  /** The job's own interval under the paced actuator, ms. */
  fallbackIntervalMs: number;
  killsSec: number[];
  mode: 'sequential' | 'side-by-side';
  drainMs: number;
  models: Pick<SessionTarget, 'samples' | 'models'>;
}

/** The session settings and starting interval of a policy under test; a static interval runs as the job's own, never changed. */
export function memberFor(p: PolicyUnderTest, e: Pick<RealEvaluationInput, 'control' | 'initialIntervalMs' | 'fallbackIntervalMs'>, name: string): Omit<GroupMember, 'onTick'> {
  if (p.staticMs !== undefined) return { name, settings: { ...e.control, policy: p.policy, actuator: 'restart', learning: false }, startIntervalMs: p.staticMs, fallbackIntervalMs: p.staticMs };
  return { name, settings: { ...e.control, policy: p.policy, actuator: p.actuator! }, startIntervalMs: e.initialIntervalMs, fallbackIntervalMs: e.fallbackIntervalMs };
}

/** What a member's ticks recorded. */
class RunRecorder {
  readonly samples: JobSample[] = [];
  readonly checkpoints = new Map<string, RealRunRecord['checkpoints'][number]>();
  /** Completed checkpoints per job, as Flink counts them, at the first and the last read. */
  private readonly counts = new Map<string, { first: number; last: number }>();

  async tick(sample: JobSample, flink: FlinkEngine): Promise<void> {
    this.samples.push(sample);
    if (sample.state !== 'RUNNING' || !sample.jobId) return;
    const jobId = sample.jobId;
    try {
      const c = await flink.checkpoints(jobId);
      const n = this.counts.get(jobId);
      this.counts.set(jobId, { first: n?.first ?? (this.counts.size === 0 ? c.counts.completed : 0), last: c.counts.completed });
      const l = c.latestCompleted;
      if (l) this.checkpoints.set(`${jobId}:${l.id}`, { id: l.id, jobId, triggeredAtMs: l.triggerTimestampMs, durationMs: l.endToEndDurationMs, stateBytes: l.stateSizeBytes, savepoint: l.isSavepoint });
    } catch {
      // A checkpoint history that cannot be read now is read at the next tick.
    }
  }

  /** Completed checkpoints since recording began (the first job's earlier ones left out). */
  get completed(): number {
    return [...this.counts.values()].reduce((a, c) => a + c.last - c.first, 0);
  }
}

/** Runs every policy (in `mode`) and returns one record per policy, in the order of `policies`. */
export async function runRealEvaluation(deps: LocalControlDeps, e: RealEvaluationInput, config: unknown, shouldStop: () => boolean): Promise<RealRunRecord[]> {
  const members = e.policies.map((p, i) => ({ policy: p, recorder: new RunRecorder(), member: memberFor(p, e, `eval-${i + 1}`) }));
  const groups = e.mode === 'sequential' ? members.map((m) => [m]) : [members];
  const records: RealRunRecord[] = [];
  for (const [g, group] of groups.entries()) {
    if (shouldStop()) break;
    deps.log(`evaluate: run ${g + 1}/${groups.length} (${group.map((m) => m.policy.name).join(', ')}): replay ${e.durationSec} s, kills at ${e.killsSec.map((k) => `+${k.toFixed(0)} s`).join(', ') || 'none'}, then ${e.drainMs / 1000} s of drain`);
    const results = await runLocalGroup(
      deps,
      { ...e, topicPrefix: `khaos-eval-${g + 1}`, stopReplicas: true },
      group.map((m) => ({ ...m.member, ...e.models, onTick: (r, flink) => m.recorder.tick(r.sample, flink) })),
      config,
      shouldStop,
    );
    results.forEach((r, k) => records.push(recordOf(deps, e, group[k]!, r)));
  }
  return records;
}

function recordOf(deps: LocalControlDeps, e: RealEvaluationInput, m: { policy: PolicyUnderTest; recorder: RunRecorder; member: Omit<GroupMember, 'onTick'> }, r: MemberResult): RealRunRecord {
  const applied = deps.store.decisions(r.runId).filter((d) => d.outcome === 'applied');
  const changes = applied.map((d) => ({ atMs: d.atMs, fromMs: d.fromIntervalMs, toMs: d.toIntervalMs, outageMs: d.outageMs }));
  const samples = m.recorder.samples;
  return {
    policy: m.policy.name,
    job: e.job,
    replica: r.name,
    mode: e.mode,
    replayStartMs: r.replayStartMs,
    replayEndMs: r.replayEndMs,
    scheduleEps: r.scheduleEps,
    samples,
    intervals: [{ atMs: samples[0]?.tMs ?? r.replayStartMs, intervalMs: m.member.startIntervalMs }, ...changes.map((c) => ({ atMs: c.atMs, intervalMs: c.toMs }))],
    failures: measureKills(samples, r.kills, detectorOptions(e.control.windowMs)),
    checkpoints: [...m.recorder.checkpoints.values()].sort((a, b) => a.triggeredAtMs - b.triggeredAtMs),
    checkpointsCompleted: m.recorder.completed,
    changes,
    lost: r.reconciliation.missing.reduce((a, k) => a + k.produced - k.counted, 0),
    duplicated: r.reconciliation.extra.reduce((a, k) => a + k.counted - k.produced, 0),
  };
}
