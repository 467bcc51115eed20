// Helpers of the dashboard's page modules.

/** Text made safe to put into HTML. */
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/** Aligns series given as [xs, ys] pairs on the union of their xs (uPlot wants one x array), null where a series has no point. */
export function aligned(pairs) {
  const xs = [...new Set(pairs.flatMap(([t]) => t))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = pairs.map(([t, v]) => {
    const col = new Array(xs.length).fill(null);
    t.forEach((x, i) => (col[index.get(x)] = v[i]));
    return col;
  });
  return [xs, ...ys];
}
