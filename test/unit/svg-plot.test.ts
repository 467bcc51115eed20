import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../src/core/random.js';
import { analyzePerSecond, type PerSecondSeries } from '../../src/core/load/steady-state.js';
import { steadyStatePlot } from '../../src/report/steady-state-plot.js';
import { compactNumber, niceTicks, svgPlot } from '../../src/report/svg-plot.js';
import { expectWellFormedSvg as expectWellFormed } from '../support/svg-well-formed.js';

/** The y pixel coordinates of a path's vertices. */
const pathYs = (svg: string, cls: string) => {
  const d = new RegExp(`class="${cls}"[^>]* d="([^"]*)"`).exec(svg)?.[1] ?? '';
  return [...d.matchAll(/[ML]([\d.]+) ([\d.]+)/g)].map((m) => Number(m[2]));
};

describe('niceTicks and compactNumber', () => {
  it('picks round steps covering the range', () => {
    expect(niceTicks(0, 100, 5)).toEqual([0, 20, 40, 60, 80, 100]);
    expect(niceTicks(3, 47, 4)).toEqual([10, 20, 30, 40]);
    expect(niceTicks(0, 0.3, 3)).toEqual([0, 0.1, 0.2, 0.3]);
    expect(niceTicks(5, 5)).toEqual([5]);
  });

  it('writes numbers short', () => {
    expect(compactNumber(39_197)).toBe('39.2k');
    expect(compactNumber(2_500_000)).toBe('2.5M');
    expect(compactNumber(3547)).toBe('3547');
    expect(compactNumber(0.25)).toBe('0.25');
  });
});

describe('svgPlot', () => {
  it('draws a well-formed plot with title, axes, series, markers and horizontal lines', () => {
    const svg = svgPlot({
      title: 'rate <per> second & more',
      xLabel: 'time (s)',
      yLabel: 'events/s',
      series: [
        { kind: 'line', name: 'rate', y: [1, 3, 2, 5, 4] },
        { kind: 'points', name: 'points', x: [1, 3], y: [3, 5] },
      ],
      markers: [{ x: 1, label: 'L1' }, { x: 3, label: 'L2' }],
      hlines: [{ y: 2.5, label: 'level' }],
    });
    expectWellFormed(svg);
    expect(svg).toContain('rate &lt;per&gt; second &amp; more');
    expect(svg.match(/class="marker"/g)).toHaveLength(2);
    expect(svg).toContain('>L1</text>');
    expect(svg).toContain('>L2</text>');
    expect(svg).toContain('>level</text>');
    expect(svg.match(/<circle /g)?.length).toBe(2 + 1); // two points, one legend mark
    expect(svg).toContain('>events/s</text>');
  });

  it('breaks a line at missing values', () => {
    const svg = svgPlot({ title: 't', series: [{ kind: 'line', y: [1, 2, Number.NaN, 3, 4] }] });
    const d = /class="series line"[^>]* d="([^"]*)"/.exec(svg)![1]!;
    expect(d.match(/M/g)).toHaveLength(2);
  });

  it('keeps a long series small and its spikes visible (min/max per pixel column)', () => {
    const n = 5_000_000;
    const y = new Float64Array(n);
    const rng = seededRandom(1);
    for (let i = 0; i < n; i++) y[i] = 1000 + rng.next() * 100;
    y[2_345_678] = 100_000;
    const svg = svgPlot({ title: 'long', widthPx: 1000, series: [{ kind: 'line', y, dx: 1 / 86_400 }] });
    expectWellFormed(svg);
    expect(svg.length).toBeLessThan(60_000);
    const ys = pathYs(svg, 'series line');
    expect(ys.length).toBeLessThanOrEqual(2 * 1000);
    expect(Math.min(...ys)).toBeLessThan(60); // the one-second spike reaches the top of the plot
  });

  it('draws many points once per pixel', () => {
    const x = Array.from({ length: 10_000 }, (_, i) => i % 100);
    const svg = svgPlot({ title: 'scatter', series: [{ kind: 'points', x, y: x.map((v) => v * 2) }] });
    expectWellFormed(svg);
    expect(svg.match(/<circle /g)).toHaveLength(100);
  });
});

describe('steadyStatePlot', () => {
  it('marks every injection point and level', () => {
    const rng = seededRandom(2);
    const rates = Float64Array.from({ length: 60_000 }, (_, i) => (1 + Math.floor(i / 5000)) * 100 * (1 + (rng.next() - 0.5) * 0.02));
    const s: PerSecondSeries = { startSec: 0, compression: 1, rates };
    const r = analyzePerSecond(s, { levels: 6 }, seededRandom(1));
    const svg = steadyStatePlot(s, r, 'plateaus');
    expectWellFormed(svg);
    expect(svg.match(/class="marker"/g)).toHaveLength(r.points.length);
    expect(svg.match(/class="hline-label"/g)).toHaveLength(6);
    expect(svg).toContain('analysis time (hours)');
  });
});
