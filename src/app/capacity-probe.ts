import { KhaosError } from '../core/errors.js';
import { eventGenerator, type JobKind } from '../core/load/events.js';
import { judgeHold, nextProbeRate, sustainableEps } from '../core/profiling/capacity.js';
import type { CapacityProbe, ProbeStep } from '../core/profiling/profile-records.js';
import type { JobSample } from '../core/profiling/recovery.js';
import { seededRandom } from '../core/random.js';
import type { Clock } from '../ports/clock.js';
import type { FlinkEngine } from '../ports/flink-engine.js';
import type { MessageBus } from '../ports/message-bus.js';
import type { Orchestrator } from '../ports/orchestrator.js';
import { JobSampler } from './observe.js';
import { replayWorkload } from './replay.js';
import { RunScope, tickEvery } from './run-scope.js';

export interface ProbeDeps {
  orchestrator: Orchestrator;
  bus: MessageBus;
  flinkAt(restUrl: string): FlinkEngine;
  clock: Clock;
  log(line: string): void;
}

export interface ProbeOptions {
  job: JobKind;
  parallelism: number;
  checkpointIntervalMs: number;
  /** Topics `<prefix>-in|out|audit` and the consumer group `<prefix>`. */
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
 * Measures one replica's sustainable throughput on this platform: a replica `probe` of the job
 * alone, fed a staircase of constant rates (core/profiling/capacity.ts), each held until steady.
 * The replica is stopped at the end, whatever happens. Undefined when stopped (Ctrl-C); throws
 * KhaosError('platform') when no rate was sustained.
 */
export async function probeCapacity(deps: ProbeDeps, o: ProbeOptions): Promise<CapacityProbe | undefined> {
  const { clock, bus, log } = deps;
  for (const t of ['in', 'out', 'audit']) await bus.ensureTopic(`${o.topicPrefix}-${t}`, 4);
  const name = 'probe';
  const handle = await deps.orchestrator.startReplica({ name, job: o.job, checkpointIntervalMs: o.checkpointIntervalMs, parallelism: o.parallelism, inputTopic: `${o.topicPrefix}-in`, outputTopic: `${o.topicPrefix}-out`, auditTopic: `${o.topicPrefix}-audit`, groupId: o.topicPrefix });
  const sampler = new JobSampler(deps.flinkAt(handle.restUrl), clock);
  const generate = eventGenerator(o.job, seededRandom(o.seed));
  const steps: ProbeStep[] = [];
  try {
    for (let rate = nextProbeRate(steps, o.startEps, o.maxEps ?? 80_000); rate !== undefined; rate = nextProbeRate(steps, o.startEps, o.maxEps ?? 80_000)) {
      if (o.shouldStop?.()) return undefined;
      const step = await hold(rate);
      if (!step) return undefined;
      steps.push(step);
      log(`capacity probe: ${rate} ev/s held ${step.heldSec} s: throughput ${step.throughputEps === null ? '—' : Math.round(step.throughputEps)} ev/s, lag ${step.lagSlopeEps >= 0 ? '+' : ''}${Math.round(step.lagSlopeEps)} records/s → ${step.sustained ? 'sustained' : 'not sustained'}`);
    }
  } finally {
    await deps.orchestrator.stopReplica(name).catch((e: unknown) => log(`stopping the probe replica: ${(e as Error).message}`));
  }
  const sustainable = sustainableEps(steps);
  if (sustainable === 0) throw new KhaosError('platform', `the capacity probe found no sustainable rate (tried ${steps.map((s) => s.rateEps).join(', ')} ev/s)`, 'check that the replica reports its source lag (`khaos stack status`, the JobManager log), or lower profile.probeStartEps');
  log(`capacity probe: sustainable ${sustainable} ev/s`);
  return { sustainableEps: sustainable, steps };

  /** One rate held until steady (or maxHoldSec); undefined when stopped. */
  async function hold(rateEps: number): Promise<ProbeStep | undefined> {
    const samples: JobSample[] = [];
    const run = new RunScope();
    let verdict: ProbeStep | undefined;
    let replayed = 0;
    const stopped = () => run.stopped || verdict !== undefined || o.shouldStop?.() === true;
    run.loop(() =>
      tickEvery(clock, 1000, async () => {
        samples.push(await sampler.sample());
        verdict = judgeHold(rateEps, samples, replayed >= o.maxHoldSec);
        return { done: verdict !== undefined };
      }, stopped),
    );
    run.loop(async () => {
      await replayWorkload({ bus, clock, topic: `${o.topicPrefix}-in`, schedule: new Array<number>(o.maxHoldSec).fill(rateEps), generate, shouldStop: stopped, onSecond: (s) => (replayed = s.second + 1) });
      // A replay that ended without a verdict (the sampler's last tick came first): judge what there is.
      verdict ??= o.shouldStop?.() ? undefined : judgeHold(rateEps, samples, true);
    });
    await run.join();
    return verdict;
  }
}
