import { FAILURE_TYPE_REGISTRY, type FailureType } from '../core/failure-types.js';
import { fitAndChoose, LATENCY_NOT_FITTED, type ModelFitting } from '../core/models/variants.js';
import { identityText } from '../core/job-identity.js';
import { PREDICTION_CEILING, predictInterval, type FittedModel, type ModelKind } from '../core/models/regression.js';
import { profileSummary } from '../core/profiling/profile-plan.js';
import { recoveredSamples, type FailureMeasurement, type ProfileRecord, type StepRecord } from '../core/profiling/profile-records.js';
import type { FailureSample } from '../core/profiling/samples.js';
import { formatDurationMs, plural, table } from './markdown.js';
import { latencyVsThroughput, PHASES, phasePlot, recoveryVsThroughput, residualPlot, throughputRange, type PlacedMeasurement } from './profile-plots.js';
import { PALETTE, svgPlot } from './svg-plot.js';
import { median, quantileSorted as quantile } from '../core/stats.js';
import { failureSeries } from './failure-series.js';

/**
 * The report of a chaos profile: Markdown plus the SVG plots it links by relative file name.
 * Pure: the caller writes the files (src/cli/profile-report.ts).
 */
export interface ProfileReport {
  markdown: string;
  /** SVG documents; `name` is a bare file name, referenced from the Markdown as `![…](name)`. */
  files: { name: string; content: string }[];
}

export interface ProfileReportOptions {
  /** Seed of the cross-validation shuffle (used above 30 recovered failures); same seed, same report. */
  seed: number;
  /** The profile's stored steps: their wall time gives failures per hour (left out without them). */
  steps?: readonly StepRecord[];
}

/** Names of the plot files, as linked from the Markdown. */
export const REPORT_FILES = {
  recovery: 'recovery-vs-throughput.svg',
  latency: 'latency-vs-throughput.svg',
  residuals: 'recovery-residuals.svg',
  phases: 'recovery-phases.svg',
} as const;


/** The sentence the report gives when there are too few recovered failures to fit any model. */
export const CANNOT_FIT_YET = 'The models cannot be fitted yet';

// ---------------------------------------------------------------------------------------------
// Formatting and small statistics


/** "kill", "freeze for 20 s", "task exception (marker record)". */
function failureText(failure: FailureType, durationMs: number): string {
  const type = FAILURE_TYPE_REGISTRY[failure];
  return `${type.title}${type.hasDuration ? ` for ${formatDurationMs(durationMs)}` : ''}${type.strikes === 'job-input' ? ' (marker record)' : ''}`;
}

const sec = (v: number | null | undefined, digits = 1) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));
const ms0 = (v: number | undefined) => (v === undefined || !Number.isFinite(v) ? '—' : String(Math.round(v)));
const eps = (v: number | null) => (v !== null && Number.isFinite(v) ? String(Math.round(v)) : '—');
const sig = (v: number) => (Number.isFinite(v) ? String(Number(v.toPrecision(4))) : '—');
/** A fraction as a percentage; above 1000 % the figure only says that some held-out failure was predicted far off (often saturated). */
const pct = (v: number) => (!Number.isFinite(v) ? '— (could not be cross-validated)' : v > 10 ? '> 1000 %' : `${(v * 100).toFixed(1)} %`);

/** Sorts table rows: point, repetition, interval. */
const byPlanOrder = (a: FailureMeasurement, b: FailureMeasurement) => a.pointIndex - b.pointIndex || a.repetition - b.repetition || a.ciMs - b.ciMs;

// ---------------------------------------------------------------------------------------------
// Models

/** The chosen model of a kind and the one drawn dashed beside it (the linear baseline, or the first physical variant when a linear one was chosen). */
function drawnModels(f: ModelFitting, kind: ModelKind): { chosen?: FittedModel; other?: FittedModel } {
  if (!f.ok) return {};
  const chosen = f.chosen[kind];
  if (!chosen) return {};
  return { chosen, other: f.fitted[kind].find((m) => m.name !== chosen.name) };
}

// ---------------------------------------------------------------------------------------------
// The report

/**
 * Builds the report of one profile from its record and its measurements (those of other profiles
 * are left out and counted). Never throws for too little or unusable data: sections that cannot
 * be computed say why. Deterministic for a given record, measurements and seed.
 */
/**
 * What a profile's models are fitted on and what came of it: its own measurements in plan order,
 * the recovered samples, the timeouts that can be placed, the intervals and the fitting. The
 * report and the dashboard's Models page both read a profile through this (nothing fitted twice
 * differently).
 */
export function profileModelData(record: ProfileRecord, measurements: readonly FailureMeasurement[], seed: number) {
  const mine = measurements.filter((m) => m.profileId === record.id).sort(byPlanOrder);
  const samples = recoveredSamples(mine, record.plan.aggregate);
  // Timeouts without a measured pre-failure throughput cannot be placed on a plot; the table still lists them.
  const timeouts = mine.filter((m): m is PlacedMeasurement => m.outcome === 'timeout' && m.throughputEps !== null && m.latencyMs !== null);
  const intervals = [...new Set([...record.plan.intervalsMs, ...mine.map((m) => m.ciMs)])].sort((a, b) => a - b);
  const fitted = fitAndChoose(samples, seed);
  const fitting: ModelFitting = fitted.ok ? fitted : { ok: false, reason: `${CANNOT_FIT_YET}: ${fitted.reason}` };
  return { mine, samples, timeouts, intervals, fitting };
}

export function buildProfileReport(record: ProfileRecord, measurements: FailureMeasurement[], opts: ProfileReportOptions): ProfileReport {
  const plan = record.plan;
  const { mine, samples, timeouts, intervals, fitting } = profileModelData(record, measurements, opts.seed);
  const foreign = measurements.length - mine.length;
  const unusable = plan.aggregate === 'median' ? 0 : mine.length - samples.length - timeouts.length;
  const summary = opts.steps ? profileSummary(plan, opts.steps, mine) : undefined;
  const colorOf = (ci: number) => PALETTE[intervals.indexOf(ci) % PALETTE.length]!;
  const files: ProfileReport['files'] = [];
  const md: string[] = [];

  // Header, plan and provenance.
  const compression = plan.replay.compression;
  const provenanceCompression = record.provenance.timeScaling.compression;
  md.push(`# Chaos profile ${record.id}`, '');
  md.push(
    `- Job: ${plan.jobIdentity ? identityText(plan.jobIdentity) : plan.job}`,
    ...(plan.latencySource === 'none' ? ['- Latency: not measured (job.latency none), so no latency model is fitted'] : []),
    `- Created: ${Number.isFinite(record.createdAtMs) ? new Date(record.createdAtMs).toISOString() : 'unknown'}`,
    `- Status: ${record.status}`,
    `- Failures measured: ${mine.length} (${plan.aggregate === 'median' ? `${plural(samples.length, 'median sample')} of ${plan.repetitions}` : `${samples.length} recovered`}, ${timeouts.length} timed out${unusable > 0 ? `, ${unusable} recovered without a recovery time` : ''})${foreign > 0 ? `; ${plural(foreign, 'measurement')} of other profiles left out` : ''}`,
    ...(summary?.failuresPerHour ? [`- Wall time of the steps: ${formatDurationMs(Math.round(summary.wallSec * 1000))}: ${summary.failuresPerHour.toFixed(0)} failures per hour (replica start-up before the first step not counted)`] : []),
    '',
  );
  md.push('## Plan', '');
  md.push(
    `- Checkpoint intervals: ${plan.intervalsMs.map(formatDurationMs).join(', ')} (one replica per interval; Flink parallelism ${plan.parallelism})${plan.actuator === 'paced' ? `, paced: Khaos triggered the checkpoints, Flink's own interval ${formatDurationMs(plan.fallbackIntervalMs ?? 0)}` : ''}`,
    `- Injection: ${INJECTION_TEXT[plan.injection ?? 'side-by-side']}`,
    `- Repetitions per point: ${plan.repetitions}${plan.aggregate === 'median' ? ' (median-of-k: one sample per point and interval, the median recovery)' : ''}`,
    ...(plan.capacity ? [`- Load levels placed from a capacity probe: sustainable ${eps(plan.capacity.sustainableEps)} events/s per replica with ${plan.capacity.replicas ?? 1} running side by side (rates tried: ${plan.capacity.steps.map((x) => `${x.rateEps}${x.sustained ? '' : '✗'}`).join(', ')}), levels ${plan.capacity.loadRange.map((f) => `${Math.round(f * 100)} %`).join('–')} of it`] : []),
    `- Failure: ${failureText(plan.failure, plan.freezeMs)}; timing: ${timingText(plan.timing, plan.leadMs)}`,
    `- Replay: trace \`${plan.replay.trace}\`, peak rate ${eps(plan.replay.peakRateEps)} events/s, time compression ${compression} (${compression} trace seconds per wall second); ${plan.replay.beforeSec} s before each injection, at most ${plan.replay.afterSec} s after`,
    `- Recovery ends after ${plan.sustainSec} s of sustained normal throughput and lag; a failure not recovered within ${formatDurationMs(plan.recoveryTimeoutMs)} is a timeout`,
    `- Seed: ${plan.seed}`,
    '',
  );
  md.push(
    `**All times in this report are wall time on a time-scaled local setup**: the trace was replayed with time compression ${compression}${
      compression === 1 ? ' (at its own pace)' : ` (${compression}× faster than recorded)`
    }, at a peak of ${eps(plan.replay.peakRateEps)} events/s, on local Flink processes. They are not the durations the job would see in production.${
      provenanceCompression !== compression ? ` Note: the provenance records a compression of ${provenanceCompression}, the plan ${compression}.` : ''
    }`,
    '',
  );
  md.push(
    'Injection points (trace offset: seconds from the first sample of the trace):',
    '',
    table(
      ['point', 'level', 'trace rate', 'trace offset (s)', 'probed rate (ev/s)'],
      plan.points.map((p) => [String(p.index), sig(p.level), sig(p.rate), String(p.traceOffsetSec), p.rateEps === undefined ? '—' : eps(p.rateEps)]),
    ),
    '',
  );
  md.push('## Provenance', '');
  md.push(
    `- Flink version: ${record.provenance.flinkVersion}`,
    `- Job jar sha256: ${record.provenance.jobJarSha256.slice(0, 12)}`,
    `- Clock: ${record.provenance.clock}`,
    '',
  );

  // Every failure.
  md.push('## Failures', '');
  if (mine.length === 0) md.push('No failure has been measured yet.', '');
  else {
    md.push(
      'Throughput and p99 latency are means over the pre-failure window; lead is the time from the injection to the replica\'s next-due checkpoint, planned / actual.',
      '',
      table(
        ['point', 'rep', 'interval', 'throughput (ev/s)', 'p99 latency (ms)', 'detection (s)', 'restart (s)', 'catch-up (s)', 'recovery (s)', 'outcome', 'lead planned / actual (ms)'],
        mine.map((m) => [
          String(m.pointIndex),
          String(m.repetition),
          formatDurationMs(m.ciMs),
          eps(m.throughputEps),
          sec(m.latencyMs),
          sec(m.detectionSec),
          sec(m.restartSec),
          sec(m.catchupSec),
          m.outcome === 'timeout' ? `> ${sec(plan.recoveryTimeoutMs / 1000, 0)}` : sec(m.recoverySec),
          m.outcome,
          `${ms0(m.plannedLeadMs)} / ${ms0(m.actualLeadMs)}`,
        ]),
      ),
      '',
    );
  }

  // Plots.
  const tRange = throughputRange(mine);
  const recoveryPlot = recoveryVsThroughput(plan.recoveryTimeoutMs, { all: mine, samples, timeouts, intervals, colorOf, range: tRange, models: drawnModels(fitting, 'recovery') });
  files.push({ name: REPORT_FILES.recovery, content: recoveryPlot.svg });
  md.push('## Recovery time versus throughput', '', `![Recovery time versus throughput, per checkpoint interval](${REPORT_FILES.recovery})`, '', ...recoveryPlot.notes.map((n) => `- ${n}`), '');

  const latencyPlot = latencyVsThroughput({ all: mine, samples, timeouts, intervals, colorOf, range: tRange, models: drawnModels(fitting, 'latency') });
  files.push({ name: REPORT_FILES.latency, content: latencyPlot.svg });
  md.push('## p99 latency versus throughput', '', `![p99 latency versus throughput, per checkpoint interval](${REPORT_FILES.latency})`, '', ...latencyPlot.notes.map((n) => `- ${n}`), '');

  md.push('## Residuals of the recovery model', '');
  const chosenRecovery = fitting.ok ? fitting.chosen.recovery : undefined;
  if (chosenRecovery) {
    const svg = residualPlot(samples, intervals, colorOf, chosenRecovery);
    files.push({ name: REPORT_FILES.residuals, content: svg });
    const res = samples.map((s) => s.recoverySec - chosenRecovery.predict(s.throughputEps, s.ciMs));
    const sorted = res.map(Math.abs).sort((a, b) => a - b);
    md.push(
      `![Residuals of the ${chosenRecovery.variant} recovery model](${REPORT_FILES.residuals})`,
      '',
      `Observed − predicted recovery of the chosen (${chosenRecovery.variant}) model, in-sample: median |residual| ${sec(quantile(sorted, 0.5))} s, largest ${sec(sorted[sorted.length - 1])} s. A pattern against throughput or interval means the model misses a trend.`,
      '',
    );
  } else md.push(fitting.ok ? 'No recovery model could be cross-validated, so there are no residuals to plot.' : `No residuals. ${fitting.reason}`, '');

  const phases = phasePlot(mine, intervals, plan.recoveryTimeoutMs);
  md.push('## Recovery phases', '');
  if (phases) {
    files.push({ name: REPORT_FILES.phases, content: phases.svg });
    md.push(`![Recovery phases per failure, grouped by interval](${REPORT_FILES.phases})`, '', ...phases.notes.map((n) => `- ${n}`), '');
    md.push(phaseSummary(mine, intervals), '');
  } else md.push('No failure has measured phases (detection, restart, catch-up) yet.', '');

  md.push(...timeoutSection(mine, plan.recoveryTimeoutMs, files));

  // Models.
  md.push('## Models', '', ...modelSection(fitting, samples, intervals, tRange), '');

  // How recovery grows.
  md.push('## How recovery grows', '', ...growthSection(samples, timeouts, intervals), '');

  // Failure timing.
  md.push('## Failure timing', '', ...timingSection(mine, plan.timing), '');

  return { markdown: md.join('\n').replace(/\n{3,}/g, '\n\n').trimEnd() + '\n', files };
}

const INJECTION_TEXT = {
  'side-by-side': 'side by side (every replica broken at once in each step)',
  staggered: 'staggered (in each step the replicas are broken one after another on the same replay, each once the previous one recovered or timed out)',
  'one-at-a-time': 'one at a time (each replica alone on the machine, with its own replay)',
} as const;

function timingText(timing: ProfileRecord['plan']['timing'], leadMs: number): string {
  if (timing === 'before-checkpoint') return `before a checkpoint (the worst case): ${formatDurationMs(leadMs)} before the replica's next checkpoint is due`;
  if (timing === 'after-checkpoint') return `just after a checkpoint: ${formatDurationMs(leadMs)} after the replica's checkpoint was triggered`;
  return 'random, uniform over the checkpoint interval';
}

/** Median of each phase per interval, over recovered failures: where recovery time goes. */
function phaseSummary(all: readonly FailureMeasurement[], intervals: readonly number[]): string {
  const rows = intervals.flatMap((ci) => {
    const at = all.filter((m) => m.ciMs === ci && m.outcome === 'recovered');
    if (at.length === 0) return [];
    const med = (k: (typeof PHASES)[number]['key']) => {
      const v = at.map((m) => m[k]).filter((x): x is number => x !== undefined && Number.isFinite(x));
      return v.length > 0 ? sec(median(v)) : '—';
    };
    return [[formatDurationMs(ci), String(at.length), med('detectionSec'), med('restartSec'), med('catchupSec')]];
  });
  return rows.length === 0 ? '' : `Median phase durations of the recovered failures:\n\n${table(['interval', 'recovered', 'detection (s)', 'restart (s)', 'catch-up (s)'], rows)}`;
}

function coefficientText(c: Record<string, number>): string {
  return Object.entries(c)
    .map(([k, v]) => `${k} ${sig(v)}`)
    .join(', ');
}

function modelSection(f: ModelFitting, samples: readonly FailureSample[], intervals: readonly number[], range: [number, number] | undefined): string[] {
  if (!f.ok) return [f.reason, '', 'Timeouts are never fitted; profile more injection points or intervals, then build the report again.'];
  const method = f.fitted.recovery[0]?.cv.method ?? 'leave-one-out';
  const out = [
    `Fitted on the ${f.n} recovered failures (timeouts are not fitted), cross-validated ${method}; the same figures as \`khaos models compare\` on this profile's exported samples. The model with the lowest cross-validated MAPE is chosen per kind (the linear baseline wins ties); the candidates are the variants of src/core/models/variants.ts.`,
    '',
    table(
      ['model', 'kind', 'CV MAPE', 'CV 1 − MAPE', 'R² (in-sample)', 'coefficients'],
      (['recovery', 'latency'] as const).flatMap((kind) =>
        f.fitted[kind].map((m) => [
          m.variant + (f.chosen[kind] === m ? ' (chosen)' : ''),
          kind,
          pct(m.cv.cvMape),
          !Number.isFinite(m.cv.cvMape) ? '—' : m.cv.cvMape > 1 ? '< 0' : `${((1 - m.cv.cvMape) * 100).toFixed(1)} %`,
          sig(m.fit.r2),
          coefficientText(m.coefficients),
        ]),
      ),
    ),
    '',
    `Chosen recovery model: ${f.chosen.recovery?.variant ?? 'none (no recovery model could be cross-validated)'}. Chosen latency model: ${f.chosen.latency?.variant ?? (f.fitted.latency.length === 0 ? `none: ${LATENCY_NOT_FITTED}` : 'none (no latency model could be cross-validated)')}.`,
    '',
    'Units: throughput events/s, interval (ci) ms, recovery s, latency ms; capacityEps is the throughput the job sustains when catching up, downtimeSec detection + restart, phi the fraction of an interval replayed.',
  ];
  const rec = f.chosen.recovery;
  if (rec && range) {
    const ts = [range[0], (range[0] + range[1]) / 2, range[1]];
    out.push(
      '',
      `Predicted recovery of the chosen model with its 80 % prediction interval (from the cross-validated residuals), s:`,
      '',
      table(
        ['interval', ...ts.map((t) => `${eps(t)} ev/s`)],
        intervals.map((ci) => [
          formatDurationMs(ci),
          ...ts.map((t) => {
            const p = predictInterval(rec, t, ci, 0.8);
            return p.mid >= PREDICTION_CEILING.recovery ? 'saturated' : `${sec(p.mid)} [${sec(p.low)}, ${sec(p.high)}]`;
          }),
        ]),
      ),
    );
  }
  if (samples.length < 10) out.push('', `With only ${samples.length} recovered failures these figures are rough; the product aims at under 100 failures per model.`);
  return out;
}

/**
 * Splits samples sorted by throughput into three groups by rank; equal throughputs stay in one
 * group (the group of the first of them), so a group may be empty when few throughputs differ.
 */
function terciles(sorted: readonly FailureSample[]): FailureSample[][] {
  const n = sorted.length;
  const groups: FailureSample[][] = [[], [], []];
  let first = 0;
  sorted.forEach((s, i) => {
    if (i > 0 && s.throughputEps !== sorted[i - 1]!.throughputEps) first = i;
    groups[Math.min(2, Math.floor((3 * first) / n))]!.push(s);
  });
  return groups;
}

function growthWord(values: readonly number[]): 'grows' | 'falls' | 'does not change steadily' {
  const up = values.every((v, i) => i === 0 || v >= values[i - 1]!);
  const down = values.every((v, i) => i === 0 || v <= values[i - 1]!);
  if (up && values[values.length - 1]! > values[0]!) return 'grows';
  if (down && values[values.length - 1]! < values[0]!) return 'falls';
  return 'does not change steadily';
}

const ratio = (a: number, b: number) => (a > 0 ? `×${(b / a).toFixed(1)}` : 'n/a');

function growthSection(samples: readonly FailureSample[], timeouts: readonly FailureMeasurement[], intervals: readonly number[]): string[] {
  if (samples.length === 0) return ['No failure has recovered yet, so there is nothing to say about how recovery grows.'];
  const out: string[] = [];
  const perCi = intervals.map((ci) => ({ ci, rs: samples.filter((s) => s.ciMs === ci).map((s) => s.recoverySec), to: timeouts.filter((m) => m.ciMs === ci).length })).filter((g) => g.rs.length > 0 || g.to > 0);
  const withData = perCi.filter((g) => g.rs.length > 0);
  const ciText = perCi.map((g) => `${formatDurationMs(g.ci)}: ${g.rs.length > 0 ? `${sec(median(g.rs))} s` : 'no recovery'}${g.to > 0 ? ` (and ${plural(g.to, 'timeout')})` : ''}`).join('; ');
  if (withData.length >= 2) {
    const meds = withData.map((g) => median(g.rs));
    const word = growthWord(meds);
    out.push(
      `**With the interval.** Median recovery per checkpoint interval — ${ciText}. From the shortest to the longest interval it ${word}${word === 'does not change steadily' ? '' : ` (${ratio(meds[0]!, meds[meds.length - 1]!)})`}.`,
    );
  } else out.push(`**With the interval.** Median recovery — ${ciText}. Recovered failures at two or more intervals are needed to compare them.`);

  const sorted = [...samples].sort((a, b) => a.throughputEps - b.throughputEps);
  const thirds = terciles(sorted);
  if (thirds.every((g) => g.length >= 2)) {
    const names = ['lowest', 'middle', 'highest'];
    const meds = thirds.map((g) => median(g.map((s) => s.recoverySec)));
    const word = growthWord(meds);
    const bounds = thirds.map((g) => `${eps(g[0]!.throughputEps)}–${eps(g[g.length - 1]!.throughputEps)} ev/s`);
    out.push(
      '',
      `**With throughput.** Splitting the recovered failures into thirds by pre-failure throughput, median recovery is ${thirds
        .map((_, k) => `${sec(meds[k]!)} s in the ${names[k]} third (${bounds[k]})`)
        .join(', ')}: from the lowest to the highest third it ${word}${word === 'does not change steadily' ? '' : ` (${ratio(meds[0]!, meds[2]!)})`}.`,
    );
    const cells = (ci: number) =>
      thirds.map((g) => {
        const rs = g.filter((s) => s.ciMs === ci).map((s) => s.recoverySec);
        return rs.length > 0 ? `${sec(median(rs))} (${rs.length})` : '—';
      });
    out.push(
      '',
      'Median recovery (s) by interval and throughput third (number of failures in brackets):',
      '',
      table(['interval', ...names.map((nm, k) => `${nm} third (${bounds[k]})`)], withData.map((g) => [formatDurationMs(g.ci), ...cells(g.ci)])),
    );
  } else out.push('', '**With throughput.** Splitting by throughput needs at least 6 recovered failures spread over distinct throughputs (2 or more in each third); there are too few, so profile more load levels.');
  if (timeouts.length > 0) {
    out.push('', `${plural(timeouts.length, 'failure')} did not recover at all; they are left out of these medians, which therefore understate recovery where they occurred (at ${eps(Math.min(...timeouts.map((m) => m.throughputEps ?? Infinity)))} ev/s and above).`);
  }
  return out;
}

function timingSection(all: readonly FailureMeasurement[], timing: ProfileRecord['plan']['timing']): string[] {
  const diffs = all.flatMap((m) => (m.plannedLeadMs !== undefined && m.actualLeadMs !== undefined && Number.isFinite(m.plannedLeadMs) && Number.isFinite(m.actualLeadMs) ? [m.actualLeadMs - m.plannedLeadMs] : [])).sort((a, b) => a - b);
  const sources = { 'flink-schedule': "Flink's periodic schedule (predicted from its last trigger)", 'khaos-trigger': 'a checkpoint Khaos triggered (paced: exact)', none: 'no checkpoint (random timing, or none seen yet)' } as const;
  const counted = Object.entries(sources).flatMap(([k, text]) => {
    const n = all.filter((m) => m.timingSource === k).length;
    return n > 0 ? [`${n} against ${text}`] : [];
  });
  const intro = `Lead: time from the injection to the replica's next-due checkpoint (timing: ${timing}).${counted.length ? ` Timed: ${counted.join('; ')}.` : ''}`;
  if (diffs.length === 0) return [intro, '', 'No failure records both a planned and an actual lead, so the timing cannot be checked.'];
  const abs = diffs.map(Math.abs).sort((a, b) => a - b);
  return [
    intro,
    '',
    `Actual − planned lead over ${plural(diffs.length, 'failure')}, ms: min ${ms0(diffs[0])}, median ${ms0(quantile(diffs, 0.5))}, p90 ${ms0(quantile(diffs, 0.9))}, max ${ms0(diffs[diffs.length - 1])} (p90 of the absolute difference: ${ms0(quantile(abs, 0.9))}). A positive difference means the failure landed earlier than planned, with more of the interval still to run before the checkpoint.`,
  ];
}

/** Timeouts drawn (the first ones, in order of injection), so a report with many stays readable. */
const MAX_TIMEOUT_PLOTS = 12;

/**
 * What each timed-out replica did: its lag and throughput from its baseline to its time-out. A
 * timeout is either a job that did not come back or one that came back slower than its input:
 * these series tell which.
 */
function timeoutSection(all: readonly FailureMeasurement[], recoveryTimeoutMs: number, files: { name: string; content: string }[]): string[] {
  const timeouts = all.filter((m) => m.outcome !== 'recovered').sort((a, b) => a.injectedAtMs - b.injectedAtMs);
  if (timeouts.length === 0) return [];
  const unmeasured = timeouts.filter((m) => m.outcome === 'unmeasured').length;
  const md = [
    '## Timeouts',
    '',
    `${plural(timeouts.length, 'failure')} did not recover within ${formatDurationMs(recoveryTimeoutMs)}${unmeasured ? `, ${unmeasured} of them unmeasured: the job ran again, but Flink's REST went on serving the dead attempt's metrics (a flat counter, no throughput) until the time-out` : ''}. Each replica's lag and throughput from its baseline to its time-out (seconds from the injection; states other than RUNNING are marked):`,
    '',
  ];
  for (const m of timeouts.slice(0, MAX_TIMEOUT_PLOTS)) {
    const what = `point ${m.pointIndex}, repetition ${m.repetition}, interval ${m.ciMs} ms${m.outcome === 'unmeasured' ? ' (unmeasured: metrics frozen)' : ''}`;
    const series = failureSeries(m);
    if (!series) {
      md.push(`- ${what}: no series on record (measured before series were kept)`);
      continue;
    }
    const { lag, throughputEps: rate, notRunning: down } = series;
    const name = `timeout-p${m.pointIndex}-r${m.repetition}-ci${m.ciMs}.svg`;
    files.push({
      name,
      content: svgPlot({
        title: `Timeout: ${what}`,
        xLabel: 'seconds from the injection',
        yLabel: 'lag (records), throughput (events/s)',
        heightPx: 320,
        series: [
          { kind: 'line', name: 'lag (records)', x: lag.map((p) => p[0]), y: lag.map((p) => p[1]), color: PALETTE[1] },
          { kind: 'line', name: 'throughput (events/s)', x: rate.map((p) => p[0]), y: rate.map((p) => p[1]), color: PALETTE[0] },
          ...(down.length ? [{ kind: 'points' as const, name: 'not RUNNING', x: down, y: down.map(() => 0), color: PALETTE[7], shape: 'cross' as const }] : []),
        ],
        markers: [{ x: 0, label: 'injection' }],
        ...(m.throughputEps !== null ? { hlines: [{ y: m.throughputEps, label: 'offered before' }] } : {}),
        legend: 'below',
      }),
    });
    md.push(`![${what}](${name})`, '');
  }
  if (timeouts.length > MAX_TIMEOUT_PLOTS) md.push(`(${timeouts.length - MAX_TIMEOUT_PLOTS} more not drawn; \`khaos profile export\` lists them all)`, '');
  return md;
}
