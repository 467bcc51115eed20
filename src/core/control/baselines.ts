import { badInput } from '../errors.js';
import { durationProblem, parseDuration } from '../duration.js';
import type { Observation, PolicyEntry, PolicyOptions, PolicySpec, PolicyState } from './policy.js';
import { change, clamp, dur, exactName, keep, mtbf, recS, RECOVERY_UNDER_WAY, secs, wait, type Outcome } from './policy-kit.js';

/** The baselines khaos and khaos+ are compared with: a fixed interval, Young/Daly, Flink's backlog switch. */

function staticInterval(obs: Observation, state: PolicyState, intervalMs: number, o: PolicyOptions): Outcome {
  if (obs.recovering) return wait(obs, state, RECOVERY_UNDER_WAY);
  if (obs.intervalMs === intervalMs) return keep(obs, state, `static policy: the interval is fixed at ${secs(intervalMs)}`);
  return change(obs, state, intervalMs, `static policy: the interval is fixed at ${secs(intervalMs)}`, o);
}

function youngDaly(obs: Observation, state: PolicyState, o: PolicyOptions): Outcome {
  if (obs.recovering) return wait(obs, state, RECOVERY_UNDER_WAY);
  const since = state.lastEvaluationMs === undefined ? Infinity : obs.atMs - state.lastEvaluationMs;
  if (since < o.evaluateEveryMs) return wait(obs, state, `Young/Daly: last evaluated ${dur(since)} ago; next in ${dur(o.evaluateEveryMs - since)}`);
  const C = obs.checkpointDurationMs;
  if (C === undefined || !Number.isFinite(C) || C <= 0) return keep(obs, state, `Young/Daly: the checkpoint duration is not known yet, keeping ${secs(obs.intervalMs)}`);
  const M = mtbf(obs, o);
  const ideal = Math.sqrt(2 * C * M.ms);
  const target = Math.round(clamp(ideal, o.candidateMinMs, o.candidateMaxMs));
  const clamped = target !== Math.round(ideal) ? `, clamped to ${secs(target)}` : '';
  const formula = `Young/Daly: √(2 · checkpoint ${secs(C)} · MTBF ${dur(M.ms)} (${M.source})) = ${secs(ideal)}${clamped}`;
  if (target === obs.intervalMs) return keep(obs, state, `${formula}: no change`);
  if (Math.abs(target - obs.intervalMs) < o.minChangeMs) return keep(obs, state, `${formula}: less than the minimum change of ${secs(o.minChangeMs)} from ${secs(obs.intervalMs)}`);
  return change(obs, state, target, `${formula}: ${secs(obs.intervalMs)} → ${secs(target)}`, o);
}

function flinkBacklog(obs: Observation, state: PolicyState, o: PolicyOptions): Outcome {
  const label = "flink-backlog (emulation of Flink's execution.checkpointing.interval-during-backlog)";
  // Flink switches at once whenever its source reports backlog, catch-up after a failure included:
  // no cadence and no waiting for recoveries. Ticks that change nothing are not evaluations (wait).
  if (obs.lagRecords === undefined || !Number.isFinite(obs.lagRecords)) return wait(obs, state, `${label}: consumer lag unknown, keeping ${secs(obs.intervalMs)}`);
  // Lag in seconds of current input; any lag with no input at all counts as a backlog.
  const lagS = obs.lagRecords <= 0 ? 0 : obs.throughputEps > 0 ? obs.lagRecords / obs.throughputEps : Infinity;
  const backlog = lagS > o.backlogLagThresholdS;
  const target = backlog ? o.backlogIntervalMs : o.backlogBaseIntervalMs;
  const why = `${label}: lag ${Number.isFinite(lagS) ? recS(lagS) : 'with no input'} of input ${backlog ? '>' : '≤'} ${recS(o.backlogLagThresholdS)} → ${backlog ? 'backlog' : 'normal'} interval ${secs(target)}`;
  if (target === obs.intervalMs) return wait(obs, state, why);
  return change(obs, state, target, why, o);
}

/** 30000 → "30s", 1500 → "1500ms": the interval in a static policy's label. */
export const staticIntervalLabel = (ms: number): string => (ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`);

/** `static:<duration>` (`static:30s`, `static:1.5min`, `static:30000`: a bare number is ms), the interval more than 0 ms. */
function parseStatic(written: string): PolicySpec | undefined {
  const m = /^static:(.*)$/.exec(written);
  if (!m) return undefined;
  const problem = durationProblem(m[1]!, false);
  if (problem) throw badInput(`policy "${written}": the static interval ${problem}`, 'write a positive interval, e.g. static:30s or static:5000 (ms)');
  const ms = parseDuration(m[1]!, 'static interval');
  return { policy: `static:${ms}`, label: `static:${staticIntervalLabel(ms)}`, staticMs: ms };
}

export const STATIC: PolicyEntry = {
  grammar: 'static:<duration>',
  description: 'a fixed interval, e.g. static:30s',
  parse: parseStatic,
  // It never changes the interval, so it has no actuator.
  needsModels: false,
  learnsOnline: true,
  create: (spec, o) => (obs, state) => staticInterval(obs, state, spec.staticMs!, o),
};

export const YOUNG_DALY: PolicyEntry = {
  grammar: 'young-daly',
  description: 'baseline: √(2 · checkpoint duration · mean time between failures)',
  parse: exactName('young-daly'),
  // As the controller runs it by default (control.actuator: paced).
  defaultActuator: 'paced',
  needsModels: false,
  learnsOnline: true,
  create: (_spec, o) => (obs, state) => youngDaly(obs, state, o),
};

export const FLINK_BACKLOG: PolicyEntry = {
  grammar: 'flink-backlog',
  description: "baseline: emulation of Flink's execution.checkpointing.interval-during-backlog (two intervals, switched on consumer lag)",
  parse: exactName('flink-backlog'),
  // Flink switches its own interval without a restart: paced is the free change.
  defaultActuator: 'paced',
  needsModels: false,
  learnsOnline: true,
  create: (_spec, o) => (obs, state) => flinkBacklog(obs, state, o),
};
