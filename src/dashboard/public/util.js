// Helpers of the dashboard's page modules.

/** Text made safe to put into HTML. */
export const esc = (s) => String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);

/**
 * Aligns series given as [xs, ys] pairs on the union of their xs (uPlot wants one x array):
 * undefined where a series has no point (uPlot joins its line across it), its own null where it
 * has a point without a value (a break, unless the series spans gaps).
 */
export function aligned(pairs) {
  const xs = [...new Set(pairs.flatMap(([t]) => t))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const ys = pairs.map(([t, v]) => {
    const col = new Array(xs.length).fill(undefined);
    t.forEach((x, i) => (col[index.get(x)] = v[i]));
    return col;
  });
  return [xs, ...ys];
}

/** A time for people: UTC to the second, or — when there is none. */
export const time = (ms) => (ms ? new Date(ms).toISOString().replace('T', ' ').slice(0, 19) + ' UTC' : '—');

/** A number with `digits` decimals, or — when there is none. */
export const fmt = (v, digits = 0) => (v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toFixed(digits));

/** A hint box (what to run), what stands in backquotes (\x60) shown as code. */
export const hint = (text) => `<div class="hint">${esc(text).replace(/\x60([^\x60]+)\x60/g, '<code>$1</code>')}</div>`;

/** GETs JSON; a refusal throws with the server's error and hint. */
export async function getJson(url) {
  const r = await fetch(url);
  const body = await r.json();
  if (!r.ok) throw new Error(`${body.error}${body.hint ? ` — ${body.hint}` : ''}`);
  return body;
}
