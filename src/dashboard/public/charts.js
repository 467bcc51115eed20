// The live view's time-series charts (uPlot), drawn from the run view the server sends
// (src/app/control/run-records.ts): one chart per question, x in seconds since the epoch.
import uPlot from '/vendor/uPlot.esm.js';
import { aligned } from './util.js';

const WIDTH = () => Math.max(480, Math.min(900, (document.querySelector('.charts')?.clientWidth ?? 1000) / 2 - 20));

const secs = (ms) => ms / 1000;

/** Each chart: its title, its series (label, colour, options) and how to take its data from the run view. */
const CHARTS = [
  {
    id: 'rate', title: 'Input rate and its forecast (ev/s)',
    series: [{ label: 'input ev/s', stroke: '#2a6' }, { label: 'forecast ev/s', stroke: '#2a6', dash: [6, 4] }],
    data: (v) => [[v.series.map((p) => secs(p.atMs)), v.series.map((p) => p.throughputEps)], [v.series.map((p) => secs(p.atMs)), v.series.map((p) => p.forecastEps)]],
  },
  {
    id: 'latency', title: 'p99 latency against its target (ms)',
    series: [{ label: 'p99 ms', stroke: '#36c' }, { label: 'target ms', stroke: '#c33', dash: [4, 4] }],
    data: (v) => {
      const t = v.series.map((p) => secs(p.atMs));
      return [[t, v.series.map((p) => p.latencyMs)], [t, t.map(() => v.targets.latencyMs ?? null)]];
    },
  },
  {
    id: 'lag', title: 'Consumer lag (records)',
    series: [{ label: 'lag', stroke: '#a5a' }],
    data: (v) => [[v.series.map((p) => secs(p.atMs)), v.series.map((p) => p.lagRecords)]],
  },
  {
    id: 'interval', title: 'Checkpoint interval in force (s), each checkpoint marked',
    series: [
      { label: 'interval s', stroke: '#333', paths: uPlot.paths.stepped({ align: 1 }) },
      { label: 'paced checkpoint', stroke: '#2a6', points: { show: true, size: 7, fill: '#2a6' }, paths: () => null },
      { label: 'fallback checkpoint', stroke: '#e90', points: { show: true, size: 7, fill: '#e90' }, paths: () => null },
    ],
    data: (v) => {
      const paced = v.checkpoints.filter((c) => c.by === 'paced');
      const fallback = v.checkpoints.filter((c) => c.by === 'fallback');
      const last = v.series.at(-1)?.intervalMs ?? v.run.fallbackIntervalMs;
      const level = (ms) => secs([...v.series].reverse().find((p) => p.atMs <= ms)?.intervalMs ?? last);
      return [
        [v.series.map((p) => secs(p.atMs)), v.series.map((p) => secs(p.intervalMs))],
        [paced.map((c) => secs(c.atMs)), paced.map((c) => level(c.atMs))],
        [fallback.map((c) => secs(c.atMs)), fallback.map((c) => level(c.atMs))],
      ];
    },
  },
];

const plots = new Map();

/** Draws (or updates) every chart of the live view into `root` from run view `v`. */
export function drawCharts(root, v) {
  // A point with no value just after each gap's start: the lines break there instead of joining across it.
  const breaks = (v.gaps ?? []).map((g) => secs(g.fromMs) + 0.001);
  for (const c of CHARTS) {
    const data = aligned(c.data(v).map(([xs, ys]) => [[...xs, ...breaks], [...ys, ...breaks.map(() => null)]]));
    const hasData = data.slice(1).some((col) => col.some((y) => y !== null && y !== undefined));
    let box = root.querySelector(`#chart-${c.id}`);
    if (!box) {
      box = document.createElement('div');
      box.className = 'chart';
      box.id = `chart-${c.id}`;
      box.innerHTML = `<h3>${c.title}</h3><div class="plot"></div><p class="empty" hidden>no data yet</p>`;
      root.append(box);
    }
    box.querySelector('.empty').hidden = hasData;
    box.dataset.points = String(data[0].length);
    const existing = plots.get(c.id);
    if (existing && existing.root.isConnected) {
      existing.setData(data);
      continue;
    }
    // No spanGaps: a missing value (null: a metric not reported, a gap in the records) breaks the line; other series' points (undefined) do not.
    const opts = { width: WIDTH(), height: 220, series: [{}, ...c.series], scales: { x: { time: true } }, axes: [{}, { size: 70 }] }; // 70 px: '10,000' ev/s fits beside the axis
    plots.set(c.id, new uPlot(opts, data, box.querySelector('.plot')));
  }
}

/** Forgets the charts (a page change removed their elements). */
export function resetCharts() {
  for (const p of plots.values()) p.destroy();
  plots.clear();
}
