import { predictInterval } from '../models/regression.js';
import type { CandidatePrediction, Observation, PolicyContext, PolicyEntry, PolicyOptions, PolicyState, Predictions } from './policy.js';
import { candidates, change, weighedCandidates, eps, exactName, extrapolation, keep, latMs, modelPolicyStart, recS, secs, type Outcome } from './policy-kit.js';

function khaos(obs: Observation, state: PolicyState, ctx: PolicyContext, o: PolicyOptions): Outcome {
  const start = modelPolicyStart(obs, state, ctx, o);
  if ('decision' in start) return start;
  const { ev, m, latencyAt, L, R, tput, ci } = start;
  const recoveryAt = (c: number) => m.recovery.predict(tput, c);
  // The original tests the latency target on the observed mean latency (ExecutionManager, state
  // OPTIMIZE: avgLat against avgLatConst); its correction weighs only the candidates' predictions.
  const lat = obs.latencyMs;
  const rec = recoveryAt(ci);
  let predictions: Predictions = { throughputEps: tput, latencyMs: latencyAt(ci), recoveryS: predictInterval(m.recovery, tput, ci, o.recoveryIntervalLevel) };
  const now = `observed latency ${latMs(lat)} (target ${latMs(L)}), predicted recovery ${recS(rec)} (target ${recS(R)}) at ${eps(tput)}, ${secs(ci)}${extrapolation(m, [tput], ci)}`;
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
  const rows: CandidatePrediction[] = [];
  for (const c of candidates(o.candidateMinMs, o.candidateMaxMs, o.candidateStepMs)) {
    if (shorter ? c >= ci : c <= ci) continue;
    const f = objective(c);
    rows.push({ intervalMs: c, latencyMs: latencyAt(c), recoveryS: predictInterval(m.recovery, tput, c, o.recoveryIntervalLevel), ...(f === undefined ? {} : { objective: f }) });
    if (f !== undefined && (!best || f < best.objective)) best = { ms: c, objective: f };
  }
  // The interval in force is the one it is weighed against (its objective on the observed latency).
  const inForce = { intervalMs: ci, latencyMs: lat, recoveryS: predictions.recoveryS! };
  predictions = { ...predictions, candidates: weighedCandidates([...rows, inForce], ci, best?.ms) };
  if (!best) return keep(obs, ev.state, `${now}; no ${direction} interval meets both targets`, predictions);
  if (Math.abs(best.ms - ci) < o.minChangeMs)
    return keep(obs, ev.state, `${now}; the best ${direction} interval ${secs(best.ms)} is less than the minimum change of ${secs(o.minChangeMs)} away`, predictions);
  const current = lat / L + rec / R + Math.abs(lat / L - rec / R);
  const chosen = { ...predictions, chosenLatencyMs: latencyAt(best.ms), chosenRecoveryS: predictInterval(m.recovery, tput, best.ms, o.recoveryIntervalLevel) };
  return change(obs, ev.state, best.ms, `${now}; ${secs(ci)} → ${secs(best.ms)}: objective ${current.toFixed(2)} → ${best.objective.toFixed(2)}`, o, chosen);
}

/** The original Khaos (docs/control.md lists where it differs from the prototype, and why). */
export const KHAOS: PolicyEntry = {
  grammar: 'khaos',
  description: 'the original Khaos policy: point predictions, one direction at a time, no action when both targets are violated',
  parse: exactName('khaos'),
  // The original changed the interval by restarting the job from a savepoint.
  defaultActuator: 'restart',
  needsModels: true,
  // The original fits its models once, before control, and never refits them.
  learnsOnline: false,
  create: (_spec, o) => (obs, state, ctx) => khaos(obs, state, ctx, o),
};
