import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { SqliteControlStore } from '../../src/adapters/sqlite/sqlite-control-store.js';
import type { ControlRun } from '../../src/core/control/records.js';
import { SqliteProfileStore } from '../../src/adapters/sqlite/sqlite-profile-store.js';
import { JAR, notRecoveredMeasurements, syntheticMeasurements, syntheticProfile, withSeries } from '../support/profile-fixture.js';
import { jobIdentity } from '../../src/core/job-identity.js';
import { builtInJob } from '../../src/core/jobs.js';
import { writeEvaluationFixtures } from '../support/evaluation-fixture.js';
import { DashboardData } from '../../src/app/dashboard/data.js';
import { startDashboard, type RunningDashboard } from '../../src/dashboard/serve.js';
import { controlledRunWithKill } from '../fakes/controlled-run.js';
import { launchChromium, MAX_SCREENSHOT_BYTES, openPage, screenshot } from '../support/dashboard-browser.js';

const TOKEN = 'browser-test-token-0123456789';
/**
 * Where the screenshots go, only when asked (CI leaves the tree clean): KHAOS_SCREENSHOTS=1 writes
 * docs/dashboard/ (the committed ones), any other value is a directory to write them to.
 */
const SCREENSHOTS = process.env.KHAOS_SCREENSHOTS === '1' ? path.join(path.dirname(fileURLToPath(import.meta.url)), '../../docs/dashboard') : process.env.KHAOS_SCREENSHOTS || undefined;

/**
 * The dashboard in a real Chromium, over a control.db that a real controller wrote (khaos+ on the
 * fake platform, one TaskManager killed), its run marked running as while a controller runs.
 */
describe('the dashboard in a real browser, over recorded control runs', () => {
  let home: string;
  let dashboard: RunningDashboard;
  let browser: Browser;
  let store: SqliteControlStore;
  let close: () => void;
  const consoleErrors: string[] = [];

  beforeAll(async () => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-browser-'));
    process.env.KHAOS_HOME = home;
    store = new SqliteControlStore(path.join(home, 'control.db'));
    await controlledRunWithKill(store, 'khaos+', 'run-live', { config: { job: { kind: 'iot' }, control: { options: { latencyTargetMs: 1000, recoveryTargetS: 20 } } } });
    store.setRunStatus('run-live', 'running');
    olderRuns(store);
    const profiles = new SqliteProfileStore(path.join(home, 'khaos.db'));
    const profile = syntheticProfile('p-1');
    profiles.createProfile({ ...profile, plan: { ...profile.plan, jobIdentity: jobIdentity(builtInJob('iot'), 1, JAR) } });
    const ms = syntheticMeasurements(3, 'p-1').map((m) => withSeries(m));
    for (const pointIndex of new Set(ms.map((m) => m.pointIndex))) {
      const at = ms.find((m) => m.pointIndex === pointIndex)!.injectedAtMs;
      profiles.saveStep({ profileId: 'p-1', pointIndex, repetition: 0, status: 'done', startedAtMs: at - 60_000, endedAtMs: at + 420_000 }, ms.filter((m) => m.pointIndex === pointIndex));
    }
    const failed = notRecoveredMeasurements('p-1');
    profiles.saveStep({ profileId: 'p-1', pointIndex: 0, repetition: 1, status: 'done', startedAtMs: failed[0]!.injectedAtMs - 60_000, endedAtMs: failed[1]!.injectedAtMs + 660_000 }, failed);
    profiles.close();
    const { dashboardSources } = await import('../../src/compose.js');
    const evaluations = writeEvaluationFixtures(home);
    const sources = dashboardSources(undefined, [evaluations.sim, evaluations.real]);
    close = sources.close;
    dashboard = await startDashboard({ data: new DashboardData(sources), token: TOKEN, host: '127.0.0.1', port: 0, liveEveryMs: 200 });
    browser = await launchChromium();
  });

  /**
   * Two runs older than run-live, from its records: run-gaps (stopped) with a 10-minute hole in its
   * decisions, one decision without a latency, and no candidates kept; run-dies, running under a process this test kills.
   */
  function olderRuns(st: SqliteControlStore) {
    const live = st.getRun('run-live')!;
    const ds = st.decisions('run-live');
    const copy = (runId: string, startedAtMs: number, over: Partial<ControlRun>) => {
      st.createRun({ ...live, id: runId, startedAtMs, ...over });
      const shift = startedAtMs - live.startedAtMs;
      ds.forEach((d, i) => {
        const hole = runId === 'run-gaps' && i >= ds.length / 2 ? 600_000 : 0;
        const observation = { ...d.observation, atMs: d.atMs + shift + hole, ...(i === 3 ? { latencyMs: Number.NaN } : {}) };
        // run-gaps as recorded before decisions kept their candidates.
        const predictions = d.predictions && runId === 'run-gaps' ? { ...d.predictions, candidates: undefined } : d.predictions;
        st.recordDecision({ ...d, runId, atMs: d.atMs + shift + hole, observation, predictions });
      });
    };
    copy('run-gaps', live.startedAtMs - 7_200_000, { status: 'stopped' });
    dying = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1e6)'], { stdio: 'ignore' });
    copy('run-dies', live.startedAtMs - 3_600_000, { status: 'running', ownerPid: dying.pid });
  }
  let dying: ChildProcess | undefined;

  afterAll(async () => {
    dying?.kill('SIGKILL');
    await browser?.close();
    await dashboard?.close();
    close?.();
    store?.close();
    fs.rmSync(home, { recursive: true, force: true });
  });

  const open = (hash: string): Promise<Page> => openPage(browser, `${dashboard.url}${hash}`, consoleErrors);

  it('the live view renders every chart with data, the failure with its measured recovery, and the decision timeline', async () => {
    const page = await open('#/live');
    await page.waitForSelector('#timeline tr.decision', { timeout: 10_000 });
    expect(await page.textContent('#run-status')).toContain('run-live');
    for (const id of ['rate', 'latency', 'lag', 'interval']) {
      expect(Number(await page.getAttribute(`#chart-${id}`, 'data-points'))).toBeGreaterThan(5);
      expect(await page.isVisible(`#chart-${id} canvas`)).toBe(true);
      expect(await page.isHidden(`#chart-${id} .empty`)).toBe(true);
    }
    expect(await page.textContent('#failures .recovery')).toMatch(/^\d+\.\d s vs target 20 s [✓✗]$/);
    expect(await page.locator('#timeline tr.decision').count()).toBe(store.decisions('run-live').length);
    await page.close();
  });

  it('clicking a decision opens its observation, predictions, policy state and reason', async () => {
    const page = await open('#/live');
    const newest = store.decisions('run-live').at(-1)!;
    await page.click('#timeline tr.decision >> nth=0');
    await page.waitForSelector('#details[open]');
    const text = (await page.textContent('#details-body'))!;
    expect(text).toContain(`Reason: ${newest.reason}`);
    expect(text).toMatch(/Observation: \{\n {2}"atMs"/);
    expect(text).toMatch(/Predictions at \d+ ev\/s: latency \d+ ms, recovery \d+\.\d s \(interval/);
    expect(text).toMatch(/Candidates considered: \d+ weighed, ranked best \d+(\.\d)? s; \d+ kept with the decision:\n {2}interval +latency/);
    expect(text).toContain(`${newest.fromIntervalMs / 1000} s`);
    expect(text).toMatch(/in force/);
    expect(text).toContain('Policy state: {');
    await page.close();
  });

  it('a command from the page without the token is refused; with it, it is queued; from another origin nothing is queued', async () => {
    const page = await open('#/live');
    await page.waitForSelector('#controls');
    await page.fill('#token', '');
    await page.click('button[data-cmd="pause"]');
    await expect.poll(() => page.textContent('#command-result')).toMatch(/^refused: this call needs the dashboard token/);
    // Chromium logs the refused call's 401 as a console error: expected here, and the only one.
    expect(consoleErrors.splice(0)).toEqual(['Failed to load resource: the server responded with a status of 401 (Unauthorized)']);
    expect(store.pendingCommands('run-live')).toEqual([]);
    await page.fill('#token', TOKEN);
    await page.click('button[data-cmd="pause"]');
    await expect.poll(() => page.textContent('#command-result')).toMatch(/^queued \(#\d+\)/);
    expect(store.pendingCommands('run-live').map((c) => c.command)).toEqual([{ kind: 'pause' }]);
    // Another origin (the same server named localhost instead of 127.0.0.1), even holding the token:
    // with the token header the browser must ask first, and the server grants no cross-origin call;
    // as a plain no-cors post (no token header possible) the server refuses it. Nothing is queued.
    const other = await browser.newPage();
    await other.goto(dashboard.url.replace('127.0.0.1', 'localhost'));
    const url = `${dashboard.url}api/runs/run-live/commands`;
    const outcomes = await other.evaluate(
      async ([u, token]) => {
        const withToken = await fetch(u, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: '{"kind":"resume"}' }).then((r) => `answered ${r.status}`, (e: Error) => `failed: ${e.name}`);
        const plain = await fetch(u, { method: 'POST', mode: 'no-cors', headers: { 'content-type': 'text/plain' }, body: '{"kind":"resume"}' }).then((r) => r.type, (e: Error) => `failed: ${e.name}`);
        return [withToken, plain];
      },
      [url, TOKEN] as const,
    );
    expect(outcomes).toEqual(['failed: TypeError', 'opaque']);
    expect(store.pendingCommands('run-live')).toHaveLength(1);
    await other.close();
    await page.close();
  });

  it('a controller that dies while the page is open: the page says it stopped, and when; one that stops, too', async () => {
    const page = await open('#/runs/run-dies');
    await page.waitForSelector('#run-status[data-status="running"]');
    const exited = new Promise((r) => dying!.once('exit', r));
    dying!.kill('SIGKILL');
    await exited;
    await page.waitForSelector('#run-status[data-status="interrupted"]', { timeout: 5000 });
    const last = store.decisions('run-dies').at(-1)!.atMs;
    expect(await page.textContent('#run-status')).toContain(`the controller stopped without closing the run (killed?) — its last record at ${new Date(last).toISOString().replace('T', ' ').slice(0, 19)} UTC`);
    await page.goto(`${dashboard.url}#/live`);
    await page.waitForSelector('#run-status[data-status="running"]');
    store.setRunStatus('run-live', 'stopped');
    await page.waitForSelector('#run-status[data-status="stopped"]', { timeout: 5000 });
    expect(await page.textContent('#run-status')).toMatch(/stopped — its last record at \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    store.setRunStatus('run-live', 'running');
    await page.close();
  });

  it('records with gaps: the page names the stretch with no decision, the charts break there, a missing latency is no point; a decision recorded before candidates were kept says so', async () => {
    const page = await open('#/runs/run-gaps');
    await page.waitForSelector('#gaps');
    const ds = store.decisions('run-gaps');
    const before = ds[Math.ceil(ds.length / 2) - 1]!.atMs;
    const after = ds[Math.ceil(ds.length / 2)]!.atMs;
    const t = (ms: number) => new Date(ms).toISOString().replace('T', ' ').slice(0, 19);
    expect(await page.textContent('#gaps')).toBe(`No decision recorded from ${t(before)} UTC to ${t(after)} UTC (the controller stopped or stalled, or the records have a hole): the charts break there.`);
    for (const id of ['rate', 'latency', 'lag', 'interval']) {
      // Every decision and the break.
      expect(Number(await page.getAttribute(`#chart-${id}`, 'data-points'))).toBe(ds.length + 1);
      expect(await page.isVisible(`#chart-${id} canvas`)).toBe(true);
    }
    const series = await page.evaluate(async () => (await (await fetch('/api/runs/run-gaps')).json()).series);
    expect(series[3].latencyMs).toBeNull(); // recorded as NaN: no point, the latency line breaks there
    await page.click('#timeline tr.decision >> nth=0');
    await page.waitForSelector('#details[open]');
    expect(await page.textContent('#details-body')).toContain('Candidates considered: not recorded (a decision recorded before Khaos kept them)');
    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('on recorded data: the runs, profiles, a profile, its models and the evaluations render; the pages logged no console errors', async () => {
    const page = await open('#/runs');
    await page.waitForSelector('#runs a');
    expect(await page.textContent('#runs')).toContain('run-live');
    await page.goto(`${dashboard.url}#/profiles`);
    await page.waitForSelector('#profiles a');
    expect(await page.textContent('#profiles')).toMatch(/p-1.*iot/s);
    await page.goto(`${dashboard.url}#/profiles/p-1`);
    await page.waitForSelector('#measurements');
    expect(await page.locator('#measurements tr').count()).toBe(15); // a header and 14 failures
    expect(await page.locator('#steps tr').count()).toBe(6); // a header and 5 steps
    expect(await page.textContent('#plan')).toMatch(/kill, timed before-checkpoint \(0\.5 s before the next checkpoint\)/);
    expect(await page.textContent('#not-recovered')).toMatch(/^1 timed out .*, 1 unmeasured .*0\.1 at 10 s \(timeout\), 0\.1 at 30 s \(unmeasured\)\.$/);
    expect(await page.locator('#failure-charts .chart canvas').count()).toBe(14);
    // From the timeouts to the first failures' series (the whole page would be over 300 KB).
    if (SCREENSHOTS) await screenshot(page, { url: page.url(), ready: '#measurements', from: '#not-recovered', file: path.join(SCREENSHOTS, 'dashboard-profile.png') });
    for (const n of await page.locator('#failure-charts .plot').evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-points'))))) expect(n).toBeGreaterThan(40);
    await page.goto(`${dashboard.url}#/models/p-1`);
    await page.waitForSelector('#cv');
    for (const id of ['model-recovery', 'model-latency']) {
      expect(Number(await page.getAttribute(`#${id}`, 'data-points'))).toBeGreaterThan(12);
      expect(await page.isVisible(`#${id} canvas`)).toBe(true);
    }
    expect(await page.textContent('#cv')).toContain('(chosen)');
    expect(await page.textContent('main')).toContain('1 learned in production');
    expect(await page.textContent('#fitted-for')).toMatch(new RegExp(`^Fitted for: iot · entry class \\S+ · parallelism 1 · jar sha256 ${JAR.slice(0, 16)}… · .*fingerprint [0-9a-f]{16} · Flink 1\\.20\\.1$`));
    await page.goto(`${dashboard.url}#/evaluations`);
    await page.waitForSelector('.evaluation .pareto canvas');
    expect(await page.locator('.evaluation .kind').allTextContents()).toEqual(['SIMULATED (the fluid model, not measured on Flink)', 'MEASURED on Flink']);
    expect(await page.getAttribute('.evaluation[data-kind="simulated"] .pareto', 'data-points')).toBe('4');
    expect(await page.textContent('.evaluation[data-kind="measured"] .gaps')).toMatch(/khaos\+.*12\.0 s \/ 10\.0 s.*16\.67 %/s);
    // Each run's interval over time (khaos+ stepping 30 → 10 → 20 s in the simulated one) and its recoveries against the 20 s target.
    for (const kind of ['simulated', 'measured']) expect(await page.isVisible(`.evaluation[data-kind="${kind}"] .intervals canvas`)).toBe(true);
    expect(Number(await page.getAttribute('.evaluation[data-kind="simulated"] .intervals', 'data-points'))).toBe(5); // 0, 800, 1200, 2400 s and the end
    const simRecoveries = await page.locator('.evaluation[data-kind="simulated"] .recoveries tr').allTextContents();
    // Every run's failure at the same second: the second said once, beside the failure.
    expect(simRecoveries).toEqual(['failurestatic:10sstatic:30skhaos+oracle', 'F1 at 900 s14.0 s ✓31.0 s ✗14.0 s ✓14.0 s ✓', 'F2 at 2700 s12.0 s ✓not recovered ✗12.0 s ✓12.0 s ✓']);
    expect(await page.textContent('.evaluation[data-kind="measured"] .recoveries')).toMatch(/F1 at 300 s12\.0 s ✓25\.0 s ✗11\.0 s ✓/);
    // Policies at the same point of the Pareto plot are named below it: none here; khaos+ moved onto static:10s, both.
    expect(await page.locator('.same-point').count()).toBe(0);
    // As text: vitest would rewrite the page's import().
    const named = await page.evaluate(`(async () => {
      const { renderEvaluations } = await import('/static/evaluations.js');
      const e = (await (await fetch('/api/evaluations')).json()).evaluations[0];
      e.policies = e.policies.map((p) => (p.name === 'khaos+' ? { ...p, latencyViolationShare: 0.01, recoveryViolations: 3 } : p));
      const root = document.createElement('div');
      renderEvaluations(root, { evaluations: [e] }, (h) => h);
      return root.querySelector('.same-point')?.textContent;
    })()`);
    expect(named).toBe('Drawn on one another: static:10s, khaos+ (1.00 %, 3 recovery violations).');
    if (SCREENSHOTS) {
      await screenshot(page, { url: `${dashboard.url}#/evaluations`, ready: '.evaluation .pareto canvas', file: path.join(SCREENSHOTS, 'dashboard-evaluations.png') });
      await screenshot(page, { url: `${dashboard.url}#/models/p-1`, ready: '#cv', file: path.join(SCREENSHOTS, 'dashboard-models.png') });
      await page.goto(`${dashboard.url}#/live`);
      await page.waitForSelector('#timeline tr.decision');
      await page.screenshot({ path: path.join(SCREENSHOTS, 'dashboard-live.png'), fullPage: false });
      expect(fs.statSync(path.join(SCREENSHOTS, 'dashboard-live.png')).size).toBeLessThan(MAX_SCREENSHOT_BYTES);
    }
    await page.close();
    expect(consoleErrors).toEqual([]);
  });
});
