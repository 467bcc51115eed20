import { isStaticName, judgeScenario, ORACLE_NAME, type ScenarioVerdict, type VerdictRow } from '../core/evaluation/verdict.js';
import type { EvaluationRow, Metric, Spread } from '../core/evaluation/qos.js';
import type { FailurePlan, EvaluationResult } from '../core/sim/sim-evaluation.js';
import { checkpointDurationMs, downtimeSec, reconfigurationOutageSec, type FluidParams } from '../core/sim/fluid-params.js';
import { intervalSteps, simulatedTimeline } from '../core/evaluation/timeline.js';
import { count, num, pct, secs, table, traceScalingText } from './markdown.js';
import { compactNumber, PALETTE, svgPlot, type PlotSeries, type VerticalMarker } from './svg-plot.js';

/**
 * The report of a SIMULATED policy evaluation (`khaos evaluate --sim`): Markdown plus the SVG plots
 * it links by relative file name. Pure: the caller writes the files (src/cli/evaluate.ts).
 * Sections: input rate, the interval each policy chose, latency against its target, failures and
 * recoveries against the recovery target (all on the representative schedule 0), and the
 * violations table over every schedule.
 */
export interface EvaluateReport {
  markdown: string;
  /** SVG documents; `name` is a bare file name, referenced from the Markdown as `![…](name)`. */
  files: { name: string; content: string }[];
}

/** What the evaluation was run on, for the report's setup section. */
export interface EvaluateReportSetup {
  trace: { name: string; spanSec: number };
  peakRateEps: number;
  peakPercentile?: number;
  compression: number;
  failures: FailurePlan;
  latencyTargetMs: number;
  recoveryTargetS: number;
  latencyWindowSec: number;
  /** The interval the job starts with under the policies that change it, ms. */
  initialIntervalMs: number;
  /** Where the models of khaos and khaos+ came from, one sentence. */
  models: string;
  params: FluidParams;
  /** The stored calibration the parameters start from (`khaos sim calibrate`), when one was used. */
  calibration?: { id: string; version: number };
}

export const EVALUATE_REPORT_FILES = {
  input: 'input-rate.svg',
  pareto: 'pareto.svg',
  intervals: 'intervals.svg',
  recoveries: 'recoveries.svg',
  /** One latency plot per policy. */
  latency: (policy: string) => `latency-${policy.replace(/\+/g, '-plus').replace(/[^A-Za-z0-9]+/g, '-').replace(/-+$/, '')}.svg`,
} as const;

const SIMULATED = 'SIMULATED: fluid model of a checkpointed job (src/core/sim), not measured on Flink';

/** "12 h" or "3.5 d": the span of the simulated time. */
function span(sec: number): string {
  if (sec < 120) return `${num(sec, 1)} s`;
  if (sec < 2 * 3600) return `${num(sec / 60, 1)} min`;
  if (sec < 3 * 86_400) return `${num(sec / 3600, 1)} h`;
  return `${num(sec / 86_400, 1)} d`;
}

/** The time axis of the plots: hours up to three days, days beyond. */
function timeAxis(durationSec: number): { unit: string; perSec: number } {
  return durationSec <= 3 * 86_400 ? { unit: 'h', perSec: 1 / 3600 } : { unit: 'd', perSec: 1 / 86_400 };
}

/** A figure of the table: the median, with [p10–p90] beside it when there are several schedules. */
function figure(row: EvaluationRow, m: Metric, f: (v: number) => string): string {
  const v = row[m];
  if (v === null) return '—';
  const s: Spread | null | undefined = row.spread?.[m];
  return s ? `${f(v)} [${f(s.p10)}–${f(s.p90)}]` : f(v);
}

const isStatic = (name: string) => name.startsWith('static:');
const GREYS = ['#555', '#888', '#aaa', '#333', '#bbb', '#666'];
/** Colours of the policies in every plot: the palette for those that change the interval, greys for the statics (drawn dashed). */
export function policyColours(names: readonly string[]): string[] {
  let adaptive = 0;
  let fixed = 0;
  return names.map((n) => (isStatic(n) ? GREYS[fixed++ % GREYS.length]! : PALETTE[adaptive++ % PALETTE.length]!));
}

/** A static interval's series is dashed. */
export const staticDash = (name: string) => (isStatic(name) ? { dash: '6 4' } : {});

/** Builds the report. Deterministic for a given result and setup; never throws for a valid result. */
export function buildEvaluateReport(result: EvaluationResult, setup: EvaluateReportSetup): EvaluateReport {
  const N = result.durationSec;
  const rep = result.representative;
  const axis = timeAxis(N);
  const xLabel = `simulated time (${axis.unit})`;
  const failures0 = result.schedules[0] ?? [];
  const markers: VerticalMarker[] = failures0.map((f, k) => ({ x: f.atSec * axis.perSec, label: `F${k + 1}`, color: '#888' }));
  const files: EvaluateReport['files'] = [];
  const md: string[] = [];
  const several = setup.failures.schedules > 1;
  const p = setup.params;
  const colour = policyColours(rep.runs.map((r) => r.name));
  const timeline = simulatedTimeline(rep.runs, setup.recoveryTargetS);

  md.push('# Policy evaluation (SIMULATED)', '');
  md.push(`> **${SIMULATED}.** Every figure below comes from the simulator. \`lost\` and \`duplicated\` are not simulated (null in evaluate.json).`, '');
  md.push('## Setup', '');
  md.push(
    `- Trace: \`${setup.trace.name}\`, all of it: ${span(setup.trace.spanSec)} compressed ${setup.compression}× into ${span(N)} of simulated time (${N} s), ${traceScalingText(setup)}`,
    `- Failures: ${setup.failures.schedules} seeded schedule(s) (seed ${setup.failures.seed}) of ${setup.failures.perSchedule} ${setup.failures.type} failure(s) each, at least ${span(setup.failures.minSpacingSec)} apart and from either end; every policy runs once per schedule`,
    `- Figures: ${several ? 'the median over the schedules, with the 10th and 90th percentiles in brackets' : 'the one schedule'}; the plots show schedule 0`,
    `- Targets: p99 latency ${num(setup.latencyTargetMs, 0)} ms (a second violates it when the mean p99 over ${setup.latencyWindowSec} s exceeds it), recovery ${secs(setup.recoveryTargetS)}`,
    `- Policies that change the interval start at ${secs(setup.initialIntervalMs / 1000)}; models of khaos and khaos+: ${setup.models}`,
    `- Simulated job${setup.calibration ? ` (calibration ${setup.calibration.id}, version ${setup.calibration.version}, with evaluate.sim on top)` : ''}: capacity ${compactNumber(p.capacityEps)} events/s; checkpoints take ${secs(checkpointDurationMs(p, p.state.baseBytes) / 1000)} at the base state, costing ${num(p.checkpoint.capacityLoss * 100, 1)} % of capacity while in flight; failure downtime (${setup.failures.type}) ${secs(downtimeSec(p, setup.failures.type, p.state.baseBytes))}; restart reconfiguration outage ${secs(reconfigurationOutageSec(p, p.state.baseBytes))}`,
    '',
  );

  // 1. Input rate.
  files.push({
    name: EVALUATE_REPORT_FILES.input,
    content: svgPlot({
      title: `Input rate (SIMULATED run of ${setup.trace.name})`,
      xLabel,
      yLabel: 'events/s',
      series: [{ kind: 'line', y: rep.inputEps, dx: axis.perSec, color: PALETTE[0] }],
      hlines: [{ y: p.capacityEps, label: 'capacity', color: '#d62728' }],
      markers,
      notes: [`${SIMULATED}. The whole trace at compression ${setup.compression}, peak ${compactNumber(setup.peakRateEps)} events/s; F1… are the failures of schedule 0.`],
    }),
  });
  md.push('## Input rate', '', `![Input rate](${EVALUATE_REPORT_FILES.input})`, '');

  // 2. Intervals.
  files.push({
    name: EVALUATE_REPORT_FILES.intervals,
    content: svgPlot({
      title: 'Checkpoint interval chosen over time (SIMULATED, schedule 0)',
      xLabel,
      yLabel: 'interval (s)',
      series: timeline.runs.map((r, i) => {
        const pts = intervalSteps(r);
        return { kind: 'line', name: r.name, x: pts.map((p) => p[0] * axis.perSec), y: pts.map((p) => p[1]), color: colour[i], widthPx: 1.5, ...staticDash(r.name) };
      }),
      markers,
      legend: 'below',
      notes: [`${SIMULATED}. Dashed: static intervals. F1… are the failures of schedule 0.`],
    }),
  });
  md.push('## Checkpoint interval chosen over time', '', `![Interval per policy](${EVALUATE_REPORT_FILES.intervals})`, '');
  md.push(
    table(
      ['policy', 'changes (schedule 0)', 'intervals used'],
      timeline.runs.map((r, i) => {
        const used = [...new Set(r.intervals.map((v) => v.intervalMs))].sort((a, b) => a - b);
        return [r.name, String(rep.runs[i]!.changes.length), used.length <= 6 ? used.map((v) => secs(v / 1000)).join(', ') : `${used.length} intervals, ${secs(used[0]! / 1000)} to ${secs(used.at(-1)! / 1000)}`];
      }),
    ),
    '',
  );

  // 3. Latency, one plot per policy.
  md.push('## Latency against its target', '', `p99 latency of each simulated second under each policy (schedule 0), with the target of ${num(setup.latencyTargetMs, 0)} ms.`, '');
  rep.runs.forEach((r, i) => {
    const name = EVALUATE_REPORT_FILES.latency(r.name);
    // Failures send latency far above the target for a while; the axis shows the rest at a readable scale.
    const max = r.latencyMs.reduce((a, b) => Math.max(a, b), 0);
    const top = Math.min(max, 3 * setup.latencyTargetMs);
    const cut = max > top;
    const row = result.rows[i]!;
    files.push({
      name,
      content: svgPlot({
        title: `p99 latency under ${r.name} (SIMULATED, schedule 0)`,
        xLabel,
        yLabel: 'p99 latency (ms)',
        series: [{ kind: 'line', name: r.name, y: r.latencyMs, dx: axis.perSec, color: colour[i] }],
        hlines: [{ y: setup.latencyTargetMs, label: 'target', color: '#d62728' }],
        markers,
        yDomain: [0, Math.max(top * 1.04, setup.latencyTargetMs * 1.1)],
        notes: [`${SIMULATED}. Over target: ${pct(row.latencyViolationShare)} of seconds (median over the schedules).${cut ? ` The axis is cut at 3× the target; the highest second reached ${compactNumber(max)} ms.` : ''}`],
      }),
    });
    md.push(`### ${r.name}`, '', `![p99 latency under ${r.name}](${name})`, '');
  });

  // 4. Failures and recoveries.
  const nPol = rep.runs.length;
  const width = 0.8 / Math.max(1, nPol);
  const series: PlotSeries[] = rep.runs.map((r, i) => ({
    kind: 'bars',
    name: r.name,
    x: r.failures.map((_, k) => k + 1 - 0.4 + width * (i + 0.5)),
    y: r.failures.map((f) => f.recoverySec ?? N - f.atSec),
    widthX: width,
    color: colour[i],
  }));
  const unrecovered = rep.runs.flatMap((r) => r.failures.filter((f) => f.recoverySec === null).map(() => r.name));
  files.push({
    name: EVALUATE_REPORT_FILES.recoveries,
    content: svgPlot({
      title: 'Recovery time of each failure (SIMULATED, schedule 0)',
      xLabel: 'failure of schedule 0',
      yLabel: 'recovery (s)',
      series,
      hlines: [{ y: setup.recoveryTargetS, label: 'target', color: '#d62728' }],
      xTicks: failures0.map((f, k) => ({ x: k + 1, label: `F${k + 1} ${num(f.atSec * axis.perSec, 1)} ${axis.unit}` })),
      xDomain: [0.5, Math.max(1, failures0.length) + 0.5],
      legend: 'below',
      notes: [`${SIMULATED}. Injection → lag back to normal (the profiling detector).${unrecovered.length > 0 ? ` ${unrecovered.length} failure(s) had not recovered when the trace ended (${[...new Set(unrecovered)].join(', ')}): their bars stop at the end of the trace.` : ''}`],
    }),
  });
  md.push('## Failures and recoveries against the recovery target', '', `![Recovery time per failure and policy](${EVALUATE_REPORT_FILES.recoveries})`, '');
  md.push(
    table(
      ['failure', 'at', ...rep.runs.map((r) => r.name)],
      failures0.map((f, k) => [`F${k + 1}`, `${num(f.atSec * axis.perSec, 2)} ${axis.unit}`, ...rep.runs.map((r) => {
        const rec = r.failures[k]?.recoverySec;
        return rec === null || rec === undefined ? 'not recovered' : `${secs(rec)}${rec > setup.recoveryTargetS ? ' ✗' : ''}`;
      })]),
    ),
    '',
    `✗: over the recovery target of ${secs(setup.recoveryTargetS)}.`,
    '',
  );

  // 5. Violations table.
  md.push('## Violations', '');
  md.push(
    `${several ? `Median over ${setup.failures.schedules} schedules, [p10–p90] beside each figure. ` : ''}Latency violations: share of seconds whose own p99 is over the latency target (or with the job down); over ${setup.latencyWindowSec} s: share of seconds whose mean p99 over the last ${setup.latencyWindowSec} s is over it (the paper's metric at 300 s). Recovery violations: failures that recovered later than the target or not at all. Violation time: seconds over the latency target, of recoveries beyond their target, and of either, each second once (docs/evaluate.md). Checkpoint overhead: share of the time with a checkpoint in flight. SIMULATED.`,
    '',
  );
  const vs = (r: EvaluationRow, k: 'latency' | 'recovery' | 'total') => {
    const sp = r.spread?.violationSeconds[k];
    return sp ? `${num(r.violationSeconds[k], 1)} s [${num(sp.p10, 1)}–${num(sp.p90, 1)}]` : `${num(r.violationSeconds[k], 1)} s`;
  };
  md.push(
    table(
      ['policy', 'latency violations', `over ${setup.latencyWindowSec} s`, 'recovery violations', 'latency time', 'late-recovery time', 'violation time (total)', 'failures', 'mean recovery', 'max recovery', 'checkpoint overhead', 'reconfigurations', 'reconfiguration downtime'],
      result.rows.map((r) => [
        r.name,
        figure(r, 'latencyViolationShare', pct),
        figure(r, 'latencyWindowViolationShare', pct),
        figure(r, 'recoveryViolations', count),
        vs(r, 'latency'),
        vs(r, 'recovery'),
        vs(r, 'total'),
        figure(r, 'failures', count),
        figure(r, 'meanRecoveryS', secs),
        figure(r, 'maxRecoveryS', secs),
        figure(r, 'checkpointOverhead', pct),
        figure(r, 'reconfigurations', count),
        figure(r, 'reconfigurationDowntimeS', secs),
      ]),
    ),
    '',
  );

  // 6. The verdict and the Pareto plot.
  const v = verdictSection(result.rows, SIMULATED);
  files.push(v.file);
  md.push(...v.markdown);
  return { markdown: md.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n', files };
}

/** The report section "Does this scenario decide anything?" and its Pareto plot, for the simulated and the real report alike; `label` says SIMULATED or MEASURED. */
export function verdictSection(rows: readonly (VerdictRow & { checkpointOverhead: number })[], label: string): { markdown: string[]; file: { name: string; content: string } } {
  const verdict = judgeScenario(rows);
  return {
    markdown: [
      '## Does this scenario decide anything?',
      '',
      ...verdictLines(verdict, rows).map((l) => `- ${l}`),
      '',
      `![Pareto plot: latency violation share against recovery violations](${EVALUATE_REPORT_FILES.pareto})`,
      '',
    ],
    file: { name: EVALUATE_REPORT_FILES.pareto, content: paretoPlot(rows, verdict, label) },
  };
}

const pctText = (v: number) => `${num(v * 100, 2)} %`;

/**
 * The verdict in plain sentences, for the report, the real report and stderr: deciding or not
 * with its reason, then each policy against the statics (dominated or not, its total violation
 * time as a ratio to the best static's, goal ≤ 0.8) and against the oracle. When the scenario is
 * not deciding, that is said first and no figure is offered as a win.
 */
export function verdictLines(v: ScenarioVerdict, rows: readonly VerdictRow[]): string[] {
  const total = (name: string | null) => rows.find((r) => r.name === name)?.violationSeconds.total;
  const best = v.bestStatic;
  const oracle = rows.find((r) => r.name === ORACLE_NAME);
  const lines = [v.deciding ? `Scenario: DECIDING. ${v.reason.replace(/^deciding: /, '')}.` : `Scenario: NOT DECIDING. ${v.reason.replace(/^not deciding: /, '')}. No policy wins anything on it, whatever the figures below.`];
  if (best) lines.push(`Best static interval in hindsight (least total violation time): ${best}, ${num(total(best)!, 1)} s; Pareto frontier of the statics: ${v.staticFrontier.join(', ')}.`);
  if (oracle) lines.push(`Load oracle (SIMULATED, knows the coming load, not the failures): ${num(oracle.violationSeconds.total, 1)} s of violations.`);
  for (const p of v.policies) {
    const parts = [p.dominatedBy.length > 0 ? `dominated by ${p.dominatedBy.join(', ')}` : 'dominated by no static interval'];
    parts.push(`total violation time ${num(total(p.name)!, 1)} s${p.totalRatioToBestStatic === null ? '' : ` = ${num(p.totalRatioToBestStatic, 3)} × the best static's (goal ≤ 0.8: ${!v.deciding ? 'decides nothing here' : p.totalRatioToBestStatic <= 0.8 ? 'met' : 'not met'})`}`);
    if (oracle) parts.push(p.oracleGapClosed === null ? 'gap to the oracle: undefined (the oracle does no better than the best static)' : `closes ${pctText(p.oracleGapClosed)} of the gap from the best static to the oracle`);
    lines.push(`${p.name}: ${parts.join('; ')}${v.deciding ? '' : ' (not deciding)'}.`);
  }
  return lines;
}

/**
 * Each static interval and each policy at (latency violation share, recovery violations), the
 * mark's size and its legend giving the checkpoint overhead (share of time with a checkpoint in
 * flight); the Pareto frontier of the statics as a dashed line.
 */
export function paretoPlot(rows: readonly (VerdictRow & { checkpointOverhead: number })[], v: ScenarioVerdict, label: string): string {
  const maxOverhead = Math.max(1e-9, ...rows.map((r) => r.checkpointOverhead));
  let adaptive = 0;
  let fixed = 0;
  const points: PlotSeries[] = rows.map((r) => {
    const kind = isStaticName(r.name) ? 'static' : r.name === ORACLE_NAME ? 'oracle' : 'policy';
    const color = kind === 'static' ? GREYS[fixed++ % GREYS.length]! : kind === 'oracle' ? '#000' : PALETTE[adaptive++ % PALETTE.length]!;
    return {
      kind: 'points', name: `${r.name} (checkpointing ${pctText(r.checkpointOverhead)})`, x: [r.latencyViolationShare * 100], y: [r.recoveryViolations], color,
      radiusPx: 3 + 7 * (r.checkpointOverhead / maxOverhead), shape: kind === 'static' ? 'circle' : kind === 'oracle' ? 'square' : 'triangle',
    };
  });
  const frontier = rows.filter((r) => v.staticFrontier.includes(r.name)).sort((a, b) => a.latencyViolationShare - b.latencyViolationShare);
  const series: PlotSeries[] = [...(frontier.length > 1 ? [{ kind: 'line' as const, name: 'Pareto frontier of the statics', x: frontier.map((r) => r.latencyViolationShare * 100), y: frontier.map((r) => r.recoveryViolations), color: '#999', dash: '4 3' }] : []), ...points];
  const xs = rows.map((r) => r.latencyViolationShare * 100);
  const ys = rows.map((r) => r.recoveryViolations);
  const pad = (lo: number, hi: number): [number, number] => (hi > lo ? [Math.max(0, lo - 0.08 * (hi - lo)), hi + 0.08 * (hi - lo)] : [Math.max(0, lo - 1), hi + 1]);
  return svgPlot({
    title: `Latency against recovery violations, per policy (${label.startsWith('SIMULATED') ? 'SIMULATED' : 'MEASURED'})`,
    xLabel: 'latency violation share (% of seconds over the target)',
    yLabel: 'recovery violations',
    series,
    xDomain: pad(Math.min(...xs), Math.max(...xs)),
    yDomain: pad(Math.min(...ys), Math.max(...ys)),
    legend: 'below',
    heightPx: 560,
    notes: [`${label}. Circles: static intervals; triangles: policies; square: the load oracle. Mark size: checkpoint overhead (share of time with a checkpoint in flight). Lower left is better; a point is dominated when another is no worse on both axes and better on one.`],
  });
}
