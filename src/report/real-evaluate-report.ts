import type { RealEvaluationRow } from '../core/evaluation/real-qos.js';
import type { GapRow } from '../core/sim/real-gap.js';
import type { PlannedRun } from '../core/evaluation/real-plan.js';
import { figures, type PairedDifferences } from '../core/evaluation/real-repeats.js';
import type { RealRunRecord } from '../core/evaluation/real-run.js';
import { intervalSteps, measuredTimeline } from '../core/evaluation/timeline.js';
import { EVALUATE_REPORT_FILES, policyColours, staticDash, verdictSection, type EvaluateReport } from './evaluate-report.js';
import { num, pct, secs, table, traceScalingText } from './markdown.js';
import { compactNumber, PALETTE, svgPlot, type PlotSeries, type VerticalMarker } from './svg-plot.js';

/**
 * The report of a policy evaluation on the real stack (`khaos evaluate` without --sim): MEASURED
 * figures, with the simulator's prediction of the same runs beside them (the sim-vs-real gap).
 * Pure: the caller writes the files. Time axes are wall seconds since the replay started.
 */
export interface RealReportSetup {
  trace: string;
  peakRateEps: number;
  peakPercentile?: number;
  compression: number;
  startOffsetSec: number;
  durationSec: number;
  /** Wall s replayed before the scored window of each run (not scored, no kill). */
  warmupSec: number;
  repeats: number;
  orderSeed: number;
  planId: string;
  order: readonly PlannedRun[];
  mode: RealRunRecord['mode'];
  /** The kills of run k at index k − 1, s after the warm-up. */
  killsSec: number[][];
  latencyTargetMs: number;
  recoveryTargetS: number;
  latencyWindowSec: number;
  initialIntervalMs: number;
  fallbackIntervalMs: number;
  /** Where the models of khaos and khaos+ came from. */
  models: string;
  /** Where the simulator's parameters came from (config or calibration). */
  params: string;
  /** The command that produced the report. */
  command: string;
  wallSec: number;
  /** Where the replicas ran (default: the local stack's processes). */
  platform?: PlatformName;
}

/** Where the replicas ran: `name` in labels (“MEASURED on …”), `where` in the report's first sentence. */
export interface PlatformName {
  name: string;
  where: string;
}

/** The largest relative gap accepted between simulation and measurement (issue 8). */
export const GAP_TOLERANCE = 0.15;

const gapCell = (g: number | null) => (g === null ? '—' : `${num(g * 100, 0)} %${g > GAP_TOLERANCE ? ' ✗' : ''}`);
const orDash = (v: number | null, f: (x: number) => string) => (v === null ? '—' : f(v));

/** A figure of the repeats' tables, formatted by what its name says it is. */
function figureCell(figure: string, v: number): string {
  if (/Share$|Overhead$/.test(figure)) return pct(v);
  if (/(S|Sec|Seconds)$|^violationSeconds\./.test(figure)) return secs(v);
  return num(v, 2);
}

const signed = (figure: string, v: number) => `${v > 0 ? '+' : v < 0 ? '−' : '±'}${figureCell(figure, Math.abs(v))}`;

/** Per policy, the median of every figure over its runs with min–max; then the paired differences by run index. */
export interface RepeatsSection {
  summaries: readonly Record<string, unknown>[];
  paired: readonly PairedDifferences[];
}

function repeatsMarkdown(r: RepeatsSection, repeats: number): string[] {
  const md: string[] = [];
  const names = r.summaries.map((x) => String(x.name));
  const medians = new Map(figures(r.summaries.map(({ spread: _s, runs: _r, ...rest }) => rest)));
  const spreads = r.summaries.map((x) => new Map(figures([(x.spread ?? {}) as Record<string, unknown>])));
  const cell = (figure: string, i: number) => {
    const m = medians.get(figure)?.[i];
    if (m === undefined || m === null) return '—';
    const lo = spreads[i]!.get(`${figure}.min`)?.[0];
    const hi = spreads[i]!.get(`${figure}.max`)?.[0];
    return lo === undefined || lo === null || hi === undefined || hi === null ? figureCell(figure, m) : `${figureCell(figure, m)} (${figureCell(figure, lo)}–${figureCell(figure, hi)})`;
  };
  md.push('## Repeats: median and spread', '', `MEASURED: each figure's median over the runs of each policy (${repeats} planned), with its min–max in brackets. Lost and duplicated are totals over the runs.`, '');
  md.push(table(['figure', ...names], [...medians.keys()].map((f) => [f, ...names.map((_, i) => cell(f, i))])), '');
  if (r.paired.length > 0) {
    const ref = r.paired[0]!.reference;
    md.push('## Paired differences by run', '');
    md.push(`MEASURED: ${ref} minus each other policy, run k against run k (the same slice and kills), as the median difference with its min–max over the runs. ✓: the difference exceeds the run-to-run spread (|median difference| > the larger max − min of either policy's own runs); ✗: it does not, so noise could make it; ?: fewer than 2 paired runs.`, '');
    const allFigures = [...new Set(r.paired.flatMap((p) => p.figures.map((f) => f.figure)))];
    md.push(
      table(
        ['figure', ...r.paired.map((p) => `${ref} − ${p.other} (runs ${p.runs.join(', ')})`)],
        allFigures.map((figure) => [
          figure,
          ...r.paired.map((p) => {
            const f = p.figures.find((x) => x.figure === figure);
            if (!f || f.median === null) return '—';
            const verdict = f.exceedsSpread === null ? '?' : f.exceedsSpread ? '✓' : '✗';
            return `${signed(figure, f.median)} (${signed(figure, f.min!)}…${signed(figure, f.max!)}) ${verdict}`;
          }),
        ]),
      ),
      '',
    );
  }
  return md;
}

export function buildRealEvaluateReport(records: readonly RealRunRecord[], rows: readonly RealEvaluationRow[], gaps: readonly GapRow[], s: RealReportSetup, repeats?: RepeatsSection): EvaluateReport {
  const files: EvaluateReport['files'] = [];
  const md: string[] = [];
  // A run is its policy's when there is one run per policy, else "policy #k".
  const label = (r: RealRunRecord) => (s.repeats > 1 ? `${r.policy} #${r.run ?? 1}` : r.policy);
  const colour = policyColours(records.map((r) => r.policy));
  const rel = (r: RealRunRecord, tMs: number) => (tMs - r.replayStartMs) / 1000;
  const killMarkers = (run: number): VerticalMarker[] => [
    ...(s.warmupSec > 0 ? [{ x: s.warmupSec, label: 'scored from', color: '#bbb' }] : []),
    ...(s.killsSec[run - 1] ?? []).map((k, i) => ({ x: s.warmupSec + k, label: `F${i + 1}`, color: '#888' })),
  ];
  const sameKills = s.killsSec.every((k) => JSON.stringify(k) === JSON.stringify(s.killsSec[0]));
  const markers = sameKills ? killMarkers(1) : killMarkers(0);
  const xLabel = 'wall time since the replay started, warm-up included (s)';

  md.push('# Policy evaluation on the real stack (MEASURED)', '');
  md.push(`Every figure was measured on ${s.platform?.where ?? 'real Flink and Kafka processes of the local stack'}, except the columns marked SIMULATED in the last section. Command: \`${s.command}\` (${num(s.wallSec / 60, 1)} min of wall time).`, '');
  md.push('## Setup', '');
  const killText = (k: number[]) => k.map((x) => `+${num(x, 1)} s`).join(', ') || 'none';
  md.push(
    `- Trace \`${s.trace}\` from +${s.startOffsetSec} s, compressed ${s.compression}×: a warm-up of ${s.warmupSec} s (not scored, no kill: the JVMs start cold), then ${s.durationSec} s scored (${num(((s.warmupSec + s.durationSec) * s.compression) / 3600, 1)} h of trace in all), ${traceScalingText(s)}; the same events for every policy`,
    `- Runs: ${s.repeats} per policy (${s.planId}), made in a random order drawn with seed ${s.orderSeed}: ${s.order.map((u) => `${u.position}. ${u.policies.join(' + ')} #${u.run}`).join(', ')}`,
    `- Replicas: ${s.mode === 'sequential' ? 'one after another, each alone on the machine (sequential)' : 'side by side on one replayed input'}`,
    `- Failures: TaskManager kills (SIGKILL of the TaskManager running the sink), after the warm-up, ${sameKills ? `at ${killText(s.killsSec[0] ?? [])} in every run` : `per run k: ${s.killsSec.map((k, i) => `#${i + 1} ${killText(k)}`).join('; ')}, the same for run k of every policy`}; recovery is measured from the kill to lag back to normal, sustained (the profiling detector)`,
    `- Targets: p99 latency ${num(s.latencyTargetMs, 0)} ms (a sample violates it when the mean over ${s.latencyWindowSec} sample(s) exceeds it; a sample without a reading while the job is down or recovering counts as a violation), recovery ${secs(s.recoveryTargetS)}; judged from the end of the warm-up to the end of the drain`,
    `- Policies that change the interval start at ${secs(s.initialIntervalMs / 1000)}; under the paced actuator the job's own interval is the fallback ${secs(s.fallbackIntervalMs / 1000)}; models: ${s.models}`,
    '',
  );

  const first = records[0];
  if (first) {
    files.push({
      name: EVALUATE_REPORT_FILES.input,
      content: svgPlot({
        title: `Input rate replayed (${s.trace})`, xLabel, yLabel: 'events/s',
        series: [{ kind: 'line', y: first.scheduleEps, dx: 1, color: PALETTE[0] }], markers,
        notes: ['MEASURED: events produced in each second of the replay; F1… are the kills.'],
      }),
    });
    md.push('## Input rate', '', `![Input rate](${EVALUATE_REPORT_FILES.input})`, '');
  }

  files.push({
    name: EVALUATE_REPORT_FILES.intervals,
    content: svgPlot({
      title: 'Checkpoint interval in force over time', xLabel, yLabel: 'interval (s)', legend: 'below', markers,
      series: measuredTimeline(records, s.repeats, s.recoveryTargetS).runs.map((r, i) => {
        const pts = intervalSteps(r);
        return { kind: 'line', name: r.name, x: pts.map((p) => p[0]), y: pts.map((p) => p[1]), color: colour[i], widthPx: 1.5, ...staticDash(r.policy) };
      }),
      notes: ['MEASURED (the interval each run applied). Dashed: static intervals.'],
    }),
  });
  md.push('## Checkpoint interval over time', '', `![Interval per policy](${EVALUATE_REPORT_FILES.intervals})`, '');
  md.push(table(['run', 'changes', 'intervals used'], records.map((r) => [label(r), String(r.changes.length), [...new Set(r.intervals.map((v) => v.intervalMs))].map((v) => secs(v / 1000)).join(', ')])), '');

  md.push('## Latency against its target', '', `p99 latency of the job at each sample, observed as the control run reads it (job.latency: the sample jobs' gauge, or an own job's committed output), with the target of ${num(s.latencyTargetMs, 0)} ms.`, '');
  records.forEach((r, i) => {
    const name = EVALUATE_REPORT_FILES.latency(label(r));
    const pts = r.samples.filter((x) => x.latencyP99Ms !== undefined && x.tMs >= r.replayStartMs);
    const max = pts.reduce((a, x) => Math.max(a, x.latencyP99Ms!), 0);
    const top = Math.max(Math.min(max, 3 * s.latencyTargetMs), s.latencyTargetMs) * 1.1;
    files.push({
      name,
      content: svgPlot({
        title: `p99 latency under ${label(r)} (MEASURED)`, xLabel, yLabel: 'p99 latency (ms)', markers: killMarkers(r.run ?? 1), yDomain: [0, top],
        series: [{ kind: 'points', name: label(r), x: pts.map((x) => rel(r, x.tMs)), y: pts.map((x) => Math.min(x.latencyP99Ms!, top)), color: colour[i], radiusPx: 1.5 }],
        hlines: [{ y: s.latencyTargetMs, label: 'target', color: '#d62728' }],
        notes: [`MEASURED. Over target: ${pct(rows[i]!.latencyViolationShare)} of the scored samples.${max > top ? ` Points above the axis are drawn at its top; the highest reached ${compactNumber(max)} ms.` : ''}`],
      }),
    });
    md.push(`### ${label(r)}`, '', `![p99 latency under ${label(r)}](${name})`, '');
  });

  const nF = Math.max(0, ...records.map((r) => r.failures.length));
  const width = 0.8 / Math.max(1, records.length);
  const bars: PlotSeries[] = records.map((r, i) => ({
    kind: 'bars', name: label(r), widthX: width, color: colour[i],
    x: r.failures.map((_, k) => k + 1 - 0.4 + width * (i + 0.5)),
    y: r.failures.map((f) => f.recoverySec ?? Number.NaN),
  }));
  files.push({
    name: EVALUATE_REPORT_FILES.recoveries,
    content: svgPlot({
      title: 'Recovery time of each kill (MEASURED)', xLabel: 'kill', yLabel: 'recovery (s)', series: bars, legend: 'below',
      hlines: [{ y: s.recoveryTargetS, label: 'target', color: '#d62728' }],
      xTicks: Array.from({ length: nF }, (_, k) => ({ x: k + 1, label: `F${k + 1}` })), xDomain: [0.5, Math.max(1, nF) + 0.5],
      notes: ['MEASURED: kill → lag back to normal, sustained. A kill with no bar did not recover within the run.'],
    }),
  });
  md.push('## Failures and recoveries against the recovery target', '', `![Recovery per kill and policy](${EVALUATE_REPORT_FILES.recoveries})`, '');
  md.push(
    table(
      ['run', ...Array.from({ length: nF }, (_, k) => `F${k + 1}`)],
      records.map((r) => [label(r), ...Array.from({ length: nF }, (_, k) => {
        const f = r.failures[k];
        if (!f) return '—';
        if (f.recoverySec === null) return 'not recovered ✗';
        return `${secs(f.recoverySec)}${f.recoverySec > s.recoveryTargetS ? ' ✗' : ''} (detect ${orDash(f.detectionSec, secs)}, restart ${orDash(f.restartSec, secs)}, catch-up ${orDash(f.catchupSec, secs)})`;
      })]),
    ),
    '',
    `✗: over the recovery target of ${secs(s.recoveryTargetS)}.`,
    '',
  );

  if (repeats) md.push(...repeatsMarkdown(repeats, s.repeats));

  md.push('## Violations', '', 'MEASURED, each run on its own (its scored window). Checkpoint overhead: share of the time with a checkpoint in flight (Flink’s checkpoint history). Lost and duplicated: events missing from, or counted twice in, the committed output (exactly-once: both 0).', '');
  md.push(
    table(
      ['run', 'latency violations', 'recovery violations', 'failures', 'mean recovery', 'max recovery', 'checkpoint overhead', 'reconfigurations', 'reconfiguration downtime', 'lost', 'duplicated'],
      rows.map((r, i) => [label(records[i]!), pct(r.latencyViolationShare), String(r.recoveryViolations), String(r.failures), orDash(r.meanRecoveryS, secs), orDash(r.maxRecoveryS, secs), pct(r.checkpointOverhead), String(r.reconfigurations), secs(r.reconfigurationDowntimeS), r.lost === null ? 'not checked' : String(r.lost), r.duplicated === null ? 'not checked' : String(r.duplicated)]),
    ),
    '',
  );
  // With repeats, each policy is judged by its medians over its runs, as in evaluate.json.
  const verdict = verdictSection(repeats ? (repeats.summaries as unknown as RealEvaluationRow[]) : rows, `MEASURED on ${s.platform?.name ?? 'the local stack'}`);
  files.push(verdict.file);
  md.push(...verdict.markdown);

  md.push('## Simulation against measurement', '');
  md.push(`The same runs replayed in the simulator, each from the end of its warm-up, and taken per policy over its runs (median recovery over all its kills, median of its runs' latency-violation shares) (SIMULATED: the input of each replayed second, the same kills at the same seconds, the same policy, actuator and models; parameters: ${s.params}). Gap: |simulated − measured| / measured; ✗ above ${pct(GAP_TOLERANCE)}.`, '');
  md.push(
    table(
      ['policy', 'median recovery, measured', 'SIMULATED', 'gap', 'latency violations, measured', 'SIMULATED', 'gap'],
      gaps.map((g) => [g.name, orDash(g.realMedianRecoveryS, secs), orDash(g.simMedianRecoveryS, secs), gapCell(g.recoveryGap), pct(g.realLatencyShare), pct(g.simLatencyShare), gapCell(g.latencyShareGap)]),
    ),
    '',
  );
  return { markdown: md.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n', files };
}
