import { predictInterval, type PredictionInterval } from '../models/regression.js';
import type { CandidatePrediction, ControlModels, Observation, PolicyContext, PolicyEntry, PolicyOptions, PolicyState, Predictions } from './policy.js';
import { arrivalLoad, candidates, change, weighedCandidates, dur, eps, exactName, extrapolation, keep, latencyCorrection, latMs, modelPolicyStart, mtbf, recS, secs, type Outcome } from './policy-kit.js';

/** A candidate's predictions: latency (corrected), ms, and recovery, s. */
type Judged = { lat: number; rec: PredictionInterval };

function khaosPlus(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions): Outcome {
  const out = khaosPlusDecide(obs, state, ctx, o);
  // Right after a recovery the last checkpoint is old: a second failure now would replay both the
  // first one's backlog and everything since. Only the paced actuator can checkpoint on demand.
  if (ctx.actuator !== 'paced' || !obs.recoveryJustEnded) return out;
  return { ...out, decision: { ...out.decision, checkpointNow: true, reason: `recovery just ended: checkpointing now; ${out.decision.reason}` } };
}

/**
 * The load above the present one that both targets are judged at: the forecast when forecasting
 * is on and it is higher, at most the highest throughput the models were trained on (beyond it
 * they are not trusted, as for intervals: a forecast past a sudden step must not leave every
 * candidate at the prediction ceiling, where nothing can be chosen). Undefined: judge at the
 * present load.
 */
function forecastLoad(obs: Observation, o: PolicyOptions, m: ControlModels, tput: number): number | undefined {
  const f = obs.forecastEps;
  if (!o.useForecast || f === undefined || !Number.isFinite(f) || !(f > tput)) return undefined;
  const clamped = Math.min(f, m.trainedThroughputEps.max);
  return clamped > tput ? clamped : undefined;
}

/**
 * Between evaluations, the interval in force is re-checked each tick at the present window's load:
 * a latency target met at the last evaluation and crossed now gives a reason
 * to evaluate at once, else undefined. A paced change is free, so nothing forces a load rising
 * toward the latency target to wait for the next evaluation: each second over it is a violation.
 * A recovery crossing waits for the cadence: it costs only if a failure falls before then (on
 * the taxi week of evaluate-iot-original-scale.yaml, evaluating early on recovery crossings too
 * moved to the latency edge more often: 5 187 latency-violating s on schedule 0, against 4 683
 * without any early evaluation, with intermediate versions). Only a crossing triggers one, and the evaluation records what it
 * found, so a target that stays crossed triggers no second early evaluation (hysteresis and the
 * rate limit still apply to the changes it makes).
 */
function crossedSinceEvaluation(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions): string | undefined {
  const m = ctx.models;
  const load = arrivalLoad(obs);
  if (!m || !state.met?.latency || obs.recovering || obs.uptimeMs < o.minUptimeMs || !(load >= 0 && obs.latencyMs >= 0)) return undefined;
  // At the present load, with the correction the evaluation will use. Not at the forecast: reading
  // it costs a forecast per tick in the simulator (computed on first read), and the evaluation
  // judges at the forecast only when it is higher, where latency is no lower.
  const lat = m.latency.predict(load, obs.intervalMs) * latencyCorrection(obs, state, m, o, load).correction;
  if (lat > o.latencyTargetMs) return `early evaluation: predicted latency ${latMs(lat)} at ${secs(obs.intervalMs)} at ${eps(load)} crossed its target since the last evaluation; `;
  return undefined;
}

function khaosPlusDecide(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions): Outcome {
  const early = crossedSinceEvaluation(obs, state, ctx, o);
  // The load is the arrival rate: the throughput is pinned at capacity during a backlog. A paced
  // change is free, so a catch-up is not left at an interval whose checkpoints leave too little
  // capacity to drain the backlog (docs/control.md, "A catch-up is not left at its interval").
  const start = modelPolicyStart(obs, state, ctx, o, { cadence: early === undefined, load: arrivalLoad(obs), duringCatchUp: ctx.actuator === 'paced' });
  if ('decision' in start) return start;
  const { ev, m, L, R, tput, ci } = start;
  // Both targets are judged at the coming peak when the forecast is higher: an interval chosen for
  // the present load must still hold when the peak arrives, before the next evaluation — not too
  // long should a failure hit then, not too short for the latency the peak's queueing adds.
  const forecast = forecastLoad(obs, o, m, tput);
  const weigh = expectedViolation(obs, o);
  const expectedOf = o.objective === 'expected-violation' ? weigh.seconds : () => 0;
  const overShare = latencyOverShare(ev.state.latencyRatios, L);
  // The correction measured at the present load is carried to the peak, as it is to other intervals.
  const assess = (load: number) => {
    const judge = (c: number) => {
      const raw = m.latency.predict(load, c);
      const lat = raw * ev.correction;
      const latOver = overShare(raw, lat);
      const rec = predictInterval(m.recovery, load, c, o.recoveryIntervalLevel);
      // 2·max(lat/L, rec/R) equals the original's lat/L + rec/R + |lat/L − rec/R|, and still ranks candidates when both exceed 1.
      return { lat, latOver, rec, objective: 2 * Math.max(lat / L, rec.high / R), expectedS: expectedOf(latOver, rec), positive: lat > 0 && rec.high > 0 };
    };
    // Candidates both ways, inside the trained interval range: the models are not trusted beyond it.
    const lo = Math.max(o.candidateMinMs, m.trainedCiMs.min);
    const hi = Math.min(o.candidateMaxMs, m.trainedCiMs.max);
    const pool = lo <= hi ? candidates(lo, hi, o.candidateStepMs) : candidates(o.candidateMinMs, o.candidateMaxMs, o.candidateStepMs);
    const judged = pool.map((c) => ({ ms: c, j: judge(c) })).filter((x) => x.j.positive);
    return { load, judge, judged, reachable: { lat: judged.some((x) => x.j.lat <= L), rec: judged.some((x) => x.j.rec.high <= R) } };
  };
  // A catch-up is judged at the present load: the backlog is drained now, not at the coming peak.
  let view = assess(obs.recovering ? tput : (forecast ?? tput));
  // At a forecast where no candidate meets either target, the minimax would trade a latency
  // violation that is certain now for a smaller recovery excess that counts only if a failure
  // falls at a load that may not come: the forecast then decides nothing, the present load does.
  let note = '';
  if (forecast !== undefined && !view.reachable.lat && !view.reachable.rec) {
    note = ` (at the forecast ${eps(forecast)} no candidate meets either target: judged at the present load)`;
    view = assess(tput);
  }
  const { judge, judged, reachable } = view;
  const cur = judge(ci);
  const metOf = (j: Judged) => ({ latency: j.lat <= L, recovery: j.rec.high <= R });
  // An early evaluation that keeps disarms the next until a regular one: whatever it judged (a
  // forecast, a model whose latency falls with the load), it cannot trigger every tick.
  const st: PolicyState = { ...ev.state, met: early ? { ...metOf(cur), latency: false } : metOf(cur) };
  const base: Predictions = { throughputEps: view.load, latencyMs: cur.lat, recoveryS: cur.rec };
  const level = Math.round(o.recoveryIntervalLevel * 100);
  const load = view.load !== tput ? `${eps(view.load)} (forecast; now ${eps(tput)})` : eps(tput);
  const now = `${early ?? ''}latency ${latMs(cur.lat)} (target ${latMs(L)}), predicted recovery ${recS(cur.rec.high)} (${level} % upper; target ${recS(R)}) at ${load}${note}, ${secs(ci)}${extrapolation(m, [tput, view.load], ci)}`;
  if (obs.recovering) return catchUp(obs, ev.state, o, { ci, cur, judged, predictions: base, now, metOf });
  const latBad = cur.lat > L;
  const recBad = cur.rec.high > R;
  // Within both targets a restart is not worth its outage; a paced change is free, so khaos+ keeps
  // balancing the two (hysteresis and the rate limit still apply).
  if (!latBad && !recBad && ctx.actuator === 'restart') return keep(obs, st, `both within target: ${now}`, base);

  // A target no candidate meets is violated at any interval (should a failure come, for recovery);
  // one that some candidate meets is not given up for it. The minimax alone would let the target
  // out of reach decide, trading a certain violation of the other for a smaller excess of its own.
  const out = !reachable.rec && reachable.lat ? 'recovery' : !reachable.lat && reachable.rec ? 'latency' : undefined;
  const givesUp = (j: ReturnType<typeof judge>) => (out === 'recovery' ? j.lat > L : out === 'latency' ? j.rec.high > R : false);
  // Expected violation seconds first (0 for every candidate under the minimax objective), the minimax among equals.
  const ahead = (a: ReturnType<typeof judge>, b: ReturnType<typeof judge>) => (a.expectedS !== b.expectedS ? a.expectedS < b.expectedS : a.objective < b.objective);
  const better = (a: (typeof judged)[number], b: (typeof judged)[number]) => (givesUp(a.j) !== givesUp(b.j) ? !givesUp(a.j) : ahead(a.j, b.j));
  let best: (typeof judged)[number] | undefined;
  for (const x of judged) if (!best || better(x, best)) best = x;
  const predictions: Predictions = { ...base, candidates: weighedCandidates(candidateRows(judged, ci, cur, o), ci, best?.ms) };
  const what = latBad && recBad ? 'both targets violated, least-bad choice' : latBad ? 'latency over target' : recBad ? 'recovery over target' : 'both within target, balancing (paced)';
  if (!best) return keep(obs, st, `${what}: ${now}; the models give no positive prediction for any candidate`, predictions);
  const reach = out === undefined ? '' : `; the ${out} target is out of reach at every candidate, the ${out === 'recovery' ? 'latency' : 'recovery'} target is kept`;
  // The target out of reach is not chased: when the present interval meets the other one, a move
  // would only spend that target's margin (the minimax goes to its very edge) for a smaller excess
  // of one violated at any interval. Measured on the taxi week of evaluate-iot-original-scale.yaml:
  // moves from ~50 s to the latency edge (16-20 s) for an out-of-reach recovery, then the load
  // rising past the forecast, gave most of khaos+'s latency-violating seconds.
  if (out !== undefined && !givesUp(cur)) return keep(obs, st, `${what}: ${now}${reach}: the ${out === 'recovery' ? 'latency' : 'recovery'} target is met at ${secs(ci)}, so the interval stays`, predictions);
  const byExpected = best.j.expectedS !== cur.expectedS;
  // Hysteresis weighs what a change can alter: the latency seconds no candidate avoids are left out
  // (with latency over at every candidate, a recovery excess cut by three quarters is no marginal gain).
  const unavoidableS = (o.costHorizonMs / 1000) * Math.min(...judged.map((x) => x.j.latOver));
  const score = (j: ReturnType<typeof judge>) => (byExpected ? j.expectedS - unavoidableS : j.objective);
  const scoreText = byExpected ? `expected violation ${recS(cur.expectedS)} → ${recS(best.j.expectedS)} over ${dur(o.costHorizonMs)} (${weigh.text})` : `objective ${cur.objective.toFixed(2)} → ${best.j.objective.toFixed(2)}`;
  const step = `${secs(ci)} → ${secs(best.ms)}: ${scoreText}${reach}`;
  if (Math.abs(best.ms - ci) < o.minChangeMs)
    return keep(obs, st, `${what}: ${now}${reach}; the best interval ${secs(best.ms)} is less than the minimum change of ${secs(o.minChangeMs)} away`, predictions);
  // An interval outside the trained range is judged by extrapolation, which is not trusted for
  // candidates either: leave it for the best trained one, whatever the extrapolated objective says.
  // Keeping a reachable target that the current interval gives up is worth a change whatever the objective says.
  const trusted = ci >= m.trainedCiMs.min && ci <= m.trainedCiMs.max;
  if (trusted && !(givesUp(cur) && !givesUp(best.j)) && score(best.j) > (1 - o.hysteresis) * score(cur))
    return keep(obs, st, `${what}: ${now}; ${step} improves by less than the ${Math.round(o.hysteresis * 100)} % hysteresis`, predictions);
  const recent = state.changeTimesMs.filter((t) => obs.atMs - t < o.rateWindowMs);
  // The rate limit keeps marginal changes from flapping; it does not hold a certain violation: a
  // paced change (free) that brings the latency back within its target goes through.
  const restoresLatency = ctx.actuator === 'paced' && latBad && best.j.lat <= L;
  if (recent.length >= o.maxChanges && !restoresLatency) {
    const nextMs = Math.min(...recent) + o.rateWindowMs - obs.atMs;
    return keep(obs, st, `${what}: ${now}; ${step} is held back by the rate limit: ${recent.length} change(s) in the last ${dur(o.rateWindowMs)} (max ${o.maxChanges}), next allowed in ${dur(nextMs)}`, predictions);
  }
  let cost = '';
  if (ctx.actuator === 'restart') {
    const worth = restartWorth(obs, o, m, cur, best.j);
    if (!worth.ok) return keep(obs, st, `${what}: ${now}; ${step} is not worth a restart: ${worth.text}`, predictions);
    cost = `; worth a restart: ${worth.text}`;
  }
  const chosen = { ...predictions, chosenLatencyMs: best.j.lat, chosenRecoveryS: best.j.rec };
  return change(obs, { ...ev.state, met: metOf(best.j) }, best.ms, `${what}: ${now}; ${step}${cost}`, o, chosen);
}

/** The candidates judged, and the interval in force when it is not one of them, as a decision keeps them. */
function candidateRows(judged: readonly { ms: number; j: { lat: number; rec: PredictionInterval; objective: number; expectedS: number } }[], ci: number, cur: { lat: number; rec: PredictionInterval; objective: number; expectedS: number }, o: PolicyOptions): CandidatePrediction[] {
  const all = judged.some((x) => x.ms === ci) ? judged : [...judged, { ms: ci, j: cur }];
  return all.map(({ ms, j }) => ({ intervalMs: ms, latencyMs: j.lat, recoveryS: j.rec, objective: j.objective, ...(o.objective === 'expected-violation' ? { expectedViolationS: j.expectedS } : {}) }));
}

/**
 * A recovery's catch-up under way (the job runs again; only the paced actuator evaluates then):
 * every second of it is over the latency target, and it lasts as long as the backlog takes to
 * drain at the capacity the checkpoints leave, so the interval that drains fastest is worth a
 * free change at once, through hysteresis but not the rate limit. Fastest: the least predicted
 * recovery (point) at the present load, among the candidates within the latency target there (the
 * recovery model's catch-up shrinks with the capacity the checkpoints leave); with none, it keeps:
 * on the taxi trace, schedule 0, a move to 3.5 s (8.8 s predicted latency) for a faster catch-up
 * then held the latency over its target for 240 s after it (the rate limit held the return). Measured on
 * wiki_en_5min at the 99th percentile, schedule 13: a kill at 8 739 ev/s at 1 s (its checkpoints
 * leave ~9 000 ev/s) recovered in 849 s while the load stayed at 8 500-9 800 ev/s.
 */
function catchUp(
  obs: Observation,
  state: PolicyState,
  o: PolicyOptions,
  v: { ci: number; cur: Judged; judged: { ms: number; j: Judged }[]; predictions: Predictions; now: string; metOf: (j: Judged) => PolicyState['met'] },
): Outcome {
  const L = o.latencyTargetMs;
  const fastest = v.judged.filter((x) => x.j.lat <= L).sort((a, b) => a.j.rec.mid - b.j.rec.mid)[0];
  const what = `catching up after a failure: ${v.now}`;
  if (!fastest || Math.abs(fastest.ms - v.ci) < o.minChangeMs || !(fastest.j.rec.mid < (1 - o.hysteresis) * v.cur.rec.mid))
    return keep(obs, { ...state, met: v.metOf(v.cur) }, `${what}; no candidate within the latency target drains the backlog faster by more than the ${Math.round(o.hysteresis * 100)} % hysteresis`, v.predictions);
  const step = `${secs(v.ci)} → ${secs(fastest.ms)}: predicted recovery ${recS(v.cur.rec.mid)} → ${recS(fastest.j.rec.mid)} at this load, latency ${latMs(fastest.j.lat)}`;
  return change(obs, { ...state, met: v.metOf(fastest.j) }, fastest.ms, `${what}; ${step}`, o, { ...v.predictions, chosenLatencyMs: fastest.j.lat, chosenRecoveryS: fastest.j.rec });
}

/**
 * How far over its target a candidate's predicted latency must be to count as over it for most of
 * the horizon, relative: the latency is judged at the highest load ahead (the forecast peak), and
 * the load spends only part of the horizon that high, so a candidate 1 % over the target at the
 * peak is over it for a small part of the horizon, one 25 % over for most of it.
 */
export const LATENCY_EXCESS_SCALE = 0.1;

/**
 * The share of the horizon a latency `v` predicted at the judged load is expected to be over the
 * target L: 0 at or below L, then 1 − (L/v)^(1/LATENCY_EXCESS_SCALE), continuous and rising to 1
 * (1 % over: 0.09; 7 %: 0.49; 25 %: 0.89).
 */
const overForPart = (v: number, L: number) => (v > L ? 1 - Math.exp(-Math.log(v / L) / LATENCY_EXCESS_SCALE) : 0);

/**
 * The chance that the latency at a candidate is over its target L, from the spread of the recent
 * observed/predicted ratios (the correction's own evidence): over the predictions each ratio would
 * make of the model's `raw`, the mean share of the horizon over L ({@link overForPart}). With
 * fewer than 3 ratios, the corrected prediction `lat` alone. A candidate at the very edge of the
 * target then counts part of its horizon as over it, not none, and of two candidates both over it
 * the lower counts less: at a peak where every interval misses the latency target, the one nearest
 * it still violates the fewest seconds (SIMULATED, examples/evaluate.yaml on wiki_en_5min.csv:
 * with a plain over-or-not, khaos+ shortened its interval there for the recovery target).
 */
export function latencyOverShare(ratios: readonly number[], L: number): (raw: number, lat: number) => number {
  if (ratios.length < 3) return (_raw, lat) => overForPart(lat, L);
  return (raw) => ratios.reduce((sum, r) => sum + overForPart(raw * r, L), 0) / ratios.length;
}

/**
 * The violation seconds an interval is expected to cost over the horizon H (`costHorizonMs`) at
 * the load it is judged at: latency over its target for the share of H it is likely over it
 * (latencyOverShare), and the recovery's excess over its target (its upper bound) once per
 * expected failure, at least one so that a recovery violation is weighed even when failures are
 * rarer than the horizon:
 *
 *   expected = H · P(lat > L) + max(1, H / MTBF) · max(0, recovery upper bound − R)
 *
 * What the evaluation counts (total violation seconds), as far as one evaluation can foresee it.
 */
function expectedViolation(obs: Observation, o: PolicyOptions): { failures: number; text: string; seconds: (latOver: number, rec: PredictionInterval) => number } {
  const H = o.costHorizonMs / 1000;
  const m = mtbf(obs, o);
  const failures = Math.max(1, o.costHorizonMs / m.ms);
  return {
    failures,
    text: `${failures.toFixed(1)} expected failure(s), MTBF ${dur(m.ms)} ${m.source}`,
    seconds: (latOver, rec) => H * latOver + failures * Math.max(0, rec.high - o.recoveryTargetS),
  };
}

/**
 * With the restart actuator every change is an outage, so a change is made only when the
 * violation time it is expected to avoid over `costHorizonMs` (H) exceeds that outage:
 *
 *   avoided  = (excess(current) − excess(chosen)) · max(1, H / MTBF)    recovery beyond its target, per failure
 *            + H · (P(lat(current) > L) − P(lat(chosen) > L))          latency over target, the share of the horizon it is likely over
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
  cur: { latOver: number; rec: PredictionInterval },
  to: { latOver: number; rec: PredictionInterval },
): { ok: boolean; text: string } {
  const weigh = expectedViolation(obs, o);
  const failures = weigh.failures;
  const avoided = weigh.seconds(cur.latOver, cur.rec) - weigh.seconds(to.latOver, to.rec);
  const downS = o.restartDowntimeMs / 1000;
  const capacity = m.recovery.name === 'physical' ? m.recovery.coefficients.capacityEps : undefined;
  const lambda = arrivalLoad(obs);
  const catchUp = capacity === undefined ? 0 : lambda >= capacity ? Infinity : (lambda * downS) / (capacity - lambda);
  const outage = downS + catchUp;
  const catchUpText = capacity === undefined ? 'catch-up unknown (no capacity in a linear recovery model), counted as 0' : catchUp === Infinity ? `no catch-up at ${eps(lambda)} ≥ capacity ${eps(capacity)}` : `catch-up ${recS(catchUp)}`;
  const text = `avoids ${recS(avoided)} of violations over ${dur(o.costHorizonMs)} (${failures.toFixed(1)} expected failure(s)) vs an outage of ${recS(outage)} (restart ${recS(downS)}, ${catchUpText})`;
  return { ok: avoided > outage, text };
}

/** The default policy. */
export const KHAOS_PLUS: PolicyEntry = {
  grammar: 'khaos+',
  description: 'default: model-based, judges recovery by its upper bound at the forecast peak, least-bad choice when both targets are violated, hysteresis, rate limit, restart cost',
  parse: exactName('khaos+'),
  // Made for the paced actuator: free changes, a checkpoint right after a recovery.
  defaultActuator: 'paced',
  needsModels: true,
  learnsOnline: true,
  create: (_spec, o) => (obs, state, ctx) => khaosPlus(obs, state, ctx, o),
};
