// The Profiles pages: the list, and one profile with its plan, its steps, the failures that did
// not recover (timed out or unmeasured), and every failure with its replica's lag and throughput
// around it (from /api/profiles and /api/profiles/ID; the series as the profile report draws them).
import uPlot from '/vendor/uPlot.esm.js';
import { aligned, esc, fmt, hint, time } from './util.js';

export function renderProfiles(root, p) {
  if (p.profiles.length === 0) return (root.innerHTML = hint(p.hint));
  root.innerHTML = `<table id="profiles"><tr><th>profile</th><th>created</th><th>status</th><th>job</th><th>intervals</th><th>steps</th><th>measurements</th><th>timeouts and unmeasured</th></tr>${p.profiles
    .map((x) => `<tr><td><a href="#/profiles/${encodeURIComponent(x.id)}">${esc(x.id)}</a> · <a href="#/models/${encodeURIComponent(x.id)}">models</a></td><td>${time(x.createdAtMs)}</td><td>${esc(x.status)}</td><td>${esc(x.job)}</td><td>${x.intervalsMs.map((i) => `${i / 1000} s`).join(', ')}</td><td>${x.steps}</td><td>${x.measurements}</td><td>${x.timeouts}</td></tr>`)
    .join('')}</table>`;
}

const secs = (ms) => (ms === undefined || ms === null ? '—' : `${ms / 1000} s`);

/** The plan as a two-column table: what the profile set out to measure, and how. */
function planTable(plan) {
  const r = plan.replay;
  const rows = [
    ['job', plan.jobIdentity ? `${esc(plan.jobIdentity.name)} · ${esc(plan.jobIdentity.entryClass)} · parallelism ${plan.jobIdentity.parallelism} · jar ${esc(plan.jobIdentity.jarSha256.slice(0, 12))}… · fingerprint ${esc(plan.jobIdentity.fingerprint)}` : `${esc(plan.job)} (parallelism ${plan.parallelism}; recorded before job identities)`],
    ['checkpoint intervals', plan.intervalsMs.map(secs).join(', ')],
    ['load points', plan.points.map((p) => `#${p.index} ${fmt(p.rateEps ?? p.rate)} ev/s`).join(', ')],
    ['repetitions', String(plan.repetitions)],
    ['failure', `${esc(plan.failure)}, timed ${esc(plan.timing)}${plan.timing === 'before-checkpoint' ? ` (${secs(plan.leadMs)} before the next checkpoint)` : ''}, ${esc(plan.injection ?? 'side-by-side')}`],
    ['checkpoints', plan.actuator === 'paced' ? `paced by Khaos (Flink's own fallback ${secs(plan.fallbackIntervalMs)})` : "Flink's own schedule"],
    ['replay', `${esc(r.trace)}, peak ${fmt(r.peakRateEps)} ev/s, compressed ${r.compression}×, ${r.beforeSec} s before the failure, up to ${r.afterSec} s after`],
    ['recovered when', `${plan.sustainSec} s of normal lag and throughput; a time-out after ${secs(plan.recoveryTimeoutMs)}`],
    ...(plan.capacity ? [['capacity probe', `sustained ${fmt(plan.capacity.sustainableEps)} ev/s; load points span ${plan.capacity.loadRange.map((f) => `${Math.round(f * 100)} %`).join('–')} of it`]] : []),
  ];
  return `<table id="plan">${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join('')}</table>`;
}

const stepKey = (m) => `${m.pointIndex}.${m.repetition}`;
const recoveryText = (m) => (m.outcome === 'recovered' ? `${fmt(m.recoverySec, 1)} s` : m.outcome === 'timeout' ? 'timed out' : 'unmeasured');

function failureChart(box, f) {
  const s = f.series;
  // Throughput is not reported while the job is down: its line breaks there (null), the lag's goes on.
  const tp = [[...s.throughputEps.map((p) => p[0]), ...s.notRunning], [...s.throughputEps.map((p) => p[1]), ...s.notRunning.map(() => null)]];
  const data = aligned([[s.lag.map((p) => p[0]), s.lag.map((p) => p[1])], tp, [s.notRunning, s.notRunning.map(() => 0)]]);
  box.dataset.points = String(data[0].length);
  new uPlot(
    {
      width: 420, height: 180,
      series: [{}, { label: 'lag (records)', stroke: '#a5a', scale: 'lag', spanGaps: true }, { label: 'throughput (ev/s)', stroke: '#2a6', scale: 'eps', spanGaps: false }, { label: 'not RUNNING', stroke: '#c33', scale: 'lag', paths: () => null, points: { show: true, size: 5, fill: '#c33' } }],
      scales: { x: { time: false } },
      axes: [{ label: 's from the failure' }, { scale: 'lag', size: 64 }, { scale: 'eps', side: 1, size: 64, grid: { show: false } }],
    },
    data,
    box,
  );
}

export function renderProfile(root, p) {
  const { record, steps, failures, notRecovered } = p;
  const stepRows = steps.map((s) => `<tr><td>${s.pointIndex}.${s.repetition}</td><td>${esc(s.status)}</td><td>${time(s.startedAtMs)}</td><td>${fmt((s.endedAtMs - s.startedAtMs) / 1000)} s</td><td>${esc(s.error ?? '')}</td></tr>`);
  const failureRows = failures.map((m, i) => `<tr class="${esc(m.outcome)}"><td>${stepKey(m)}</td><td>${time(m.injectedAtMs)}</td><td>${secs(m.ciMs)}</td><td>${esc(m.outcome)}</td><td>${fmt(m.throughputEps)}</td><td>${recoveryText(m)}</td><td>${fmt(m.detectionSec, 1)} / ${fmt(m.restartSec, 1)} / ${fmt(m.catchupSec, 1)}</td><td>${m.series ? `<button class="link" data-failure="${i}">series</button>` : 'no series (recorded before they were kept)'}</td></tr>`);
  const bad = failures.filter((m) => m.outcome !== 'recovered');
  const notRecoveredText = bad.length === 0
    ? 'Every failure recovered within the time-out.'
    : `${notRecovered.timeouts} timed out (not back to normal within ${secs(record.plan.recoveryTimeoutMs)}), ${notRecovered.unmeasured} unmeasured (the job ran again, but Flink kept serving the dead attempt's metrics). Neither is a sample of the models; their series tell which: ${bad.map((m) => `${stepKey(m)} at ${secs(m.ciMs)} (${m.outcome})`).join(', ')}.`;
  root.innerHTML = `<h2>Profile ${esc(record.id)} (${esc(record.status)})</h2>
    <p>created ${time(record.createdAtMs)} · Flink ${esc(record.provenance.flinkVersion)} · <a href="#/models/${encodeURIComponent(record.id)}">its models</a></p>
    <h3>Plan</h3>${planTable(record.plan)}
    <h3>Steps</h3><table id="steps"><tr><th>step</th><th>status</th><th>started</th><th>took</th><th>error</th></tr>${stepRows.join('')}</table>
    <h3>Timeouts and unmeasured failures</h3><p id="not-recovered">${esc(notRecoveredText)}</p>
    <h3>Failures</h3><table id="measurements"><tr><th>step</th><th>injected</th><th>interval</th><th>outcome</th><th>ev/s before</th><th>recovery</th><th>detection / restart / catch-up s</th><th></th></tr>${failureRows.join('')}</table>
    <h3>Lag and throughput around each failure</h3><div class="charts small" id="failure-charts">${failures
      .map((m, i) => (m.series ? `<div class="chart" id="failure-${i}"><h4>${stepKey(m)} · interval ${secs(m.ciMs)} · ${esc(m.outcome)} · recovery ${recoveryText(m)}</h4><div class="plot"></div></div>` : ''))
      .join('')}</div>`;
  failures.forEach((m, i) => m.series && failureChart(root.querySelector(`#failure-${i} .plot`), m));
  root.querySelector('#measurements').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-failure]');
    if (b) document.getElementById(`failure-${b.dataset.failure}`).scrollIntoView({ block: 'center' });
  });
}
