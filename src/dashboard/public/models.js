// The Models page: predicted recovery and latency against throughput, one curve per checkpoint
// interval (the chosen model of each kind), the profiled samples on top, the failures learned in
// production marked apart, and the cross-validation figures (from /api/models/ID).
import uPlot from '/vendor/uPlot.esm.js';
import { aligned, esc } from './util.js';

const COLOURS = ['#1b6ca8', '#d1495b', '#2a9d8f', '#e9a03b', '#6a4c93', '#555'];
function chart(box, m, kind, value, unit) {
  const pairs = [];
  const series = [{}];
  const colour = (ci) => COLOURS[m.intervalsMs.indexOf(ci) % COLOURS.length];
  for (const c of m.fitting.curves?.[kind] ?? []) {
    pairs.push([c.x, c.y]);
    series.push({ label: `model, interval ${c.ciMs / 1000} s`, stroke: colour(c.ciMs), spanGaps: true });
  }
  const dots = (label, stroke, list, shape) => {
    if (list.length === 0) return;
    pairs.push([list.map((s) => s.throughputEps), list.map(value)]);
    series.push({ label, stroke, paths: () => null, points: { show: true, size: shape === 'big' ? 10 : 6, fill: shape === 'hollow' ? '#fff' : stroke } });
  };
  for (const ci of m.intervalsMs) dots(`profiled, ${ci / 1000} s`, colour(ci), m.profiled.filter((s) => s.ciMs === ci), 'dot');
  dots('learned in production', '#000', m.production, 'big');
  if (kind === 'latency') dots('timeouts (not fitted)', '#999', m.timeouts, 'hollow');
  const data = aligned(pairs);
  box.dataset.points = String(data[0].length);
  // 70 px: '35,000' ms fits beside the axis with its label.
  new uPlot({ width: 620, height: 320, series, scales: { x: { time: false } }, legend: { live: false }, axes: [{ label: 'throughput (ev/s)' }, { label: unit, size: 70 }] }, data, box);
}

export function renderModels(root, m) {
  const cv = m.fitting.models
    ? `<table id="cv"><tr><th>kind</th><th>model</th><th>CV MAPE</th><th>R² (in-sample)</th></tr>${m.fitting.models
        .map((x) => `<tr><td>${x.kind}</td><td>${esc(x.variant)}${x.chosen ? ' (chosen)' : ''}</td><td>${x.cvMape === null ? '—' : `${(x.cvMape * 100).toFixed(1)} %`}</td><td>${x.r2 === null ? '—' : x.r2.toFixed(3)}</td></tr>`)
        .join('')}</table><p>Fitted on ${m.fitting.n} recovered failures of the profile, cross-validated (the figures of the profile report).</p>`
    : `<p class="hint">${esc(m.fitting.reason)}</p>`;
  const id = m.fittedFor.identity;
  const fittedFor = id
    ? `${esc(id.name)} · entry class ${esc(id.entryClass)} · parallelism ${id.parallelism} · jar sha256 ${esc(id.jarSha256.slice(0, 16))}…${Object.keys(id.recoveryConf).length ? ` · ${Object.entries(id.recoveryConf).map(([k, v]) => `${esc(k)}=${esc(v)}`).join(', ')}` : ''} · fingerprint ${esc(id.fingerprint)}`
    : `${esc(m.job)}, jar sha256 ${esc(m.fittedFor.jarSha256.slice(0, 16))}… (a profile recorded before job identities)`;
  root.innerHTML = `<h2>Models of profile ${esc(m.profileId)} — job ${esc(m.job)}</h2>
    <p id="fitted-for">Fitted for: ${fittedFor} · Flink ${esc(m.fittedFor.flinkVersion)}</p>
    <p id="samples-count">${m.profiled.length} profiled samples (small dots, one colour per interval), ${m.production.length} learned in production (large black dots: failures measured by control runs of job ${esc(m.job)}), ${m.timeouts.length} timeouts.</p>
    <div class="charts"><div class="chart"><h3>Recovery (s) against throughput</h3><div id="model-recovery"></div></div>
    <div class="chart"><h3>p99 latency (ms) against throughput</h3><div id="model-latency"></div></div></div>${cv}`;
  chart(root.querySelector('#model-recovery'), m, 'recovery', (s) => s.recoverySec, 's');
  chart(root.querySelector('#model-latency'), m, 'latency', (s) => s.latencyMs, 'ms');
}
