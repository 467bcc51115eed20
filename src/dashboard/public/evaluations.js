// The Evaluations page: per policy its QoS figures, the Pareto plot of static intervals and
// policies (latency violation share against recovery violations), simulated and measured told
// apart, the simulator's gap to the measured runs, and each run's interval over time and
// recoveries against the target (timeline.json, as the report drew them; from /api/evaluations).
import uPlot from '/vendor/uPlot.esm.js';
import { aligned, esc } from './util.js';

const pct = (v) => (v === null || v === undefined ? '—' : `${(v * 100).toFixed(2)} %`);
const s1 = (v) => (v === null || v === undefined ? '—' : `${v.toFixed(1)} s`);
const MARK = { static: '#888', oracle: '#000', policy: '#d1495b' };
const GREYS = ['#555', '#999', '#bbb', '#333'];
const COLOURS = ['#d1495b', '#1b6ca8', '#2a9d8f', '#e9a03b', '#6a4c93', '#000'];

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
  // x: the share from 0 to 100 %, linear below 0.1 % and logarithmic above (asinh), so 0.15 % and 100 % both show; y: from 0 violations.
  const scales = { x: { time: false, distr: 4, asinh: 0.1, range: () => [0, 100] }, y: { range: (_u, _min, max) => [0, Math.max(2, Math.ceil(max * 1.15))] } };
  const axes = [
    { label: 'latency violation share (% of seconds over the target)', splits: () => [0, 0.1, 1, 10, 100] },
    { label: 'recovery violations', incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000] }, // counts: whole ticks
  ];
  new uPlot({ width: 640, height: 360, series, scales, legend: { live: false }, axes }, data, box);
  box.insertAdjacentHTML('beforeend', samePoint(e.policies));
}

/** The policies drawn on one another (the same share and violations, as the table shows them), named. */
function samePoint(policies) {
  const at = new Map();
  for (const p of policies) {
    const key = `${pct(p.latencyViolationShare)}, ${p.recoveryViolations} recovery violation${p.recoveryViolations === 1 ? '' : 's'}`;
    at.set(key, [...(at.get(key) ?? []), p.name]);
  }
  const shared = [...at].filter(([, names]) => names.length > 1).map(([key, names]) => `${names.map(esc).join(', ')} (${key})`);
  return shared.length ? `<p class="same-point">Drawn on one another: ${shared.join('; ')}.</p>` : '';
}

/** Each run's interval in force over time, a stepped line per run (statics dashed). */
function intervalChart(box, e) {
  const t = e.timeline;
  const pairs = t.runs.map((r) => [[...r.intervals.map((v) => v.atSec), r.endSec], [...r.intervals.map((v) => v.intervalMs / 1000), r.intervals.at(-1)?.intervalMs / 1000]]);
  const role = (name) => e.policies.find((p) => p.name === name)?.role ?? 'policy';
  let k = 0;
  let g = 0;
  const series = [{}, ...t.runs.map((r) => ({ label: r.name, stroke: role(r.policy) === 'static' ? GREYS[g++ % GREYS.length] : COLOURS[k++ % COLOURS.length], dash: role(r.policy) === 'static' ? [6, 4] : undefined, width: 1.5, spanGaps: true, paths: uPlot.paths.stepped({ align: 1 }) }))];
  const data = aligned(pairs);
  box.dataset.points = String(data[0].length);
  new uPlot({ width: 640, height: 260, series, scales: { x: { time: false } }, legend: { live: false }, axes: [{ label: t.timeAxis }, { label: 'interval (s)' }] }, data, box);
}

/**
 * Each failure's recovery per run against the target: ✓ within it, ✗ over it or not recovered.
 * When every run had the failure at the same second (one schedule), the second is said once, in the failure's cell.
 */
function recoveriesTable(t) {
  const n = Math.max(0, ...t.runs.map((r) => r.failures.length));
  const cell = (f) => (!f ? '—' : f.recoverySec === null ? 'not recovered ✗' : `${f.recoverySec.toFixed(1)} s ${f.recoverySec <= t.recoveryTargetS ? '✓' : '✗'}`);
  const at = (f) => `at ${f.atSec.toFixed(0)} s`;
  const rows = Array.from({ length: n }, (_, k) => {
    const fs = t.runs.map((r) => r.failures[k]);
    const once = fs.every((f) => f && at(f) === at(fs[0]));
    return `<tr><td>F${k + 1}${once ? ` ${at(fs[0])}` : ''}</td>${fs.map((f) => `<td>${f && !once ? `${at(f)}: ` : ''}${cell(f)}</td>`).join('')}</tr>`;
  });
  return `<table class="recoveries"><tr><th>failure</th>${t.runs.map((r) => `<th>${esc(r.name)}</th>`).join('')}</tr>${rows.join('')}</table><p>Target ${t.recoveryTargetS} s.</p>`;
}

function one(e, i) {
  if (e.problem) return `<section class="evaluation"><h2>${esc(e.dir)}</h2><p class="error">${esc(e.problem)}</p></section>`;
  const label = e.kind === 'simulated' ? 'SIMULATED (the fluid model, not measured on Flink)' : 'MEASURED on Flink';
  const tag = e.kind === 'simulated' ? 'SIMULATED' : 'MEASURED';
  const rows = e.policies.map((p) => `<tr><td>${esc(p.name)}</td><td>${pct(p.latencyViolationShare)}</td><td>${p.recoveryViolations}</td><td>${s1(p.meanRecoveryS)}</td><td>${s1(p.maxRecoveryS)}</td><td>${pct(p.checkpointOverhead)}</td><td>${p.reconfigurations}</td></tr>`);
  const gaps = e.gaps.length
    ? `<h3>Simulator against the measured runs</h3><table class="gaps"><tr><th>policy</th><th>median recovery measured / simulated</th><th>gap</th><th>latency share measured / simulated</th><th>gap</th></tr>${e.gaps
        .map((g) => `<tr><td>${esc(g.name)}</td><td>${s1(g.realMedianRecoveryS)} / ${s1(g.simMedianRecoveryS)}</td><td>${pct(g.recoveryGap)}</td><td>${pct(g.realLatencyShare)} / ${pct(g.simLatencyShare)}</td><td>${pct(g.latencyShareGap)}</td></tr>`)
        .join('')}</table>`
    : `<p class="no-gap">${e.kind === 'simulated' ? 'Simulator against measurement: none here (a simulated evaluation has nothing measured to compare with). A real evaluation (<code>khaos evaluate</code> without <code>--sim</code>) replays its runs in the simulator and writes the gap to sim-vs-real.json.' : 'Simulator against measurement: no sim-vs-real.json in this evaluation.'}</p>`;
  return `<section class="evaluation" data-kind="${e.kind}"><h2>${esc(e.dir)} — <span class="kind">${label}</span></h2>
    <p class="verdict">${esc(e.verdict.reason)}</p>
    <table class="qos"><tr><th>policy</th><th>latency violation share</th><th>recovery violations</th><th>mean recovery</th><th>max recovery</th><th>checkpoint overhead</th><th>changes</th></tr>${rows.join('')}</table>
    <div class="chart"><h3>Latency against recovery violations (${e.kind === 'simulated' ? 'SIMULATED' : 'MEASURED'}); lower left is better</h3><div class="pareto" id="pareto-${i}"></div></div>${timeline(e, i, tag)}${gaps}</section>`;
}

function timeline(e, i, tag) {
  if (!e.timeline) return '<p class="hint">No timeline.json in this evaluation (written before it was kept): run it again for the interval over time and the recoveries per run.</p>';
  return `<div class="chart"><h3>Checkpoint interval over time, per run (${tag})</h3><div class="intervals" id="intervals-${i}"></div></div>
    <h3>Recoveries against the target, per run (${tag})</h3>${recoveriesTable(e.timeline)}`;
}

export function renderEvaluations(root, body, hint) {
  if (body.evaluations.length === 0) return (root.innerHTML = hint(body.hint));
  root.innerHTML = body.evaluations.map(one).join('');
  body.evaluations.forEach((e, i) => !e.problem && pareto(root.querySelector(`#pareto-${i}`), e));
  body.evaluations.forEach((e, i) => e.timeline && intervalChart(root.querySelector(`#intervals-${i}`), e));
}
