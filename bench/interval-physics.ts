/**
 * The interval physics of a stored profile: for each load level and checkpoint interval, what a
 * checkpoint costs (duration, state size), the p99 latency before the failure (of the committed
 * output, or the job's gauge: the profile's \`latency\`), the job's throughput while it catches up (its capacity with checkpoints still running),
 * and the recovery split into its phases (detection, restart and restore, catch-up).
 *
 * It measures nothing itself: the profile is the product's own measurement (`khaos profile`), so
 * every figure here is one the product delivers. Run the profile, then this on its id:
 *
 *   npx khaos profile --config examples/profile-dedup-physics.yaml
 *   npx tsx bench/interval-physics.ts --profile <id> [--name interval-physics]
 *
 * Writes bench/results/<name>.json (setup and table) and bench/results/<name>.svg (recovery and
 * latency against the interval, one line per load level).
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { profileStore } from '../src/compose.js';
import type { FailureMeasurement } from '../src/core/profiling/profile-records.js';
import { median } from '../src/core/stats.js';
import { PALETTE, svgPlot, type PlotSeries } from '../src/report/svg-plot.js';
import { report } from './lib.js';

const { values: flags } = parseArgs({ options: { profile: { type: 'string' }, name: { type: 'string', default: 'interval-physics' } }, strict: true });
if (!flags.profile) {
  console.error('usage: npx tsx bench/interval-physics.ts --profile <id>   (ids: npx khaos profile list)');
  process.exit(2);
}
const store = profileStore();
const record = store.getProfile(flags.profile);
if (!record) {
  console.error(`no profile "${flags.profile}" in the store; list them with \`npx khaos profile list\``);
  process.exit(2);
}
const plan = record.plan;
const measurements = store.measurements(record.id);
store.close();
const capacityEps = plan.capacity?.sustainableEps;

/** The highest processing rate over any 3 s after the job ran again: the capacity left while checkpoints go on, events/s. */
function catchUpEps(m: FailureMeasurement): number | null {
  const s = (m.series ?? []).filter((x) => x.tMs > m.injectedAtMs && x.processed !== undefined);
  let best: number | null = null;
  for (let i = 0; i < s.length; i++) {
    const j = s.findIndex((x, k) => k > i && x.tMs - s[i]!.tMs >= 3000);
    if (j < 0) break;
    const rate = ((s[j]!.processed! - s[i]!.processed!) * 1000) / (s[j]!.tMs - s[i]!.tMs);
    // Only while there is a backlog: otherwise the rate is just the input.
    if ((s[i]!.lag ?? 0) > 0 && (best === null || rate > best)) best = rate;
  }
  return best;
}

const round = (v: number | undefined | null, d = 1) => (v === undefined || v === null || !Number.isFinite(v) ? null : Number(v.toFixed(d)));
const cells = new Map<string, FailureMeasurement[]>();
for (const m of measurements) {
  const key = `${m.pointIndex}/${m.ciMs}`;
  cells.set(key, [...(cells.get(key) ?? []), m]);
}
const med = (xs: (number | null | undefined)[]) => {
  const v = xs.filter((x): x is number => typeof x === 'number' && Number.isFinite(x));
  return v.length ? median(v) : null;
};
const rows = [...cells.values()]
  .map((ms) => {
    const point = plan.points.find((p) => p.index === ms[0]!.pointIndex)!;
    const rateEps = med(ms.map((m) => m.throughputEps));
    const recovered = ms.filter((m) => m.outcome === 'recovered');
    return {
      point: point.index,
      offeredEps: round(rateEps, 0),
      load: capacityEps && rateEps ? round(rateEps / capacityEps, 2) : null,
      intervalS: ms[0]!.ciMs / 1000,
      failures: ms.length,
      timeouts: ms.filter((m) => m.outcome !== 'recovered').length,
      recoverySec: round(med(recovered.map((m) => m.recoverySec))),
      detectionSec: round(med(recovered.map((m) => m.detectionSec))),
      restartSec: round(med(recovered.map((m) => m.restartSec))),
      catchupSec: round(med(recovered.map((m) => m.catchupSec))),
      checkpointMs: round(med(ms.map((m) => m.checkpointMs)), 0),
      stateMB: round((med(ms.map((m) => m.stateBytes)) ?? NaN) / 1e6),
      p99LatencyMs: round(med(ms.map((m) => m.latencyMs)), 0),
      catchUpEps: round(med(ms.map(catchUpEps)), 0),
    };
  })
  .sort((a, b) => a.point - b.point || a.intervalS - b.intervalS);

/** The trade-off test of the issue: at the top load, recovery at the longest interval over that at the shortest. */
// The highest offered load, not the last point: a profile runs its levels middle, top, bottom.
const topEps = Math.max(...rows.map((r) => r.offeredEps ?? -Infinity));
const topRows = rows.filter((r) => r.offeredEps === topEps && r.recoverySec !== null);
const ratio = topRows.length >= 2 ? round(topRows[topRows.length - 1]!.recoverySec! / topRows[0]!.recoverySec!, 2) : null;

/**
 * Per load, the interval with the lowest p99 and the one with the quickest recovery: where they
 * differ, the two objectives pull apart at that load (one measurement per cell: a difference within
 * the repeat noise, docs/profile.md, is not one).
 */
const perLoad = [...new Set(rows.map((r) => r.point))].map((p) => {
  const rs = rows.filter((r) => r.point === p);
  const best = (field: 'recoverySec' | 'p99LatencyMs') => rs.filter((r) => r[field] !== null).reduce<(typeof rs)[number] | undefined>((b, r) => (b === undefined || r[field]! < b[field]! ? r : b), undefined)?.intervalS ?? null;
  return { offeredEps: rs[0]!.offeredEps, load: rs[0]!.load, lowestP99IntervalS: best('p99LatencyMs'), quickestRecoveryIntervalS: best('recoverySec') };
}).sort((a, b) => (a.offeredEps ?? 0) - (b.offeredEps ?? 0));
const latencySource = plan.latencySource ?? 'gauge';
const latencyWhat = latencySource === 'output' ? 'of the committed output' : "from the job's gauge (no commit wait)";

const points = [...new Set(rows.map((r) => r.point))];
const seriesOf = (field: 'recoverySec' | 'p99LatencyMs'): PlotSeries[] =>
  points.map((p, i) => {
    const rs = rows.filter((r) => r.point === p && r[field] !== null);
    return { kind: 'line', name: `${rs[0]?.offeredEps ?? '?'} ev/s${rs[0]?.load ? ` (${Math.round(rs[0].load * 100)} %)` : ''}`, x: rs.map((r) => r.intervalS), y: rs.map((r) => r[field]!), color: PALETTE[i % PALETTE.length] };
  });
const note = `MEASURED: profile ${record.id}, ${plan.job} job, one replica at a time (${plan.injection}), ${plan.failure} ${plan.timing}; a timeout draws no point`;
const dir = path.join(path.dirname(new URL(import.meta.url).pathname), 'results');
fs.mkdirSync(dir, { recursive: true });
fs.writeFileSync(
  path.join(dir, `${flags.name}.svg`),
  svgPlot({ title: 'Recovery time against the checkpoint interval, per load', xLabel: 'checkpoint interval (s)', yLabel: 'recovery (s)', series: seriesOf('recoverySec'), notes: [note], heightPx: 420 }) +
    '\n',
);
fs.writeFileSync(
  path.join(dir, `${flags.name}-latency.svg`),
  svgPlot({ title: `p99 latency ${latencyWhat} before the failure, per load`, xLabel: 'checkpoint interval (s)', yLabel: 'p99 latency (ms)', series: seriesOf('p99LatencyMs'), notes: [note], heightPx: 420 }) + '\n',
);

console.log('| load | offered ev/s | interval s | recovery s | detection s | restart s | catch-up s | checkpoint ms | state MB | p99 ms | catch-up ev/s | timeouts |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.load ?? '?'} | ${r.offeredEps} | ${r.intervalS} | ${r.recoverySec} | ${r.detectionSec} | ${r.restartSec} | ${r.catchupSec} | ${r.checkpointMs} | ${r.stateMB} | ${r.p99LatencyMs} | ${r.catchUpEps} | ${r.timeouts}/${r.failures} |`);
console.log(`\np99 ${latencyWhat}; per load, the interval with the lowest p99 and the one with the quickest recovery:`);
for (const l of perLoad) console.log(`  ${l.offeredEps} ev/s${l.load ? ` (${Math.round(l.load * 100)} %)` : ''}: lowest p99 at ${l.lowestP99IntervalS} s, quickest recovery at ${l.quickestRecoveryIntervalS} s${l.lowestP99IntervalS !== l.quickestRecoveryIntervalS ? ' — they pull apart' : ''}`);
report(
  flags.name,
  {
    command: `npx tsx bench/interval-physics.ts --profile ${record.id}`,
    profile: record.id,
    job: plan.job,
    intervalsMs: plan.intervalsMs,
    capacityEps: capacityEps ?? null,
    injection: plan.injection,
    failure: plan.failure,
    timing: plan.timing,
    latencySource,
    replay: plan.replay,
    config: record.provenance.config,
  },
  { rows, perLoad, topLoadEps: topEps, topLoadRecoveryRatioLongestOverShortest: ratio, plots: [`bench/results/${flags.name}.svg`, `bench/results/${flags.name}-latency.svg`] },
);
