// The Evaluations page: per policy its QoS figures, the Pareto plot of static intervals and
// policies (latency violation share against recovery violations), simulated and measured told
// apart, and the simulator's gap to the measured runs (from /api/evaluations).
import uPlot from '/vendor/uPlot.esm.js';
import { aligned, esc } from './util.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)} %`);
const s1 = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} s`);
const MARK = { static: '#888', oracle: '#000', policy: '#d1495b' };

function pareto(box, e) {
  const frontier = e.policies.filter((p) => e.verdict.staticFrontier.includes(p.name)).sort((a, b) => a.latencyViolationShare - b.latencyViolationShare);
  const pairs = [[frontier.map((p) => p.latencyViolationShare * 100), frontier.map((p) => p.recoveryViolations)]];
  const series = [{}, { label: 'Pareto frontier of the statics', stroke: '#999', dash: [4, 3], spanGaps: true }];
  for (const p of e.policies) {
    pairs.push([[p.latencyViolationShare * 100], [p.recoveryViolations]]);
    series.push({ label: `${p.name} (checkpointing ${pct(p.checkpointOverhead)})`, stroke: MARK[p.role], paths: () => null, points: { show: true, size: p.role === 'policy' ? 12 : 8, fill: p.role === 'static' ? '#fff' : MARK[p.role] } });
  }
  const data = aligned(pairs);
  box.dataset.points = String(e.policies.length);
  new uPlot({ width: 640, height: 360, series, scales: { x: { time: false } }, axes: [{ label: 'latency violation share (% of seconds over the target)' }, { label: 'recovery violations' }] }, data, box);
}

function one(e, i) {
  if (e.problem) return `<section class="evaluation"><h2>${esc(e.dir)}</h2><p class="error">${esc(e.problem)}</p></section>`;
  const label = e.kind === 'simulated' ? 'SIMULATED (the fluid model, not measured on Flink)' : 'MEASURED on Flink';
  const rows = e.policies.map((p) => `<tr><td>${esc(p.name)}</td><td>${pct(p.latencyViolationShare)}</td><td>${p.recoveryViolations}</td><td>${s1(p.meanRecoveryS)}</td><td>${s1(p.maxRecoveryS)}</td><td>${pct(p.checkpointOverhead)}</td><td>${p.reconfigurations}</td></tr>`);
  const gaps = e.gaps.length
    ? `<h3>Simulator against the measured runs</h3><table class="gaps"><tr><th>policy</th><th>median recovery measured / simulated</th><th>gap</th><th>latency share measured / simulated</th><th>gap</th></tr>${e.gaps
        .map((g) => `<tr><td>${esc(g.name)}</td><td>${s1(g.realMedianRecoveryS)} / ${s1(g.simMedianRecoveryS)}</td><td>${pct(g.recoveryGap)}</td><td>${pct(g.realLatencyShare)} / ${pct(g.simLatencyShare)}</td><td>${pct(g.latencyShareGap)}</td></tr>`)
        .join('')}</table>`
    : '';
  return `<section class="evaluation" data-kind="${e.kind}"><h2>${esc(e.dir)} — <span class="kind">${label}</span></h2>
    <p class="verdict">${esc(e.verdict.reason)}</p>
    <table class="qos"><tr><th>policy</th><th>latency violation share</th><th>recovery violations</th><th>mean recovery</th><th>max recovery</th><th>checkpoint overhead</th><th>changes</th></tr>${rows.join('')}</table>
    <div class="chart"><h3>Latency against recovery violations (${e.kind === 'simulated' ? 'SIMULATED' : 'MEASURED'}); lower left is better</h3><div class="pareto" id="pareto-${i}"></div></div>${gaps}</section>`;
}

export function renderEvaluations(root, body, hint) {
  if (body.evaluations.length === 0) return (root.innerHTML = hint(body.hint));
  root.innerHTML = body.evaluations.map(one).join('');
  body.evaluations.forEach((e, i) => !e.problem && pareto(root.querySelector(`#pareto-${i}`), e));
}
