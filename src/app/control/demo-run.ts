import type { KhaosConfig } from '../../config/schema.js';
import { badInput } from '../../core/errors.js';
import { reconciliationLine, type Reconciliation } from '../../core/reconcile.js';
import type { Trace } from '../../core/load/trace.js';
import type { TickReport } from './controller.js';
import { runLocalGroup, type KillRecord, type LocalControlDeps } from './local-run.js';
import { controlSettings, type ModelInputs } from './session.js';

/**
 * Why `khaos demo` cannot show the config's job under control (it then shows a kill and its
 * recovery alone), or undefined when it can: the policy needs models, and the local run kills.
 */
export function plainDemoReason(c: KhaosConfig, inputs: ModelInputs): string | undefined {
  if (!inputs.samples && !inputs.models) return 'the config gives no models (control.samples, or control.latencyModel and control.recoveryModel)';
  if (c.chaos.failure !== 'kill') return `chaos.failure is ${c.chaos.failure}, and a controlled run breaks its job by killing a TaskManager`;
  return undefined;
}

/** The kill times of the demo: control.kills, else the one at chaos.at. */
export const demoKillsSec = (c: KhaosConfig): number[] => (c.control.killsSec.length > 0 ? c.control.killsSec : [c.chaos.atSec]);

/** Refuses a controlled demo whose kills fall outside its replay (they would never happen), before anything starts. */
export function controlledDemoProblems(c: KhaosConfig): void {
  const late = demoKillsSec(c).filter((k) => k >= c.replay.durationSec);
  if (late.length > 0) throw badInput(`the kill at ${late.map((k) => `${k} s`).join(', ')} falls after the replay's ${c.replay.durationSec} s`, 'give --fail-at (or control.kills) within the replay, or a longer --duration');
}

/** A failure the controller measured (or gave up on), against the recovery target. */
export function recoveryLine(f: NonNullable<TickReport['failure']>, targetS: number, timeoutMs: number): string {
  if ('timedOut' in f) return `recovery: not back to normal within ${timeoutMs / 1000} s (control.recoveryTimeout): over the ${targetS} s target ✗`;
  const phases = [['detection', f.detectionSec], ['restart', f.restartSec], ['catch-up', f.catchupSec]].filter((p): p is [string, number] => p[1] !== undefined);
  const split = phases.length > 0 ? ` (${phases.map(([n, s]) => `${n} ${s.toFixed(1)} s`).join(' + ')})` : '';
  const met = f.recoverySec <= targetS ? 'within' : 'over';
  return `recovery: ${f.recoverySec.toFixed(1)} s${split} at ${Math.round(f.throughputEps)} ev/s and a ${f.ciMs / 1000} s interval: ${met} the ${targetS} s target ${met === 'within' ? '✓' : '✗'}`;
}

export interface ControlledDemoResult {
  runId: string;
  /** Interval changes applied, and how many of them before the first kill. */
  changes: number;
  changesBeforeKill: number;
  kills: KillRecord[];
  /** Each failure the controller measured: its recovery, s, or undefined when it timed out. */
  recoveriesS: (number | undefined)[];
  reconciliation: Reconciliation;
  /** The output reconciled, a TaskManager was killed, and every measured failure recovered. */
  ok: boolean;
}

/**
 * `khaos demo` with models: the config's job on the local stack under the config's policy
 * (khaos+ with paced checkpoints in examples/demo-iot.yaml) while a slice of a real trace is
 * replayed into it, with a TaskManager killed at `demoKillsSec`. The control loop prints each
 * interval change with its reason; this prints each failure's recovery against its target, then
 * the summary. One group of one replica of `runLocalGroup`, the run of `khaos control`.
 */
export async function runControlledDemo(deps: LocalControlDeps, c: KhaosConfig, trace: Trace, inputs: ModelInputs, shouldStop: () => boolean): Promise<ControlledDemoResult> {
  const { log } = deps;
  const s = controlSettings(c.control);
  const targetS = s.options.recoveryTargetS;
  const recoveriesS: (number | undefined)[] = [];
  const job = c.job.descriptor;
  const [r] = await runLocalGroup(
    deps,
    {
      job, trace, seed: c.replay.seed, parallelism: c.job.parallelism, partitions: c.stack.partitions, peakRateEps: c.replay.peakRateEps, peakPercentile: c.replay.peakPercentile,
      compression: c.replay.compression, startOffsetSec: c.replay.startOffsetSec, durationSec: c.replay.durationSec, killsSec: demoKillsSec(c), drainMs: 20_000, topicPrefix: `khaos-demo-${job.name}`,
    },
    [{
      name: `${job.name}-demo`, settings: s, startIntervalMs: c.job.checkpointIntervalMs, fallbackIntervalMs: c.control.fallbackIntervalMs, samples: inputs.samples, models: inputs.models,
      onTick: (t) => {
        if (!t.failure) return Promise.resolve();
        recoveriesS.push('timedOut' in t.failure ? undefined : t.failure.recoverySec);
        log(recoveryLine(t.failure, targetS, s.recoveryTimeoutMs));
        return Promise.resolve();
      },
    }],
    c,
    shouldStop,
  );
  const m = r!;
  const firstKillMs = m.kills[0]?.injectedAtMs ?? Infinity;
  const applied = deps.store.decisions(m.runId).filter((d) => d.action === 'change' && d.outcome === 'applied');
  const result: ControlledDemoResult = {
    runId: m.runId, changes: applied.length, changesBeforeKill: applied.filter((d) => d.atMs < firstKillMs).length, kills: m.kills, recoveriesS, reconciliation: m.reconciliation,
    ok: m.reconciliation.ok && m.kills.length > 0 && recoveriesS.length > 0 && recoveriesS.every((x) => x !== undefined),
  };
  log(`demo: ${result.changes} interval change(s), ${result.changesBeforeKill} before the kill (${applied.map((d) => `${d.fromIntervalMs / 1000} → ${d.toIntervalMs / 1000} s`).join(', ') || 'none'}); ${m.kills.length} kill(s); recoveries ${recoveriesS.map((x) => (x === undefined ? 'timed out' : `${x.toFixed(1)} s`)).join(', ') || 'none measured'} vs the ${targetS} s target; ${reconciliationLine(m.reconciliation)}`);
  log(`demo: every decision with its reason: \`khaos control decisions --run ${m.runId}\`; the run stays on the dashboard (\`khaos dashboard\`, Runs)`);
  return result;
}
