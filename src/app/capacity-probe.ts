import { KhaosError } from '../core/errors.js';
import type { JobDescriptor, JobName } from '../core/jobs.js';
import { judgeHold, judgeReplicas, nextProbeRate, sustainableEps } from '../core/profiling/capacity.js';
import type { CapacityProbe, ProbeStep } from '../core/profiling/profile-records.js';
import type { JobSample } from '../core/profiling/recovery.js';
import type { ProfileStore } from '../ports/profile-store.js';
import { jobInputGenerator } from './job-input.js';
import { JobSampler } from './observe.js';
import { replayWorkload } from './replay.js';
import { RunScope, tickEvery } from './run-scope.js';
import type { Platform } from './platform.js';

/** The longest wait for the replicas to drain a backlog between two rates, ms. */
const DRAIN_MS = 60_000;

const eps = (x: number | null) => (x === null ? '—' : String(Math.round(x)));

/** A probe injects no failure: the platform without its injectors. */
export type ProbeDeps = Omit<Platform, 'injectorFor'>;

export interface ProbeOptions {
  job: JobDescriptor;
  parallelism: number;
  /**
   * One replica per interval, all fed the same input at once, as the profile will run them: on a
   * small machine replicas share the cores, so one replica alone sustains several times what each
   * of N side by side does. A single interval probes one replica alone (one-at-a-time profiles).
   */
  intervalsMs: readonly number[];
  /** Topics `<prefix>-in` (shared), `<prefix>-<i>-out|audit` and consumer groups `<prefix>-<i>`. */
  topicPrefix: string;
  startEps: number;
  /** The longest a rate is held, s; a hold ends earlier once steady. */
  maxHoldSec: number;
  /** The highest rate tried, events/s (what the replayer sustains: 80,000 measured). */
  maxEps?: number;
  seed: number;
  shouldStop?: () => boolean;
}

/**
 * Measures a replica's sustainable throughput on this platform while as many replicas run as the
 * profile will run: replicas `probe-<i>` of the job, all fed one staircase of constant rates
 * (core/profiling/capacity.ts), each rate held until every replica is steady. A rate is sustained
 * when every replica sustains it. The replicas are stopped at the end, whatever happens.
 * Undefined when stopped (Ctrl-C); throws KhaosError('platform') when no rate was sustained.
 */
export async function probeCapacity(deps: ProbeDeps, o: ProbeOptions): Promise<CapacityProbe | undefined> {
  const { clock, bus, log } = deps;
  const input = `${o.topicPrefix}-in`;
  await bus.ensureTopic(input, 4);
  const names = o.intervalsMs.map((_, i) => `probe-${i}`);
  const samplers: JobSampler[] = [];
  const generate = await jobInputGenerator(bus, o.job, o.seed, 'the capacity probe', log);
  const steps: ProbeStep[] = [];
  try {
    for (const [i, checkpointIntervalMs] of o.intervalsMs.entries()) {
      const prefix = `${o.topicPrefix}-${i}`;
      for (const t of ['out', 'audit']) await bus.ensureTopic(`${prefix}-${t}`, 4);
      const handle = await deps.orchestrator.startReplica({ name: names[i]!, job: o.job, checkpointIntervalMs, parallelism: o.parallelism, inputTopic: input, outputTopic: `${prefix}-out`, auditTopic: `${prefix}-audit`, groupId: prefix });
      samplers.push(new JobSampler(deps.flinkAt(handle.restUrl), clock));
    }
    for (let rate = nextProbeRate(steps, o.startEps, o.maxEps ?? 80_000); rate !== undefined; rate = nextProbeRate(steps, o.startEps, o.maxEps ?? 80_000)) {
      if (o.shouldStop?.()) return undefined;
      const step = await hold(rate);
      if (!step) return undefined;
      steps.push(step);
      if (!step.sustained && !(await drained(rate))) return undefined;
      log(`capacity probe: ${rate} ev/s held ${step.heldSec} s: throughput ${step.replicaThroughputEps && step.replicaThroughputEps.length > 1 ? step.replicaThroughputEps.map(eps).join(' / ') : eps(step.throughputEps)} ev/s, lag ${step.lagSlopeEps >= 0 ? '+' : ''}${Math.round(step.lagSlopeEps)} records/s → ${step.sustained ? 'sustained' : 'not sustained'}`);
    }
  } finally {
    for (const name of names) await deps.orchestrator.stopReplica(name).catch((e: unknown) => log(`stopping probe replica ${name}: ${(e as Error).message}`));
  }
  const sustainable = sustainableEps(steps);
  if (sustainable === 0) throw new KhaosError('platform', `the capacity probe found no sustainable rate (tried ${steps.map((s) => s.rateEps).join(', ')} ev/s)`, 'check that the replica reports its source lag (`khaos stack status`, the JobManager log), or lower profile.probeStartEps');
  log(`capacity probe: sustainable ${sustainable} ev/s`);
  return { sustainableEps: sustainable, replicas: names.length, steps };

  /**
   * After a rate that was not sustained, waits (input stopped) until every replica's lag is below
   * a second of that rate, at most DRAIN_MS: a backlog left over would make the next, lower rate
   * look faster than it is. False when stopped.
   */
  async function drained(rateEps: number): Promise<boolean> {
    const until = clock.now() + DRAIN_MS;
    while (clock.now() < until) {
      if (o.shouldStop?.()) return false;
      const lags = await Promise.all(samplers.map(async (s) => (await s.sample()).lag));
      if (lags.every((l) => l !== undefined && l < rateEps)) return true;
      await clock.sleep(1000);
    }
    log(`capacity probe: a backlog remained after ${DRAIN_MS / 1000} s without input; going on`);
    return true;
  }

  /** One rate held until every replica is steady (or maxHoldSec); undefined when stopped. */
  async function hold(rateEps: number): Promise<ProbeStep | undefined> {
    const samples: JobSample[][] = samplers.map(() => []);
    const run = new RunScope();
    let verdict: ProbeStep | undefined;
    let replayed = 0;
    const stopped = () => run.stopped || verdict !== undefined || o.shouldStop?.() === true;
    const judge = (final: boolean) => judgeReplicas(samples.map((s) => judgeHold(rateEps, s, final)));
    run.loop(() =>
      tickEvery(clock, 1000, async () => {
        for (const [i, sampler] of samplers.entries()) samples[i]!.push(await sampler.sample());
        verdict = judge(replayed >= o.maxHoldSec);
        return { done: verdict !== undefined };
      }, stopped),
    );
    run.loop(async () => {
      await replayWorkload({ bus, clock, topic: input, schedule: new Array<number>(o.maxHoldSec).fill(rateEps), generate, shouldStop: stopped, onSecond: (s) => (replayed = s.second + 1) });
      // A replay that ended without a verdict (the sampler's last tick came first): judge what there is.
      verdict ??= o.shouldStop?.() ? undefined : judge(true);
    });
    await run.join();
    return verdict;
  }
}

/**
 * The newest capacity a stored profile's probe measured for `job` at `parallelism` with
 * `replicas` running at once (what a plan at that load can be checked against), or undefined.
 */
export function latestCapacityProbe(store: Pick<ProfileStore, 'listProfiles'>, job: JobName, parallelism: number, replicas: number): { profileId: string; sustainableEps: number } | undefined {
  const probed = store
    .listProfiles()
    .filter((r) => r.plan.capacity && r.plan.job === job && r.plan.parallelism === parallelism && (r.plan.capacity.replicas ?? 1) === replicas)
    .sort((a, b) => b.createdAtMs - a.createdAtMs)[0];
  return probed && { profileId: probed.id, sustainableEps: probed.plan.capacity!.sustainableEps };
}
