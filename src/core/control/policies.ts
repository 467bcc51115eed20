import { badInput } from '../errors.js';
import { predictInterval, type PredictionInterval } from '../models/models.js';
import type { ControlModels, Decision, Observation, Policy, PolicyContext, PolicyOptions, PolicyState, Predictions } from './policy.js';
import { mean } from '../stats.js';

/**
 * The phase-3 policies and the baselines they are compared with. Each is a pure function of the
 * observation, the state it returned last time and the context; see policy.ts for the types.
 */

/** The policy names `createPolicy` accepts, with one line each for help text. */
export const POLICY_NAMES: readonly { name: string; description: string }[] = [
  { name: 'khaos+', description: 'default: model-based, judges recovery by its upper bound at the forecast peak, least-bad choice when both targets are violated, hysteresis, rate limit, restart cost' },
  { name: 'khaos', description: 'the original Khaos policy: point predictions, one direction at a time, no action when both targets are violated' },
  { name: 'static:<ms>', description: 'a fixed interval, e.g. static:5000' },
  { name: 'young-daly', description: 'baseline: √(2 · checkpoint duration · mean time between failures)' },
  { name: 'flink-backlog', description: "baseline: emulation of Flink's execution.checkpointing.interval-during-backlog (two intervals, switched on consumer lag)" },
];

type Outcome = { decision: Decision; state: PolicyState };

/** Throws `bad-input` for an unknown name or options no policy can work with. */
export function createPolicy(name: string, options: PolicyOptions): Policy {
  checkOptions(options);
  const policy = (decide: Policy['decide']): Policy => ({ name, decide });
  if (name === 'khaos') return policy((obs, state, ctx) => khaos(obs, state, ctx, options));
  if (name === 'khaos+') return policy((obs, state, ctx) => khaosPlus(obs, state, ctx, options));
  if (name === 'young-daly') return policy((obs, state) => youngDaly(obs, state, options));
  if (name === 'flink-backlog') return policy((obs, state) => flinkBacklog(obs, state, options));
  const fixed = /^static:(\d+)$/.exec(name);
  if (fixed && Number(fixed[1]) > 0) {
    const intervalMs = Number(fixed[1]);
    return policy((obs, state) => staticInterval(obs, state, intervalMs, options));
  }
  throw badInput(`unknown policy "${name}"`, `use one of: ${POLICY_NAMES.map((p) => p.name).join(', ')} (static takes a positive interval in ms)`);
}

function checkOptions(o: PolicyOptions): void {
  const problems: string[] = [];
  if (!(o.candidateMinMs > 0 && o.candidateMaxMs >= o.candidateMinMs)) problems.push(`candidate range ${o.candidateMinMs}–${o.candidateMaxMs} ms must be positive and not empty`);
  if (!(o.candidateStepMs > 0)) problems.push(`candidate step ${o.candidateStepMs} ms must be positive`);
  if (!(Number.isInteger(o.correctionEvaluations) && o.correctionEvaluations >= 1)) problems.push(`correctionEvaluations ${o.correctionEvaluations} must be a whole number ≥ 1`);
  if (!(o.recoveryIntervalLevel > 0 && o.recoveryIntervalLevel < 1)) problems.push(`recoveryIntervalLevel ${o.recoveryIntervalLevel} must be in (0, 1)`);
  if (!(o.hysteresis >= 0 && o.hysteresis < 1)) problems.push(`hysteresis ${o.hysteresis} must be in [0, 1)`);
  if (!(o.latencyTargetMs > 0 && o.recoveryTargetS > 0)) problems.push('the latency and recovery targets must be positive');
  if (problems.length > 0) throw badInput(`policy options: ${problems.join('; ')}`, 'fix the control.policy section of the config');
}

// ---------------------------------------------------------------------------------------------
// Shared pieces

/** Intervals for people: seconds, trimmed ("4 s", "2.5 s"). */
const secs = (ms: number) => `${+(ms / 1000).toFixed(1)} s`;
/** Durations for people: s, min or h, whichever reads best. */
const dur = (ms: number) => (ms < 120_000 ? secs(ms) : ms < 7_200_000 ? `${+(ms / 60_000).toFixed(1)} min` : `${+(ms / 3_600_000).toFixed(1)} h`);
const recS = (s: number) => `${+s.toFixed(1)} s`;
const latMs = (ms: number) => `${Math.round(ms)} ms`;
const eps = (e: number) => `${Math.round(e)} ev/s`;

function wait(obs: Observation, state: PolicyState, reason: string): Outcome {
  return { decision: { action: 'wait', fromIntervalMs: obs.intervalMs, toIntervalMs: obs.intervalMs, reason }, state };
}

/** An evaluation that keeps the interval: recorded, so the cadence counts from it. */
function keep(obs: Observation, state: PolicyState, reason: string, predictions?: Predictions): Outcome {
  return {
    decision: { action: 'keep', fromIntervalMs: obs.intervalMs, toIntervalMs: obs.intervalMs, reason, ...(predictions ? { predictions } : {}) },
    state: { ...state, lastEvaluationMs: obs.atMs },
  };
}

function change(obs: Observation, state: PolicyState, toIntervalMs: number, reason: string, o: PolicyOptions, predictions?: Predictions): Outcome {
  // Only changes inside the rate window matter to anyone; older ones are dropped so the state stays small.
  const recent = state.changeTimesMs.filter((t) => obs.atMs - t < o.rateWindowMs);
  return {
    decision: { action: 'change', fromIntervalMs: obs.intervalMs, toIntervalMs, reason, ...(predictions ? { predictions } : {}) },
    state: { ...state, lastEvaluationMs: obs.atMs, lastChangeMs: obs.atMs, changeTimesMs: [...recent, obs.atMs] },
  };
}

/** Candidate intervals, ms: min, min + step, … ≤ max (computed as min + k·step so steps do not drift). */
function candidates(minMs: number, maxMs: number, stepMs: number): number[] {
  const out: number[] = [];
  for (let k = 0; minMs + k * stepMs <= maxMs; k++) out.push(minMs + k * stepMs);
  return out;
}

const clamp = (x: number, lo: number, hi: number) => Math.min(hi, Math.max(lo, x));

const RECOVERY_UNDER_WAY = 'a recovery is under way: the interval stays until it has ended';

/** Why a model-based policy should not evaluate now, or undefined when it should. */
function notYet(obs: Observation, state: PolicyState, o: PolicyOptions): string | undefined {
  if (obs.recovering) return RECOVERY_UNDER_WAY;
  if (obs.uptimeMs < o.minUptimeMs) return `the job has been up ${dur(obs.uptimeMs)}, evaluation starts after ${dur(o.minUptimeMs)}: ${dur(o.minUptimeMs - obs.uptimeMs)} to go`;
  const sinceChange = state.lastChangeMs === undefined ? Infinity : obs.atMs - state.lastChangeMs;
  if (sinceChange < o.afterChangeMs) return `the interval changed ${dur(sinceChange)} ago; next evaluation ${dur(o.afterChangeMs)} after a change, in ${dur(o.afterChangeMs - sinceChange)}`;
  const sinceEvaluation = state.lastEvaluationMs === undefined ? Infinity : obs.atMs - state.lastEvaluationMs;
  if (sinceEvaluation < o.evaluateEveryMs) return `last evaluated ${dur(sinceEvaluation)} ago; evaluating every ${dur(o.evaluateEveryMs)}, next in ${dur(o.evaluateEveryMs - sinceEvaluation)}`;
  return undefined;
}

/** What the model-based policies share once they evaluate: models, corrected latency, notes. */
interface Evaluation {
  models: ControlModels;
  /** State with this evaluation recorded (latency ratio appended); the base for keep/change. */
  state: PolicyState;
  /** Predicted latency at the current throughput and interval `ciMs`, times the mean observed/predicted ratio, ms. */
  latencyAt: (ciMs: number) => number;
  correction: number;
}

/**
 * The checks every model-based policy makes before predicting: models loaded, observation usable.
 * Also appends this evaluation's observed/predicted latency ratio (kept: the last
 * `correctionEvaluations`) and builds the corrected latency prediction from their mean.
 */
function evaluate(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions): Evaluation | Outcome {
  const models = ctx.models;
  if (!models) return keep(obs, state, `no models are loaded, so the interval stays at ${secs(obs.intervalMs)}; fit them with \`khaos models fit\` from profiled failures and restart control with them`);
  const bad = (x: number) => !Number.isFinite(x) || x < 0;
  if (bad(obs.throughputEps) || bad(obs.latencyMs))
    return keep(obs, state, `the observation is unusable (throughput ${obs.throughputEps}, latency ${obs.latencyMs}): keeping ${secs(obs.intervalMs)} until metrics arrive`);
  const predicted = models.latency.predict(obs.throughputEps, obs.intervalMs);
  const ratio = obs.latencyMs / predicted;
  // A ratio from a non-positive prediction or observation would poison the mean; skip it.
  const ratios = Number.isFinite(ratio) && ratio > 0 ? [...state.latencyRatios, ratio].slice(-o.correctionEvaluations) : state.latencyRatios;
  const correction = ratios.length > 0 ? mean(ratios) : 1;
  return {
    models,
    state: { ...state, latencyRatios: ratios },
    latencyAt: (ciMs) => models.latency.predict(obs.throughputEps, ciMs) * correction,
    correction,
  };
}

/** A note for the reason when predictions leave the range the models were trained on. */
function extrapolation(m: ControlModels, throughputsEps: readonly number[], ciMs: number): string {
  const notes: string[] = [];
  const { trainedCiMs: ci, trainedThroughputEps: tp } = m;
  if (ciMs < ci.min || ciMs > ci.max) notes.push(`interval ${secs(ciMs)} outside the trained ${secs(ci.min)}–${secs(ci.max)}`);
  for (const t of new Set(throughputsEps)) if (t < tp.min || t > tp.max) notes.push(`throughput ${eps(t)} outside the trained ${eps(tp.min)}–${eps(tp.max)}`);
  return notes.length > 0 ? ` (extrapolating: ${notes.join('; ')})` : '';
}

/** Mean time between failures, ms: configured, else observed, else the prior. */
function mtbf(obs: Observation, o: PolicyOptions): { ms: number; source: string } {
  if (o.mtbfMs !== undefined) return { ms: o.mtbfMs, source: 'configured' };
  if (obs.failuresSeen > 0) return { ms: obs.observedForMs / obs.failuresSeen, source: `observed: ${obs.failuresSeen} failure(s) in ${dur(obs.observedForMs)}` };
  return { ms: o.mtbfPriorMs, source: 'prior, no failure seen yet' };
}

/** What both model-based policies do first: wait for their cadence, then evaluate (or keep, saying why). */
function modelPolicyStart(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions) {
  const pending = notYet(obs, state, o);
  if (pending) return wait(obs, state, pending);
  const ev = evaluate(obs, state, ctx, o);
  if ('decision' in ev) return ev;
  return { ev, m: ev.models, latencyAt: ev.latencyAt, L: o.latencyTargetMs, R: o.recoveryTargetS, tput: obs.throughputEps, ci: obs.intervalMs };
}

// ---------------------------------------------------------------------------------------------
// khaos: the original policy

function khaos(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions): Outcome {
  const start = modelPolicyStart(obs, state, ctx, o);
  if ('decision' in start) return start;
  const { ev, m, latencyAt, L, R, tput, ci } = start;
  const recoveryAt = (c: number) => m.recovery.predict(tput, c);
  const lat = latencyAt(ci);
  const rec = recoveryAt(ci);
  const predictions: Predictions = { throughputEps: tput, latencyMs: lat, recoveryS: predictInterval(m.recovery, tput, ci, o.recoveryIntervalLevel) };
  const now = `latency ${latMs(lat)} (target ${latMs(L)}), predicted recovery ${recS(rec)} (target ${recS(R)}) at ${eps(tput)}, ${secs(ci)}${extrapolation(m, [tput], ci)}`;
  const latOk = lat <= L;
  const recOk = rec <= R;
  if (latOk && recOk) return keep(obs, ev.state, `both within target: ${now}`, predictions);
  if (!latOk && !recOk) return keep(obs, ev.state, `both targets violated: ${now}; no action (as the original khaos)`, predictions);
  // The original searches one direction only: shorter when recovery is too slow, longer when latency is too high.
  const shorter = !recOk;
  const direction = shorter ? 'shorter' : 'longer';
  const objective = (c: number): number | undefined => {
    const a = latencyAt(c) / L;
    const b = recoveryAt(c) / R;
    return a > 0 && a < 1 && b > 0 && b < 1 ? a + b + Math.abs(a - b) : undefined;
  };
  let best: { ms: number; objective: number } | undefined;
  for (const c of candidates(o.candidateMinMs, o.candidateMaxMs, o.candidateStepMs)) {
    if (shorter ? c >= ci : c <= ci) continue;
    const f = objective(c);
    if (f !== undefined && (!best || f < best.objective)) best = { ms: c, objective: f };
  }
  if (!best) return keep(obs, ev.state, `${now}; no ${direction} interval meets both targets`, predictions);
  if (Math.abs(best.ms - ci) < o.minChangeMs)
    return keep(obs, ev.state, `${now}; the best ${direction} interval ${secs(best.ms)} is less than the minimum change of ${secs(o.minChangeMs)} away`, predictions);
  const current = lat / L + rec / R + Math.abs(lat / L - rec / R);
  const chosen = { ...predictions, chosenLatencyMs: latencyAt(best.ms), chosenRecoveryS: predictInterval(m.recovery, tput, best.ms, o.recoveryIntervalLevel) };
  return change(obs, ev.state, best.ms, `${now}; ${secs(ci)} → ${secs(best.ms)}: objective ${current.toFixed(2)} → ${best.objective.toFixed(2)}`, o, chosen);
}

// ---------------------------------------------------------------------------------------------
// khaos+: the default

function khaosPlus(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions): Outcome {
  const out = khaosPlusDecide(obs, state, ctx, o);
  // Right after a recovery the last checkpoint is old: a second failure now would replay both the
  // first one's backlog and everything since. Only the paced actuator can checkpoint on demand.
  if (ctx.actuator !== 'paced' || !obs.recoveryJustEnded) return out;
  return { ...out, decision: { ...out.decision, checkpointNow: true, reason: `recovery just ended: checkpointing now; ${out.decision.reason}` } };
}

function khaosPlusDecide(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions): Outcome {
  const start = modelPolicyStart(obs, state, ctx, o);
  if ('decision' in start) return start;
  const { ev, m, L, R, tput, ci } = start;
  // Both targets are judged at the coming peak when the forecast is higher: an interval chosen for
  // the present load must still hold when the peak arrives, before the next evaluation — not too
  // long should a failure hit then, not too short for the latency the peak's queueing adds.
  const forecast = o.useForecast && obs.forecastEps !== undefined && Number.isFinite(obs.forecastEps) && obs.forecastEps > tput ? obs.forecastEps : undefined;
  const recTput = forecast ?? tput;
  const recoveryAt = (c: number) => predictInterval(m.recovery, recTput, c, o.recoveryIntervalLevel);
  // The correction measured at the present load is carried to the peak, as it is to other intervals.
  const latencyAt = forecast === undefined ? start.latencyAt : (c: number) => m.latency.predict(recTput, c) * ev.correction;
  // 2·max(lat/L, rec/R) equals the original's lat/L + rec/R + |lat/L − rec/R|, and still ranks candidates when both exceed 1.
  const judge = (c: number) => {
    const lat = latencyAt(c);
    const rec = recoveryAt(c);
    return { lat, rec, objective: 2 * Math.max(lat / L, rec.high / R), positive: lat > 0 && rec.high > 0 };
  };
  const cur = judge(ci);
  const predictions: Predictions = { throughputEps: recTput, latencyMs: cur.lat, recoveryS: cur.rec };
  const level = Math.round(o.recoveryIntervalLevel * 100);
  const load = forecast !== undefined ? `${eps(recTput)} (forecast; now ${eps(tput)})` : eps(tput);
  const now = `latency ${latMs(cur.lat)} (target ${latMs(L)}), predicted recovery ${recS(cur.rec.high)} (${level} % upper; target ${recS(R)}) at ${load}, ${secs(ci)}${extrapolation(m, [tput, recTput], ci)}`;
  const latBad = cur.lat > L;
  const recBad = cur.rec.high > R;
  // Within both targets a restart is not worth its outage; a paced change is free, so khaos+ keeps
  // balancing the two (hysteresis and the rate limit still apply).
  if (!latBad && !recBad && ctx.actuator === 'restart') return keep(obs, ev.state, `both within target: ${now}`, predictions);

  // Candidates both ways, inside the trained interval range: the models are not trusted beyond it.
  const lo = Math.max(o.candidateMinMs, m.trainedCiMs.min);
  const hi = Math.min(o.candidateMaxMs, m.trainedCiMs.max);
  const pool = lo <= hi ? candidates(lo, hi, o.candidateStepMs) : candidates(o.candidateMinMs, o.candidateMaxMs, o.candidateStepMs);
  const judged = pool.map((c) => ({ ms: c, j: judge(c) })).filter((x) => x.j.positive);
  // A target no candidate meets is violated at any interval (should a failure come, for recovery);
  // one that some candidate meets is not given up for it. The minimax alone would let the target
  // out of reach decide, trading a certain violation of the other for a smaller excess of its own.
  const reachable = { lat: judged.some((x) => x.j.lat <= L), rec: judged.some((x) => x.j.rec.high <= R) };
  const out = !reachable.rec && reachable.lat ? 'recovery' : !reachable.lat && reachable.rec ? 'latency' : undefined;
  const givesUp = (j: ReturnType<typeof judge>) => (out === 'recovery' ? j.lat > L : out === 'latency' ? j.rec.high > R : false);
  const better = (a: (typeof judged)[number], b: (typeof judged)[number]) => (givesUp(a.j) !== givesUp(b.j) ? !givesUp(a.j) : a.j.objective < b.j.objective);
  let best: (typeof judged)[number] | undefined;
  for (const x of judged) if (!best || better(x, best)) best = x;
  const what = latBad && recBad ? 'both targets violated, least-bad choice' : latBad ? 'latency over target' : recBad ? 'recovery over target' : 'both within target, balancing (paced)';
  if (!best) return keep(obs, ev.state, `${what}: ${now}; the models give no positive prediction for any candidate`, predictions);
  const reach = out === undefined ? '' : `; the ${out} target is out of reach at every candidate, the ${out === 'recovery' ? 'latency' : 'recovery'} target is kept`;
  const step = `${secs(ci)} → ${secs(best.ms)}: objective ${cur.objective.toFixed(2)} → ${best.j.objective.toFixed(2)}${reach}`;
  if (Math.abs(best.ms - ci) < o.minChangeMs)
    return keep(obs, ev.state, `${what}: ${now}${reach}; the best interval ${secs(best.ms)} is less than the minimum change of ${secs(o.minChangeMs)} away`, predictions);
  // An interval outside the trained range is judged by extrapolation, which is not trusted for
  // candidates either: leave it for the best trained one, whatever the extrapolated objective says.
  // Keeping a reachable target that the current interval gives up is worth a change whatever the objective says.
  const trusted = ci >= m.trainedCiMs.min && ci <= m.trainedCiMs.max;
  if (trusted && !(givesUp(cur) && !givesUp(best.j)) && best.j.objective > (1 - o.hysteresis) * cur.objective)
    return keep(obs, ev.state, `${what}: ${now}; ${step} improves by less than the ${Math.round(o.hysteresis * 100)} % hysteresis`, predictions);
  const recent = state.changeTimesMs.filter((t) => obs.atMs - t < o.rateWindowMs);
  if (recent.length >= o.maxChanges) {
    const nextMs = Math.min(...recent) + o.rateWindowMs - obs.atMs;
    return keep(obs, ev.state, `${what}: ${now}; ${step} is held back by the rate limit: ${recent.length} change(s) in the last ${dur(o.rateWindowMs)} (max ${o.maxChanges}), next allowed in ${dur(nextMs)}`, predictions);
  }
  let cost = '';
  if (ctx.actuator === 'restart') {
    const worth = restartWorth(obs, o, m, cur, best.j);
    if (!worth.ok) return keep(obs, ev.state, `${what}: ${now}; ${step} is not worth a restart: ${worth.text}`, predictions);
    cost = `; worth a restart: ${worth.text}`;
  }
  const chosen = { ...predictions, chosenLatencyMs: best.j.lat, chosenRecoveryS: best.j.rec };
  return change(obs, ev.state, best.ms, `${what}: ${now}; ${step}${cost}`, o, chosen);
}

/**
 * With the restart actuator every change is an outage, so a change is made only when the
 * violation time it is expected to avoid over `costHorizonMs` (H) exceeds that outage:
 *
 *   avoided  = (excess(current) − excess(chosen)) · max(1, H / MTBF)    recovery beyond its target, per failure
 *            + H · ([lat(current) > L] − [lat(chosen) > L])            latency over target for the whole horizon
 *   outage   = restartDowntime + catch-up,   catch-up = λ · downtime / (capacity − λ)
 *
 * excess(x) = max(0, upper recovery bound at x − R). At least one failure is counted so that a
 * recovery violation is weighed even when failures are rarer than the horizon. The load is assumed
 * to stay as it is over the horizon. Capacity comes from a physical recovery model; a linear model
 * has none, so catch-up counts as 0 (said in the reason), and at or above capacity the backlog
 * never drains, so no restart is worth it.
 */
function restartWorth(
  obs: Observation,
  o: PolicyOptions,
  m: ControlModels,
  cur: { lat: number; rec: PredictionInterval },
  to: { lat: number; rec: PredictionInterval },
): { ok: boolean; text: string } {
  const H = o.costHorizonMs / 1000;
  const failures = Math.max(1, o.costHorizonMs / mtbf(obs, o).ms);
  const excess = (r: PredictionInterval) => Math.max(0, r.high - o.recoveryTargetS);
  const over = (lat: number) => (lat > o.latencyTargetMs ? 1 : 0);
  const avoided = (excess(cur.rec) - excess(to.rec)) * failures + H * (over(cur.lat) - over(to.lat));
  const downS = o.restartDowntimeMs / 1000;
  const capacity = m.recovery.name === 'physical' ? m.recovery.coefficients.capacityEps : undefined;
  const lambda = obs.throughputEps;
  const catchUp = capacity === undefined ? 0 : lambda >= capacity ? Infinity : (lambda * downS) / (capacity - lambda);
  const outage = downS + catchUp;
  const catchUpText = capacity === undefined ? 'catch-up unknown (no capacity in a linear recovery model), counted as 0' : catchUp === Infinity ? `no catch-up at ${eps(lambda)} ≥ capacity ${eps(capacity)}` : `catch-up ${recS(catchUp)}`;
  const text = `avoids ${recS(avoided)} of violations over ${dur(o.costHorizonMs)} (${failures.toFixed(1)} expected failure(s)) vs an outage of ${recS(outage)} (restart ${recS(downS)}, ${catchUpText})`;
  return { ok: avoided > outage, text };
}

// ---------------------------------------------------------------------------------------------
// Baselines

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
