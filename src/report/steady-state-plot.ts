import { rollingMean, type PerSecondSeries, type SteadyStateResult } from '../core/load/steady-state.js';
import { compactNumber, svgPlot } from './svg-plot.js';

/**
 * The plot of a steady-state analysis: the per-second rate and its rolling mean over analysis
 * time, the load levels as horizontal lines, and each injection point as a marker labelled with
 * its level. Returns an SVG document.
 */
export function steadyStatePlot(series: PerSecondSeries, result: SteadyStateResult, title: string): string {
  const n = series.rates.length;
  const [unit, unitSec] = n > 2 * 86_400 ? ['days', 86_400] : n > 2 * 3600 ? ['hours', 3600] : n > 120 ? ['minutes', 60] : ['seconds', 1];
  const o = result.options;
  const scaled = o.compression === 1 ? '' : `, 1 s = ${o.compression} trace s`;
  return svgPlot({
    title,
    xLabel: `analysis time (${unit}${scaled}); markers: injection points`,
    yLabel: 'rate',
    series: [
      { kind: 'line', name: 'rate per second', y: series.rates, dx: 1 / unitSec, color: '#9ab' },
      { kind: 'line', name: `rolling mean (${o.windowSec} s)`, y: rollingMean(series.rates, o.windowSec), dx: 1 / unitSec, color: '#1f4e99', widthPx: 1.2 },
      { kind: 'points', name: 'injection points', x: result.points.map((p) => p.second / unitSec), y: result.points.map((p) => p.rate), color: '#d62728', radiusPx: 4 },
    ],
    hlines: result.levels.map((l, k) => ({ y: l, label: `L${k + 1} ${compactNumber(l)}`, color: '#aaa' })),
    markers: result.points.map((p) => ({ x: p.second / unitSec, label: `L${result.levels.indexOf(p.level) + 1}` })),
  });
}
