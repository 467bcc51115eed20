// The dashboard page: plain ES modules, no bundler (nothing here needs one). Pages by the URL's
// hash: #/live (the live run), #/runs, #/runs/ID, #/profiles, #/profiles/ID, #/models/ID, #/evaluations. The live and run
// views follow the server's event stream (/api/live); the token for a person's commands is typed
// in by the person and kept in this tab only (sessionStorage): the server never sends it.
import { drawCharts, resetCharts } from './charts.js';
import { renderModels } from './models.js';
import { renderEvaluations } from './evaluations.js';
import { renderProfile, renderProfiles } from './profiles.js';
import { esc, fmt, getJson, hint, time } from './util.js';

const $page = document.getElementById('page');
let stream;

function statusLine(run) {
  if (!run) return '';
  const what = `run <b>${esc(run.id)}</b> · ${esc(run.policy)} @ ${esc(run.actuator)}${run.dryRun ? ' (dry run)' : ''} · job ${esc(run.jobId ?? '?')} at ${esc(run.restUrl)}`;
  const state =
    run.status === 'running' ? 'running' : run.status === 'interrupted' ? `the controller stopped without closing the run (killed?) — its last record at ${time(run.lastRecordMs)}` : `stopped — its last record at ${time(run.lastRecordMs)}`;
  return `<div class="status ${esc(run.status)}" id="run-status" data-status="${esc(run.status)}">${what} · <span>${state}</span> · ${run.decisions} decisions, ${run.changes} changes, ${run.failures} failures${run.intervalMs ? ` · interval ${run.intervalMs} ms` : ''}</div>`;
}

function failuresTable(v) {
  if (v.failures.length === 0) return '<p>No failure seen in this run.</p>';
  const target = v.targets.recoveryS;
  const rows = v.failures.map((f) => {
    const r = f.recovery;
    const total = r?.recoverySec;
    const phases = ['detection', 'restart', 'catchup'].map((p) => [p, r?.[`${p}Sec`]]).filter(([, s]) => typeof s === 'number' && s > 0);
    const bar = total ? `<div class="phases" title="${phases.map(([p, s]) => `${p} ${s.toFixed(1)} s`).join(', ')}">${phases.map(([p, s]) => `<span class="ph-${p}" style="width:${(100 * s) / Math.max(total, target ?? 0)}%"></span>`).join('')}</div>` : '';
    const measured = r ? (r.timedOut ? 'no recovery within the time-out' : total !== undefined ? `${total.toFixed(1)} s${target ? ` vs target ${target} s ${total <= target ? '✓' : '✗'}` : ''}` : esc(r.detail)) : 'recovering… (measured once lag is normal again)';
    return `<tr class="failure"><td>${time(f.atMs)}</td><td>${esc(f.detail)}</td><td class="recovery">${measured}</td><td>${bar}${phases.map(([p, s]) => `${p} ${s.toFixed(1)} s`).join(' · ')}</td></tr>`;
  });
  return `<table id="failures"><tr><th>when</th><th>failure</th><th>recovery</th><th>phases</th></tr>${rows.join('')}</table>`;
}

function timeline(v) {
  const rows = v.decisions
    .map((d, i) => ({ d, i }))
    .reverse()
    .slice(0, 300)
    .map(({ d, i }) => `<tr class="decision${d.by === 'person' ? ' person' : ''}" data-index="${i}"><td>${time(d.atMs)}</td><td>${esc(d.action)}</td><td>${d.fromIntervalMs} → ${d.toIntervalMs} ms</td><td>${esc(d.outcome)}</td><td>${esc(d.reason)}</td></tr>`);
  const more = v.decisions.length > 300 ? `<p>the newest 300 of ${v.decisions.length} decisions</p>` : '';
  return `<table id="timeline"><tr><th>when</th><th>action</th><th>interval</th><th>outcome</th><th>reason</th></tr>${rows.join('')}</table>${more}`;
}

/** The candidates a decision weighed, as a text table (a decision keeps at most 12 of them). */
function candidatesText(d) {
  const c = d.predictions?.candidates;
  if (!d.predictions) return 'Candidates considered: none (no evaluation by the models)';
  if (!c) return 'Candidates considered: not recorded (a decision recorded before Khaos kept them)';
  const mark = (ms) => [ms === d.fromIntervalMs ? 'in force' : '', ms === d.toIntervalMs && d.action === 'change' ? 'chosen' : '', ms === c.bestMs ? 'ranked best' : ''].filter(Boolean).join(', ');
  const rows = c.kept.map((k) => [`${k.intervalMs / 1000} s`, `${fmt(k.latencyMs)} ms`, `${fmt(k.recoveryS.mid, 1)} s (${fmt(k.recoveryS.low, 1)}–${fmt(k.recoveryS.high, 1)})`, k.objective === undefined ? '—' : fmt(k.objective, 2), k.expectedViolationS === undefined ? '—' : `${fmt(k.expectedViolationS, 1)} s`, mark(k.intervalMs)]);
  const table = [['interval', 'latency', 'recovery (interval)', 'objective', 'expected violation', ''], ...rows];
  const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
  const lines = table.map((r) => r.map((cell, i) => cell.padEnd(widths[i])).join('  ').trimEnd());
  return [`Candidates considered: ${c.count} weighed${c.bestMs === undefined ? '' : `, ranked best ${c.bestMs / 1000} s`}; ${c.kept.length} kept with the decision:`, ...lines.map((l) => `  ${l}`)].join('\n');
}

function openDecision(d) {
  const p = d.predictions;
  const text = [
    `${time(d.atMs)} · ${d.by === 'person' ? 'taken by a person' : `policy ${d.policy}`} · ${d.action} ${d.fromIntervalMs} → ${d.toIntervalMs} ms · ${d.outcome}`,
    '',
    `Reason: ${d.reason}`,
    '',
    `Observation: ${JSON.stringify(d.observation, null, 2)}`,
    '',
    p
      ? `Predictions at ${fmt(p.throughputEps)} ev/s: latency ${fmt(p.latencyMs)} ms, recovery ${p.recoveryS ? `${fmt(p.recoveryS.mid, 1)} s (interval ${fmt(p.recoveryS.low, 1)}–${fmt(p.recoveryS.high, 1)} s)` : '—'}` +
        (p.chosenRecoveryS || p.chosenLatencyMs ? `; at the chosen interval: latency ${fmt(p.chosenLatencyMs)} ms, recovery ${p.chosenRecoveryS ? `${fmt(p.chosenRecoveryS.mid, 1)} s (${fmt(p.chosenRecoveryS.low, 1)}–${fmt(p.chosenRecoveryS.high, 1)} s)` : '—'}` : '')
      : 'Predictions: none (no models, or not a model-based decision)',
    candidatesText(d),
    `Models: ${d.modelVersion ?? '—'}`,
    '',
    `Policy state: ${JSON.stringify(d.state, null, 2)}`,
  ].join('\n');
  document.getElementById('details-body').textContent = text;
  document.getElementById('details').showModal();
}

function controls(run) {
  if (run.status !== 'running') return '';
  return `<div class="controls" id="controls">
    <label>token <input type="password" id="token" placeholder="printed at start" value="${esc(sessionStorage.getItem('khaos-token') ?? '')}"></label>
    <button data-cmd="pause">pause</button><button data-cmd="resume">resume</button>
    <button data-cmd="dry-on">dry-run on</button><button data-cmd="dry-off">dry-run off</button>
    <label>interval ms <input id="ov-interval" type="number" min="1" value="${run.intervalMs ?? ''}"></label>
    <label>for <input id="ov-for" value="10min"></label><button data-cmd="override">override</button>
    <span id="command-result"></span></div>`;
}

async function sendCommand(runId, which) {
  const token = document.getElementById('token').value.trim();
  sessionStorage.setItem('khaos-token', token);
  const body =
    which === 'dry-on' ? { kind: 'dry-run', on: true } : which === 'dry-off' ? { kind: 'dry-run', on: false } : which === 'override' ? { kind: 'override', intervalMs: Number(document.getElementById('ov-interval').value), for: document.getElementById('ov-for').value } : { kind: which };
  const out = document.getElementById('command-result');
  const r = await fetch(`/api/runs/${encodeURIComponent(runId)}/commands`, { method: 'POST', headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) }, body: JSON.stringify(body) });
  const j = await r.json();
  out.className = r.ok ? '' : 'error';
  out.textContent = r.ok ? `queued (#${j.seq}): the controller takes it on its next tick` : `refused: ${j.error}${j.hint ? ` — ${j.hint}` : ''}`;
}

function renderRun(v, live) {
  let shell = document.getElementById('run-view');
  if (!shell || shell.dataset.run !== v.run.id) {
    resetCharts();
    $page.innerHTML = `<section id="run-view" data-run="${esc(v.run.id)}"><div id="status-slot"></div><div id="controls-slot"></div><div class="charts" id="charts"></div><h2>Failures</h2><div id="failures-slot"></div><h2>Decisions</h2><div id="timeline-slot"></div></section>`;
    shell = document.getElementById('run-view');
    shell.addEventListener('click', (e) => {
      const row = e.target.closest('tr.decision');
      if (row) openDecision(shell.view.decisions[Number(row.dataset.index)]);
      const b = e.target.closest('button[data-cmd]');
      if (b) sendCommand(shell.view.run.id, b.dataset.cmd).catch((err) => (document.getElementById('command-result').textContent = err.message));
    });
  }
  shell.view = v;
  const idle = live && v.run.status !== 'running' ? hint('no controller is running now: this is the newest run; start one with `npx khaos control --config FILE --dashboard`') : '';
  const gaps = (v.gaps ?? []).length ? `<p class="gaps" id="gaps">No decision recorded ${v.gaps.map((g) => `from ${time(g.fromMs)} to ${time(g.toMs)}`).join(', ')} (the controller stopped or stalled, or the records have a hole): the charts break there.</p>` : '';
  document.getElementById('status-slot').innerHTML = statusLine(v.run) + idle + gaps;
  if (!document.getElementById('controls') || v.run.status !== 'running') document.getElementById('controls-slot').innerHTML = controls(v.run);
  drawCharts(document.getElementById('charts'), v);
  document.getElementById('failures-slot').innerHTML = failuresTable(v);
  document.getElementById('timeline-slot').innerHTML = timeline(v);
}

function follow(runId) {
  stream?.close();
  stream = new EventSource(`/api/live${runId ? `?run=${encodeURIComponent(runId)}` : ''}`);
  stream.addEventListener('overview', (e) => {
    const ov = JSON.parse(e.data);
    if (!runId && ov.runs.length === 0) $page.innerHTML = hint(ov.hint);
  });
  let view;
  stream.addEventListener('run', (e) => renderRun((view = JSON.parse(e.data)), !runId));
  stream.addEventListener('append', (e) => {
    const a = JSON.parse(e.data);
    for (const k of ['decisions', 'series', 'checkpoints', 'events']) view[k].push(...a[k]);
    Object.assign(view, { run: a.run, targets: a.targets, failures: a.failures, commands: a.commands, gaps: a.gaps });
    renderRun(view, !runId);
  });
  stream.addEventListener('problem', (e) => {
    const p = JSON.parse(e.data);
    $page.innerHTML = `<p class="error" id="problem">${esc(p.error)}${p.hint ? ` — ${esc(p.hint)}` : ''}</p>`;
  });
  stream.onerror = () => {
    const s = document.getElementById('run-status');
    if (s) s.dataset.connection = 'lost';
  };
}

async function runsPage() {
  const ov = await getJson('/api/overview');
  if (ov.runs.length === 0) return ($page.innerHTML = hint(ov.hint));
  $page.innerHTML = `<table id="runs"><tr><th>run</th><th>started</th><th>status</th><th>policy</th><th>decisions</th><th>changes</th><th>failures</th><th>errors</th><th>interval</th></tr>${ov.runs
    .map((r) => `<tr><td><a href="#/runs/${encodeURIComponent(r.id)}">${esc(r.id)}</a></td><td>${time(r.startedAtMs)}</td><td>${esc(r.status)}${r.status !== 'running' ? ` (last record ${time(r.lastRecordMs)})` : ''}</td><td>${esc(r.policy)} @ ${esc(r.actuator)}</td><td>${r.decisions}</td><td>${r.changes}</td><td>${r.failures}</td><td>${r.errors}</td><td>${r.intervalMs ?? '—'} ms</td></tr>`)
    .join('')}</table>`;
}

async function route() {
  const [, page = 'live', id] = location.hash.split('/');
  for (const a of document.querySelectorAll('nav a[data-page]')) a.classList.toggle('active', a.dataset.page === page);
  stream?.close();
  resetCharts();
  $page.innerHTML = '<p>loading…</p>';
  try {
    if (page === 'live') follow(undefined);
    else if (page === 'runs' && id) follow(decodeURIComponent(id));
    else if (page === 'runs') await runsPage();
    else if (page === 'profiles' && id) renderProfile($page, await getJson(`/api/profiles/${encodeURIComponent(decodeURIComponent(id))}`));
    else if (page === 'profiles') renderProfiles($page, await getJson('/api/profiles'));
    else if (page === 'models' && id) renderModels($page, await getJson(`/api/models/${encodeURIComponent(decodeURIComponent(id))}`));
    else if (page === 'models') renderProfiles($page, await getJson('/api/profiles'));
    else if (page === 'evaluations') renderEvaluations($page, await getJson('/api/evaluations'), hint);
    else $page.innerHTML = hint(`no page "${page}": use the links above`);
  } catch (e) {
    $page.innerHTML = `<p class="error">${esc(e.message)}</p>`;
  }
}

window.addEventListener('hashchange', route);
route();
