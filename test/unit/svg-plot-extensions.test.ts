import { describe, expect, it } from 'vitest';
import { svgPlot } from '../../src/report/svg-plot.js';
import { expectWellFormedSvg } from '../support/svg-well-formed.js';

const rects = (svg: string, cls: string) => {
  const group = new RegExp(`<g class="${cls}"[^>]*>([\\s\\S]*?)</g>`).exec(svg)?.[1] ?? '';
  return [...group.matchAll(/<rect x="([\d.-]+)" y="([\d.-]+)" width="([\d.-]+)" height="([\d.-]+)"\/>/g)].map((m) => ({ x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), h: Number(m[4]) }));
};

describe('svgPlot extensions', () => {
  it('stacks bars on a base, and their heights are to scale', () => {
    const svg = svgPlot({
      title: 'phases',
      series: [
        { kind: 'bars', name: 'a', x: [0, 1, 2], y: [1, 2, 3] },
        { kind: 'bars', name: 'b', x: [0, 1, 2], y: [1, 1, Number.NaN], base: [1, 2, 3] },
      ],
      yDomain: [0, 4],
    });
    expectWellFormedSvg(svg);
    const [a, b] = [svg.indexOf('class="series bars"'), svg.lastIndexOf('class="series bars"')];
    expect(a).toBeLessThan(b);
    const lower = rects(svg, 'series bars');
    expect(lower).toHaveLength(3);
    const unit = lower[0]!.h; // a bar of height 1
    expect(lower[1]!.h).toBeCloseTo(2 * unit, 0);
    expect(lower[2]!.h).toBeCloseTo(3 * unit, 0);
    const upper = [...svg.slice(b).matchAll(/<rect x="([\d.-]+)" y="([\d.-]+)" width="[\d.-]+" height="([\d.-]+)"\/>/g)].slice(0, 2);
    expect(upper).toHaveLength(2); // the NaN height draws no bar
    // The upper bar starts where the lower one ends.
    expect(Number(upper[0]![2]) + Number(upper[0]![3])).toBeCloseTo(lower[0]!.y, 0);
    expect(svg).toContain('>a</text>');
  });

  it('draws dashed lines, shaped points, explicit x ticks, notes and a legend below the plot', () => {
    const svg = svgPlot({
      title: 'styles',
      heightPx: 400,
      series: [
        { kind: 'line', name: 'dashed', x: [0, 10], y: [0, 10], dash: '6 4' },
        { kind: 'points', name: 'timeouts', x: [5], y: [9], shape: 'triangle' },
        { kind: 'points', x: [6], y: [8], shape: 'square' },
        { kind: 'points', x: [7], y: [7], shape: 'cross' },
      ],
      xTicks: [
        { x: 2, label: 'group A' },
        { x: 8, label: 'group B' },
      ],
      notes: ['a note & a caveat'],
      legend: 'below',
    });
    expectWellFormedSvg(svg);
    expect(svg).toContain('stroke-dasharray="6 4" stroke-linejoin');
    expect(svg.match(/<polygon /g)).toHaveLength(2); // the point and its legend mark
    expect(svg).toContain('>group A</text>');
    expect(svg).toContain('>group B</text>');
    expect(svg).toContain('class="note"');
    expect(svg).toContain('a note &amp; a caveat');
    // The legend sits below the note, below the plot area.
    const legendY = Number(/<g class="legend">[\s\S]*?<text x="[\d.]+" y="([\d.]+)">dashed<\/text>/.exec(svg)![1]);
    const noteY = Number(/class="note" x="[\d.]+" y="([\d.]+)"/.exec(svg)![1]);
    expect(legendY).toBeGreaterThan(noteY);
    expect(legendY).toBeLessThan(400);
  });

  it('wraps a long note to the image width and makes room for it', () => {
    const words = Array.from({ length: 60 }, (_, i) => `word${i}`);
    const svg = svgPlot({ title: 'wrap', widthPx: 400, heightPx: 300, xLabel: 'x', series: [{ kind: 'points', x: [1], y: [1] }], notes: [words.join(' ')] });
    expectWellFormedSvg(svg);
    const lines = [...svg.matchAll(/class="note" x="[\d.]+" y="([\d.]+)" fill="#444">([^<]*)<\/text>/g)];
    expect(lines.length).toBeGreaterThan(5);
    for (const [, , text] of lines) expect(text!.length * 6.2).toBeLessThanOrEqual(400 - 80);
    expect(lines.map((l) => l[2]).join(' ')).toBe(words.join(' '));
    expect(Number(lines[lines.length - 1]![1])).toBeLessThanOrEqual(300);
  });

  it('leaves a plot without the new options as it was (x label 10 px above the bottom, legend inside)', () => {
    const svg = svgPlot({ title: 't', xLabel: 'x', heightPx: 300, series: [{ kind: 'points', name: 'p', x: [1, 2], y: [1, 2] }] });
    expect(svg).toContain('y="290" text-anchor="middle">x</text>');
    expect(svg).toContain('<g class="legend"><rect');
    expect(svg).not.toContain('class="note"');
  });
});
