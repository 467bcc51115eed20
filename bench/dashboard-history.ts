/**
 * The dashboard over a 24-hour control history (issue 22): a control.db holding what a controller
 * with a 10 s tick and the paced actuator records in 24 h — a decision every 10 s, a checkpoint
 * triggered and completed every interval (10–30 s, changing every 2 h), a failure and its
 * recovery every 3 h — written through the real SqliteControlStore in a few seconds (the records
 * are made here, not by a controller: a "compressed" history). Then the real dashboard server
 * (in this process) over it, measured: the first live view (time and bytes of the first `run`
 * event of /api/live), /api/overview and /metrics, the server process's memory, and, when
 * Debian's chromium is there (KHAOS_CHROMIUM, else `chromium` on PATH), the time from opening the
 * page to the first chart drawn with every point. Last, a page kept open while the run grows by a
 * decision a second (written through a second store, as a controller would): the server's CPU time
 * per second of that, and how long each new record took to reach the page.
 * Run: npx tsx bench/dashboard-history.ts [hours]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { SqliteControlStore } from '../src/adapters/sqlite/sqlite-control-store.js';
import { DashboardData } from '../src/app/dashboard/data.js';
import { initialPolicyState } from '../src/core/control/policy.js';
import { startDashboard } from '../src/dashboard/serve.js';
import { findChromium } from '../src/adapters/system/executables.js';
import { report } from './lib.js';

const hours = Number(process.argv[2] ?? 24);
const home = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-dash-bench-'));
process.env.KHAOS_HOME = home;
const file = path.join(home, 'control.db');
const store = new SqliteControlStore(file);
const t0 = Date.UTC(2026, 0, 1);
const runId = 'bench-24h';
const endMs = t0 + hours * 3_600_000;
const written = Date.now();
store.createRun({ id: runId, startedAtMs: t0, status: 'running', ownerPid: process.pid, policy: 'khaos+', actuator: 'paced', dryRun: false, restUrl: 'http://127.0.0.1:8081', jobId: 'j', fallbackIntervalMs: 600_000, config: { job: { kind: 'iot' }, control: { options: { latencyTargetMs: 1000, recoveryTargetS: 20 } } } });
let decisions = 0;
let events = 0;
let nextCheckpoint = t0;
for (let t = t0; t < endMs; t += 10_000) {
  const interval = [10_000, 20_000, 30_000][Math.floor((t - t0) / 7_200_000) % 3]!;
  const eps = 3000 + 1500 * Math.sin(((t - t0) / 3_600_000) * Math.PI);
  store.recordDecision({
    runId, atMs: t, policy: 'khaos+', actuator: 'paced', action: 'keep', fromIntervalMs: interval, toIntervalMs: interval, reason: 'both targets met at the interval in force', outcome: 'kept', outageMs: 0, modelVersion: 'm1',
    observation: { atMs: t, intervalMs: interval, throughputEps: eps, latencyMs: 200 + eps / 20, forecastEps: eps * 1.1, uptimeMs: 1, failuresSeen: 0, observedForMs: t - t0, lagRecords: 50, recovering: false },
    predictions: { throughputEps: eps, latencyMs: 210 + eps / 20, recoveryS: { low: 8, mid: 11, high: 15 } },
    state: initialPolicyState(),
  });
  decisions++;
  for (; nextCheckpoint <= t; nextCheckpoint += interval) {
    store.recordEvent({ runId, atMs: nextCheckpoint, kind: 'checkpoint-triggered', detail: 'triggered checkpoint (due)' });
    store.recordEvent({ runId, atMs: nextCheckpoint + 300, kind: 'checkpoint-completed', detail: 'checkpoint completed in 300 ms', data: { tookMs: 300 } });
    events += 2;
  }
  if ((t - t0) % 10_800_000 === 5_400_000) {
    store.recordEvent({ runId, atMs: t, kind: 'failure', detail: 'job left RUNNING (RESTARTING)' });
    store.recordEvent({ runId, atMs: t + 14_000, kind: 'recovery', detail: 'recovered in 14.0 s', data: { origin: 'production', sample: { ciMs: interval, throughputEps: eps, latencyMs: 300, recoverySec: 14, detectionSec: 2, restartSec: 3, catchupSec: 9 } } });
    events += 2;
  }
}
const writeMs = Date.now() - written;
store.close();

const { dashboardSources } = await import('../src/compose.js');
const sources = dashboardSources();
const memBefore = process.memoryUsage();
const dashboard = await startDashboard({ data: new DashboardData(sources), token: 'bench-token-0123456789', host: '127.0.0.1', port: 0, liveEveryMs: 1000 });

async function timed<T>(f: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const s = performance.now();
  const value = await f();
  return { ms: Math.round(performance.now() - s), value };
}

/** The first `run` event of the live stream: how long until it is whole, and its bytes. */
async function firstLiveView(): Promise<{ ms: number; bytes: number }> {
  const s = performance.now();
  const res = await fetch(`${dashboard.url}api/live`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  // Events end with a blank line; only the end of what came is looked at (the view is megabytes).
  while (!(text.includes('event: run\n') && text.endsWith('\n\n'))) text += decoder.decode((await reader.read()).value, { stream: true });
  await reader.cancel();
  const run = text.slice(text.indexOf('event: run\ndata: ') + 'event: run\ndata: '.length, -2);
  return { ms: Math.round(performance.now() - s), bytes: Buffer.byteLength(run) };
}

const live = await firstLiveView();
const overview = await timed(async () => (await fetch(`${dashboard.url}api/overview`)).text());
const metrics = await timed(async () => (await fetch(`${dashboard.url}metrics`)).text());
const pageFiles = fs.readdirSync(path.join(path.dirname(fileURLToPath(import.meta.url)), '../src/dashboard/public')).filter((f) => f !== 'index.html').map((f) => `static/${f}`);
const staticBytes = (await Promise.all(['', ...pageFiles, 'vendor/uPlot.esm.js', 'vendor/uPlot.min.css'].map(async (p) => (await (await fetch(`${dashboard.url}${p}`)).arrayBuffer()).byteLength))).reduce((a, b) => a + b, 0);
const memAfter = process.memoryUsage();

let browser: Record<string, unknown> = { skipped: 'no chromium (apt-get install chromium, or set KHAOS_CHROMIUM)' };
const executablePath = findChromium();
if (executablePath) try {
  const { chromium } = await import('playwright-core');
  const b = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  const page = await b.newPage();
  const s = performance.now();
  await page.goto(`${dashboard.url}#/live`);
  await page.waitForFunction((n) => Number(document.querySelector('#chart-rate')?.getAttribute('data-points')) >= n && !!document.querySelector('#chart-rate canvas'), decisions, { timeout: 120_000 });
  const firstChartMs = Math.round(performance.now() - s);
  await page.waitForSelector('#timeline tr.decision');
  const allDrawnMs = Math.round(performance.now() - s);
  await b.close();
  browser = { firstChartMs, pageCompleteMs: allDrawnMs };
} catch (e) {
  browser = { skipped: (e as Error).message.split('\n')[0] };
}
/**
 * A page left open for `seconds` while a decision a second is appended (a controller's pace): the
 * process's CPU ms per wall second (the stream's looks, the writes and this reader), and the delay
 * from each write to its `append` event.
 */
async function openPageWhileGrowing(seconds: number): Promise<{ cpuMsPerSecond: number; appends: number; medianDelayMs: number }> {
  const writer = new SqliteControlStore(file);
  const res = await fetch(`${dashboard.url}api/live?run=${runId}`);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let text = '';
  // Drops what was read up to and including `marker` (searching only what came since the last look).
  const readUntil = async (marker: string) => {
    let from = 0;
    while (text.indexOf(marker, from) < 0) {
      from = Math.max(0, text.length - marker.length);
      text += decoder.decode((await reader.read()).value, { stream: true });
    }
    text = text.slice(text.indexOf(marker, from) + marker.length);
  };
  await readUntil('event: run\n');
  await readUntil('\n\n');
  const cpu0 = process.cpuUsage();
  const wall0 = performance.now();
  const delays: number[] = [];
  for (let k = 0; k < seconds; k++) {
    const t = endMs + k * 10_000;
    const written = performance.now();
    writer.recordDecision({ runId, atMs: t, policy: 'khaos+', actuator: 'paced', action: 'keep', fromIntervalMs: 10_000, toIntervalMs: 10_000, reason: 'appended while the page is open', outcome: 'kept', outageMs: 0, observation: { atMs: t, intervalMs: 10_000, throughputEps: 3000, latencyMs: 300, uptimeMs: 1, failuresSeen: 0, observedForMs: 1, recovering: false }, state: initialPolicyState() });
    await readUntil(`"atMs":${t}`);
    delays.push(performance.now() - written);
    await new Promise((r) => setTimeout(r, Math.max(0, wall0 + (k + 1) * 1000 - performance.now())));
  }
  const cpu = process.cpuUsage(cpu0);
  const wallS = (performance.now() - wall0) / 1000;
  await reader.cancel();
  writer.close();
  delays.sort((a, b) => a - b);
  return { cpuMsPerSecond: Math.round((cpu.user + cpu.system) / 1000 / wallS), appends: delays.length, medianDelayMs: Math.round(delays[Math.floor(delays.length / 2)]!) };
}
const openPage = await openPageWhileGrowing(20);
await dashboard.close();
sources.close();

const mib = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
report(
  'dashboard-history',
  { hours, decisions, events, controlDbMiB: mib(fs.statSync(file).size), writeSeconds: writeMs / 1000, liveEveryMs: 1000, note: 'records made by the bench (a compressed history), not by a controller; server and client on this machine' },
  {
    firstLiveView: { ms: live.ms, bytes: live.bytes },
    overview: { ms: overview.ms, bytes: Buffer.byteLength(overview.value) },
    metrics: { ms: metrics.ms, bytes: Buffer.byteLength(metrics.value) },
    pageStaticBytes: staticBytes,
    serverMemoryMiB: { rssBefore: mib(memBefore.rss), rssAfter: mib(memAfter.rss), heapUsedAfter: mib(memAfter.heapUsed) },
    browser,
    pageOpenWhileGrowing: openPage,
  },
);
fs.rmSync(home, { recursive: true, force: true });
