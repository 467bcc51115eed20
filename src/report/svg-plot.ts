/**
 * A small, dependency-free SVG plot builder for reports: line, point and bar series, axes with
 * ticks, vertical markers, horizontal reference lines and notes. Pure: returns the document as a
 * string.
 *
 * Long line series are reduced to the minimum and maximum of each pixel column, so a 215-day
 * per-second series draws as a few thousand vertices and the file stays small; the envelope
 * still shows every spike. Point series are reduced to one mark per pixel.
 */

export interface LineSeries {
  kind: 'line';
  /** Shown in the legend when given. */
  name?: string;
  y: ArrayLike<number>;
  /** x of each y; when absent, x = x0 + i·dx (a regular series needs no x array). */
  x?: ArrayLike<number>;
  x0?: number;
  dx?: number;
  color?: string;
  widthPx?: number;
  /** SVG stroke-dasharray, e.g. "6 4" for a dashed line; solid when absent. */
  dash?: string;
}

export interface PointSeries {
  kind: 'points';
  name?: string;
  x: ArrayLike<number>;
  y: ArrayLike<number>;
  color?: string;
  radiusPx?: number;
  /** Mark drawn at each point (default circle): a second shape tells a different kind of point apart. */
  shape?: PointShape;
}

export type PointShape = 'circle' | 'triangle' | 'square' | 'cross';

/**
 * Vertical bars from `base[i]` (0 when absent) up to `base[i] + y[i]`, centred on `x[i]`. Bars are
 * stacked by giving the upper series the lower one's tops as its base.
 */
export interface BarSeries {
  kind: 'bars';
  name?: string;
  x: ArrayLike<number>;
  /** Height of each bar, in y units; a non-finite height draws no bar. */
  y: ArrayLike<number>;
  base?: ArrayLike<number>;
  /** Bar width in x units (default 0.8 × the smallest gap between distinct x, or 0.8). */
  widthX?: number;
  color?: string;
}

export type PlotSeries = LineSeries | PointSeries | BarSeries;

/** A vertical line at x across the plot, its label at the top. */
export interface VerticalMarker {
  x: number;
  label?: string;
  color?: string;
}

/** A horizontal line at y across the plot, its label at the right end. */
export interface HorizontalLine {
  y: number;
  label?: string;
  color?: string;
}

export interface PlotSpec {
  title: string;
  xLabel?: string;
  yLabel?: string;
  /** Whole image, px (default 1000 × 480). */
  widthPx?: number;
  heightPx?: number;
  series: PlotSeries[];
  markers?: VerticalMarker[];
  hlines?: HorizontalLine[];
  /** Axis ranges; by default the data's, y from 0 when all y ≥ 0. */
  xDomain?: [number, number];
  yDomain?: [number, number];
  xTickFormat?: (v: number) => string;
  yTickFormat?: (v: number) => string;
  /** Explicit x ticks (e.g. category labels under groups of bars), instead of round values. */
  xTicks?: { x: number; label: string }[];
  /** Notes under the x axis label, each wrapped to the image width: caveats a reader of the image alone must see. */
  notes?: string[];
  /** Where the legend of named series goes (default top-left, inside the plot). */
  legend?: 'top-left' | 'top-right' | 'below';
}

/** The default series colours, in order; exported so related plots can colour a group alike. */
export const PALETTE: readonly string[] = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f'];

export function escapeXml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** About `count` round tick values (1, 2 or 5 × 10^k apart, the step nearest the ideal one) within [lo, hi]. */
export function niceTicks(lo: number, hi: number, count = 6): number[] {
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) return [];
  if (hi === lo) return [lo];
  const raw = (hi - lo) / Math.max(1, count);
  const mag = 10 ** Math.floor(Math.log10(raw));
  const err = raw / mag;
  const step = mag * (err >= Math.sqrt(50) ? 10 : err >= Math.sqrt(10) ? 5 : err >= Math.sqrt(2) ? 2 : 1);
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** 1234 → "1.23k", 2500000 → "2.5M", 0.25 → "0.25". */
export function compactNumber(v: number): string {
  const a = Math.abs(v);
  const trim = (x: number) => String(Number(x.toPrecision(3)));
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return String(Number(v.toPrecision(4)));
}

const r1 = (v: number) => Math.round(v * 10) / 10;

function xAt(s: LineSeries, i: number): number {
  return s.x ? s.x[i]! : (s.x0 ?? 0) + i * (s.dx ?? 1);
}

/** The width of a bar series' bars, in x units. */
function barWidth(s: BarSeries): number {
  if (s.widthX !== undefined) return s.widthX;
  const xs = [...new Set(Array.from(s.x).filter(Number.isFinite))].sort((a, b) => a - b);
  const gaps = xs.slice(1).map((x, i) => x - xs[i]!);
  return 0.8 * (gaps.length > 0 ? Math.min(...gaps) : 1);
}

function extent(spec: PlotSpec): { x: [number, number]; y: [number, number] } {
  let x0 = Number.POSITIVE_INFINITY;
  let x1 = Number.NEGATIVE_INFINITY;
  let y0 = Number.POSITIVE_INFINITY;
  let y1 = Number.NEGATIVE_INFINITY;
  for (const s of spec.series) {
    const n = s.y.length;
    const half = s.kind === 'bars' ? barWidth(s) / 2 : 0;
    for (let i = 0; i < n; i++) {
      const base = s.kind === 'bars' ? (s.base?.[i] ?? 0) : undefined;
      const y = s.y[i]! + (base ?? 0);
      const x = s.kind === 'line' ? xAt(s, i) : s.x[i]!;
      if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
      x0 = Math.min(x0, x - half);
      x1 = Math.max(x1, x + half);
      y0 = Math.min(y0, y, base ?? y);
      y1 = Math.max(y1, y, base ?? y);
    }
  }
  for (const m of spec.markers ?? []) {
    x0 = Math.min(x0, m.x);
    x1 = Math.max(x1, m.x);
  }
  for (const h of spec.hlines ?? []) {
    y0 = Math.min(y0, h.y);
    y1 = Math.max(y1, h.y);
  }
  if (!(x0 <= x1)) [x0, x1] = [0, 1];
  if (!(y0 <= y1)) [y0, y1] = [0, 1];
  if (y0 >= 0) y0 = 0;
  if (x0 === x1) [x0, x1] = [x0 - 0.5, x1 + 0.5];
  if (y0 === y1) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const pad = (y1 - y0) * 0.04;
  return { x: spec.xDomain ?? [x0, x1], y: spec.yDomain ?? [y0, y1 + pad] };
}

/** A path through the min and max of each pixel column, in the order they occur; NaN breaks the line. */
function linePath(s: LineSeries, px: (x: number) => number, py: (y: number) => number): string {
  const parts: string[] = [];
  let col = Number.NaN;
  let minY = 0;
  let maxY = 0;
  let minI = 0;
  let maxI = 0;
  let pen = false;
  const flush = () => {
    if (Number.isNaN(col)) return;
    const pts = minI <= maxI ? [minY, maxY] : [maxY, minY];
    for (let k = 0; k < (minY === maxY ? 1 : 2); k++) {
      parts.push(`${pen ? 'L' : 'M'}${r1(col)} ${r1(py(pts[k]!))}`);
      pen = true;
    }
    col = Number.NaN;
  };
  for (let i = 0; i < s.y.length; i++) {
    const y = s.y[i]!;
    const x = xAt(s, i);
    if (!Number.isFinite(y) || !Number.isFinite(x)) {
      flush();
      pen = false;
      continue;
    }
    const c = Math.round(px(x));
    if (c !== col) {
      flush();
      col = c;
      minY = maxY = y;
      minI = maxI = i;
    } else {
      if (y < minY) [minY, minI] = [y, i];
      if (y > maxY) [maxY, maxI] = [y, i];
    }
  }
  flush();
  return parts.join('');
}

/** Splits text at spaces into lines of at most `width` characters (a longer word stays whole). */
function wrapText(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/).filter((w) => w !== '')) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line === '' ? word : `${line} ${word}`;
  }
  if (line !== '') lines.push(line);
  return lines;
}

/** One point's mark, centred on (cx, cy) px, about 2·r px across. */
function pointMark(shape: PointShape, cx: number, cy: number, r: number, color: string): string {
  const fill = ` fill="${color}"`;
  switch (shape) {
    case 'circle':
      return `<circle cx="${cx}" cy="${cy}" r="${r}"${fill}/>`;
    case 'square':
      return `<rect x="${r1(cx - r)}" y="${r1(cy - r)}" width="${2 * r}" height="${2 * r}"${fill}/>`;
    case 'triangle': {
      const h = r * 1.3;
      return `<polygon points="${r1(cx)},${r1(cy - h)} ${r1(cx + h)},${r1(cy + h * 0.8)} ${r1(cx - h)},${r1(cy + h * 0.8)}"${fill}/>`;
    }
    case 'cross':
      return `<path d="M${r1(cx - r)} ${r1(cy - r)}L${r1(cx + r)} ${r1(cy + r)}M${r1(cx - r)} ${r1(cy + r)}L${r1(cx + r)} ${r1(cy - r)}" stroke="${color}" stroke-width="2" fill="none"/>`;
  }
}

/** Builds the SVG document. Data outside the domain is clipped to the plot area. */
export function svgPlot(spec: PlotSpec): string {
  const W = spec.widthPx ?? 1000;
  const H = spec.heightPx ?? 480;
  const notes = (spec.notes ?? []).flatMap((n) => wrapText(n, Math.floor((W - 80) / 6.2)));
  const named = spec.series.map((s, k) => ({ s, color: s.color ?? PALETTE[k % PALETTE.length]! })).filter(({ s }) => s.name);
  const legendBelow = spec.legend === 'below' && named.length > 0;
  // A legend below the plot flows in rows of entries of one width.
  const entryW = Math.max(0, ...named.map(({ s }) => s.name!.length)) * 6.2 + 34;
  const perRow = Math.max(1, Math.floor((W - 80) / entryW));
  const legendRows = legendBelow ? Math.ceil(named.length / perRow) : 0;
  const m = { left: 70, right: 90, top: 40 + (spec.markers?.some((mk) => mk.label) ? 48 : 0), bottom: 50 + notes.length * 14 + legendRows * 15 + (legendRows > 0 ? 6 : 0) };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const { x: xd, y: yd } = extent(spec);
  const px = (x: number) => m.left + ((x - xd[0]) / (xd[1] - xd[0])) * pw;
  const py = (y: number) => m.top + ph - ((y - yd[0]) / (yd[1] - yd[0])) * ph;
  const fx = spec.xTickFormat ?? compactNumber;
  const fy = spec.yTickFormat ?? compactNumber;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`);
  out.push(`<title>${escapeXml(spec.title)}</title>`);
  out.push(`<rect width="${W}" height="${H}" fill="#fff"/>`);
  out.push(`<defs><clipPath id="plot-area"><rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}"/></clipPath></defs>`);
  out.push(`<text x="${W / 2}" y="20" text-anchor="middle" font-size="14" font-weight="bold">${escapeXml(spec.title)}</text>`);

  // Grid and ticks.
  const xt = spec.xTicks ? spec.xTicks.map((t) => t.x) : niceTicks(xd[0], xd[1], Math.max(2, Math.floor(pw / 110)));
  const xLabelOf = new Map((spec.xTicks ?? []).map((t) => [t.x, t.label] as const));
  const yt = niceTicks(yd[0], yd[1], Math.max(2, Math.floor(ph / 60)));
  out.push('<g class="grid" stroke="#e5e5e5" stroke-width="1">');
  for (const v of xt) out.push(`<line x1="${r1(px(v))}" y1="${m.top}" x2="${r1(px(v))}" y2="${m.top + ph}"/>`);
  for (const v of yt) out.push(`<line x1="${m.left}" y1="${r1(py(v))}" x2="${m.left + pw}" y2="${r1(py(v))}"/>`);
  out.push('</g>');
  out.push(`<g class="axes" stroke="#333" stroke-width="1"><line x1="${m.left}" y1="${m.top + ph}" x2="${m.left + pw}" y2="${m.top + ph}"/><line x1="${m.left}" y1="${m.top}" x2="${m.left}" y2="${m.top + ph}"/></g>`);
  out.push('<g class="ticks">');
  for (const v of xt) out.push(`<line x1="${r1(px(v))}" y1="${m.top + ph}" x2="${r1(px(v))}" y2="${m.top + ph + 5}" stroke="#333"/><text x="${r1(px(v))}" y="${m.top + ph + 18}" text-anchor="middle">${escapeXml(xLabelOf.get(v) ?? fx(v))}</text>`);
  for (const v of yt) out.push(`<line x1="${m.left - 5}" y1="${r1(py(v))}" x2="${m.left}" y2="${r1(py(v))}" stroke="#333"/><text x="${m.left - 8}" y="${r1(py(v)) + 4}" text-anchor="end">${escapeXml(fy(v))}</text>`);
  out.push('</g>');
  const belowAxis = m.top + ph + 40; // baseline of the x label; notes and a legend below follow it
  if (spec.xLabel) out.push(`<text x="${m.left + pw / 2}" y="${belowAxis}" text-anchor="middle">${escapeXml(spec.xLabel)}</text>`);
  notes.forEach((n, k) => out.push(`<text class="note" x="${m.left}" y="${belowAxis + 14 * (k + 1)}" fill="#444">${escapeXml(n)}</text>`));
  if (spec.yLabel) out.push(`<text x="16" y="${m.top + ph / 2}" text-anchor="middle" transform="rotate(-90 16 ${m.top + ph / 2})">${escapeXml(spec.yLabel)}</text>`);

  // Horizontal lines, then series, then markers on top.
  out.push('<g class="hlines" clip-path="url(#plot-area)">');
  for (const h of spec.hlines ?? []) out.push(`<line x1="${m.left}" y1="${r1(py(h.y))}" x2="${m.left + pw}" y2="${r1(py(h.y))}" stroke="${h.color ?? '#999'}" stroke-dasharray="2 3"/>`);
  out.push('</g>');
  for (const h of spec.hlines ?? []) if (h.label) out.push(`<text class="hline-label" x="${m.left + pw + 4}" y="${r1(py(h.y)) + 4}" fill="${h.color ?? '#666'}">${escapeXml(h.label)}</text>`);

  spec.series.forEach((s, k) => {
    const color = s.color ?? PALETTE[k % PALETTE.length]!;
    if (s.kind === 'line') {
      const dash = s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : '';
      out.push(`<path class="series line" clip-path="url(#plot-area)" fill="none" stroke="${color}" stroke-width="${s.widthPx ?? 1}"${dash} stroke-linejoin="round" d="${linePath(s, px, py)}"/>`);
    } else if (s.kind === 'bars') {
      const half = barWidth(s) / 2;
      out.push(`<g class="series bars" clip-path="url(#plot-area)" fill="${color}">`);
      for (let i = 0; i < s.y.length; i++) {
        const x = s.x[i]!;
        const b = s.base?.[i] ?? 0;
        const h = s.y[i]!;
        if (!Number.isFinite(x) || !Number.isFinite(b) || !Number.isFinite(h)) continue;
        const left = r1(px(x - half));
        const top = r1(py(Math.max(b, b + h)));
        out.push(`<rect x="${left}" y="${top}" width="${r1(px(x + half) - left)}" height="${r1(py(Math.min(b, b + h)) - top)}"/>`);
      }
      out.push('</g>');
    } else {
      const seen = new Set<string>();
      const r = s.radiusPx ?? 3;
      out.push(`<g class="series points" clip-path="url(#plot-area)" fill="${color}">`);
      for (let i = 0; i < s.y.length; i++) {
        const x = s.x[i]!;
        const y = s.y[i]!;
        if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
        const cx = Math.round(px(x));
        const cy = Math.round(py(y));
        const key = `${cx},${cy}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push(pointMark(s.shape ?? 'circle', cx, cy, r, color));
      }
      out.push('</g>');
    }
  });

  // Marker labels stagger over up to 4 rows so close markers stay readable.
  const rowsEnd: number[] = [];
  const markers = [...(spec.markers ?? [])].sort((a, b) => a.x - b.x);
  for (const mk of markers) {
    const x = r1(px(mk.x));
    const color = mk.color ?? '#d62728';
    out.push(`<line class="marker" x1="${x}" y1="${m.top}" x2="${x}" y2="${m.top + ph}" stroke="${color}" stroke-width="1" stroke-dasharray="4 3"/>`);
    if (mk.label) {
      const width = mk.label.length * 6.2;
      let row = rowsEnd.findIndex((end) => end < x - width / 2 - 2);
      if (row < 0) row = rowsEnd.length < 4 ? rowsEnd.length : rowsEnd.indexOf(Math.min(...rowsEnd));
      rowsEnd[row] = x + width / 2;
      out.push(`<text class="marker-label" x="${x}" y="${m.top - 6 - row * 12}" text-anchor="middle" fill="${color}">${escapeXml(mk.label)}</text>`);
    }
  }

  if (named.length > 0) {
    const legendMark = (s: PlotSeries, color: string, lx: number, y: number): string => {
      if (s.kind === 'line') return `<line x1="${lx}" y1="${y - 4}" x2="${lx + 20}" y2="${y - 4}" stroke="${color}" stroke-width="2"${s.dash ? ` stroke-dasharray="${escapeXml(s.dash)}"` : ''}/>`;
      if (s.kind === 'bars') return `<rect x="${lx + 4}" y="${y - 9}" width="12" height="10" fill="${color}"/>`;
      return pointMark(s.shape ?? 'circle', lx + 10, y - 4, 3, color);
    };
    if (legendBelow) {
      out.push('<g class="legend">');
      const top = belowAxis + 14 * notes.length + 6;
      named.forEach(({ s, color }, k) => {
        const lx = m.left + (k % perRow) * entryW;
        const y = top + 12 + Math.floor(k / perRow) * 15;
        out.push(`${legendMark(s, color, lx, y)}<text x="${lx + 26}" y="${y}">${escapeXml(s.name!)}</text>`);
      });
      out.push('</g>');
    } else {
      const lx = spec.legend === 'top-right' ? m.left + pw - entryW - 6 : m.left + 10;
      out.push(`<g class="legend"><rect x="${lx - 4}" y="${m.top + 4}" width="${entryW}" height="${named.length * 15 + 6}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>`);
      named.forEach(({ s, color }, k) => {
        const y = m.top + 16 + k * 15;
        out.push(`${legendMark(s, color, lx, y)}<text x="${lx + 26}" y="${y}">${escapeXml(s.name!)}</text>`);
      });
      out.push('</g>');
    }
  }
  out.push('</svg>');
  return out.join('\n');
}
