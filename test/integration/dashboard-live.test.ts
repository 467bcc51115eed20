import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { DashboardData } from '../../src/app/dashboard/data.js';
import { dashboardSources, localControlDeps } from '../../src/compose.js';
import { findChromium } from '../../src/adapters/system/executables.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/serve.js';
import { exampleControlRun, fileStack, progress } from './helpers.js';

const TOKEN = 'integration-token-0123456789';

/** Resolves when `f` returns a value (not undefined) within `ms`, polling; rejects naming `what` otherwise. */
async function until<T>(what: string, ms: number, f: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * The dashboard beside a real controller: khaos+ with paced checkpoints on the IoT job of a real
 * local stack, TaskManagers killed at +40 s and +85 s, watched in Debian's chromium.
 */
describe('the dashboard beside khaos control on the local stack, in a real browser', () => {
  const stackOf = fileStack('dash', { stack: { heartbeatTimeout: '5s' } });
  let browser: Browser;
  let dashboard: RunningDashboard;
  let close: () => void;

  beforeAll(async () => {
    const executablePath = findChromium();
    if (!executablePath) throw new Error('no chromium on PATH: install Debian’s chromium package (apt-get install chromium), or set KHAOS_CHROMIUM');
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
    await dashboard?.close();
    close?.();
  });

  it('renders the live run; the failure appears and its recovery is filled in; a decision opens; an override with the token paces the next checkpoints; no console errors', async () => {
    const stack = stackOf();
    const deps = localControlDeps(stack, progress);
    const sources = dashboardSources(deps.store);
    close = sources.close;
    dashboard = await startDashboard({ data: new DashboardData(sources), token: TOKEN, host: '127.0.0.1', port: 0, liveEveryMs: 500 });
    const page = await browser.newPage();
    const consoleErrors: string[] = [];
    page.on('console', (m) => m.type() === 'error' && consoleErrors.push(m.text()));
    page.on('pageerror', (e) => consoleErrors.push(e.message));
    await page.goto(`${dashboard.url}#/live`);
    let runId: string | undefined;
    const control = exampleControlRun(deps);
    try {
      await page.waitForSelector('#run-status[data-status="running"]', { timeout: 180_000 });
      runId = (await page.getAttribute('#run-view', 'data-run'))!;
      await page.waitForSelector('#timeline tr.decision', { timeout: 60_000 });

      // An override with the token: the controller applies it on its next tick; the paced checkpoints follow.
      await page.fill('#token', TOKEN);
      await page.fill('#ov-interval', '4000');
      await page.fill('#ov-for', '25s');
      await page.click('button[data-cmd="override"]');
      await page.waitForFunction(() => /^queued/.test(document.querySelector('#command-result')?.textContent ?? ''));
      const applied = await until('the override applied', 15_000, () => deps.store.decisions(runId!).find((d) => d.by === 'person' && d.action === 'change' && d.toIntervalMs === 4000 && d.outcome === 'applied'));
      const held = await until('paced checkpoints at the override', 40_000, () => {
        const ts = deps.store.events(runId!, 'checkpoint-completed').map((e) => (e.data as { triggeredAtMs: number }).triggeredAtMs).filter((t) => t > applied.atMs + 4000 && t < applied.atMs + 25_000);
        return ts.length >= 4 ? ts : undefined;
      });
      const kills = deps.store.events(runId, 'chaos-kill').map((k) => k.atMs);
      const gaps = held.slice(1).map((t, i) => t - held[i]!).filter((_g, i) => !kills.some((k) => k > held[i]! - 20_000 && k < held[i + 1]!));
      for (const g of gaps) expect(Math.abs(g - 4000), `gap ${g} ms`).toBeLessThanOrEqual(400);

      // The failure appears within 5 s of the controller recording it, and its recovery is filled in once measured.
      const failure = await until('a failure recorded', 120_000, () => deps.store.events(runId!, 'failure')[0]);
      await page.waitForSelector('#failures tr.failure', { timeout: 5000 });
      progress(`failure shown ${Date.now() - failure.atMs} ms after it was recorded`);
      await page.waitForFunction(() => /^\d+\.\d s vs target 15 s [✓✗]$/.test(document.querySelector('#failures .recovery')?.textContent ?? ''), undefined, { timeout: 120_000 });

      // Every chart has data; a decision opens with its reason.
      // One point per evaluation (every 10 s): next to CPU hogs the fourth may still be on its way, so wait for it, with a deadline.
      for (const id of ['rate', 'latency', 'lag', 'interval'])
        await page.waitForFunction((chart) => Number(document.querySelector(`#chart-${chart}`)?.getAttribute('data-points')) > 3, id, { timeout: 60_000 });
      if (process.env.KHAOS_SCREENSHOTS) {
        await page.setViewportSize({ width: 1300, height: 1100 });
        await page.screenshot({ path: path.join(process.env.KHAOS_SCREENSHOTS, 'dashboard-live-local-stack.png') });
      }
      await page.click('#timeline tr.decision >> nth=0');
      expect(await page.textContent('#details-body')).toMatch(/^.*\n\nReason: \S/);
    } finally {
      const r = await control;
      expect(r.reconciliation.ok).toBe(true);
      await deps.bus.close();
    }
    await page.waitForSelector('#run-status[data-status="stopped"]', { timeout: 10_000 });
    expect(consoleErrors).toEqual([]);
    deps.store.close();
  });
});
