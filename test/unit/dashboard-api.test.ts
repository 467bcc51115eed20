import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import { MemoryControlStore } from '../../src/adapters/memory/memory-control-store.js';
import { SqliteControlStore } from '../../src/adapters/sqlite/sqlite-control-store.js';
import { SqliteProfileStore } from '../../src/adapters/sqlite/sqlite-profile-store.js';
import { ManualClock } from '../../src/adapters/sim/manual-clock.js';
import { KhaosError } from '../../src/core/errors.js';
import { DashboardData, type DashboardSources } from '../../src/app/dashboard/data.js';
import type { EvaluationFiles } from '../../src/app/dashboard/evaluations.js';
import { writeEvaluationFixtures } from '../support/evaluation-fixture.js';
import type { RunView } from '../../src/app/control/run-records.js';
import { dashboardApp } from '../../src/dashboard/server.js';
import { checkBind } from '../../src/dashboard/security.js';
import { startDashboard } from '../../src/dashboard/serve.js';
import { MemoryProfileStore } from '../fakes/memory-profile-store.js';
import { controlledRunWithKill } from '../fakes/controlled-run.js';
import { parsePrometheusText } from './prometheus-text.js';
import { syntheticMeasurements, syntheticProfile, withSeries } from '../support/profile-fixture.js';
import { failureSeries } from '../../src/report/failure-series.js';
import { profileModelData } from '../../src/report/profile-report.js';

const TOKEN = 'a-token-of-enough-length';
const HOST = '127.0.0.1:8790';

function dashboard(store: MemoryControlStore | undefined, profiles?: MemoryProfileStore, evaluations: EvaluationFiles[] = []) {
  const sources: DashboardSources = {
    evaluations: () => evaluations,
    controlRecords: () => store,
    profileRecords: () => profiles,
    queueCommand: (runId, atMs, c) => store!.queueCommand(runId, atMs, c),
    alive: (pid) => pid === process.pid,
    clock: new ManualClock(),
  };
  const app = dashboardApp({ data: new DashboardData(sources), token: TOKEN, host: '127.0.0.1', liveEveryMs: 10 });
  const get = (path: string) => app.request(path, { headers: { host: HOST } });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    app.request(path, { method: 'POST', body: JSON.stringify(body), headers: { host: HOST, 'content-type': 'application/json', ...headers } });
  return { app, get, post };
}

describe('dashboard API over the records of a real controller on the fake platform', { timeout: 30_000 }, () => {
  const store = new MemoryControlStore();
  beforeAll(async () => {
    await controlledRunWithKill(store, 'khaos+', 'run-1', { config: { job: { kind: 'iot' }, control: { options: { latencyTargetMs: 1000, recoveryTargetS: 20 } } } });
    store.setRunStatus('run-1', 'running'); // as while the controller runs (its owner pid is this process)
  }, 60_000); // a 120 s controlled run on the fake clock: 3-10 s of CPU, more on a busy machine

  it('lists the run as live, and gives its series, checkpoints, the failure with its measured recovery, and each decision with its reason', async () => {
    const { get } = dashboard(store);
    const ov = await (await get('/api/overview')).json();
    expect(ov).toMatchObject({ liveRunId: 'run-1', runs: [{ id: 'run-1', status: 'running', policy: 'khaos+', failures: 1 }] });
    expect(ov.runs[0].config).toBeUndefined();
    const v = (await (await get('/api/runs/run-1')).json()) as RunView;
    expect(v.series.length).toBe(v.decisions.length);
    expect(v.series.some((p) => p.throughputEps !== null && p.throughputEps > 2000)).toBe(true);
    expect(v.checkpoints.filter((c) => c.by === 'paced').length).toBeGreaterThan(5);
    expect(v.failures).toHaveLength(1);
    expect(v.failures[0]!.recovery!.recoverySec).toBeGreaterThan(0);
    expect(v.failures[0]!.recovery!.restartSec).not.toBeUndefined();
    expect(v.targets).toEqual({ latencyMs: 1000, recoveryS: 20 });
    expect(v.decisions.every((d) => d.reason.length > 0)).toBe(true);
    expect((await get('/api/runs/nope')).status).toBe(404);
  });

  it('serves /metrics in the text format, strictly parsed, with the figures of the records', async () => {
    const res = await dashboard(store).get('/metrics');
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const fams = parsePrometheusText(await res.text());
    const one = (name: string) => fams.get(name)!.samples.find((s) => s.labels.run === 'run-1')!.value;
    const ds = store.decisions('run-1');
    expect(fams.get('khaos_decisions_total')!.type).toBe('counter');
    expect(fams.get('khaos_decisions_total')!.samples.reduce((a, s) => a + s.value, 0)).toBe(ds.length);
    expect(one('khaos_failures_total')).toBe(1);
    expect(one('khaos_checkpoint_interval_seconds')).toBe((ds.at(-1)!.outcome === 'applied' ? ds.at(-1)!.toIntervalMs : ds.at(-1)!.fromIntervalMs) / 1000);
    expect(one('khaos_recovery_target_seconds')).toBe(20);
    expect(one('khaos_latency_target_seconds')).toBe(1);
    expect(one('khaos_predicted_recovery_seconds')).toBeGreaterThan(0);
    expect(one('khaos_last_recovery_seconds')).toBe((store.events('run-1', 'recovery')[0]!.data as { sample: { recoverySec: number } }).sample.recoverySec);
    expect(one('khaos_pacer_triggers_total')).toBe(store.events('run-1', 'checkpoint-triggered').length);
    expect(one('khaos_pacer_trigger_failures_total')).toBe(0);
    expect(fams.get('khaos_run_info')!.samples[0]!.labels).toMatchObject({ policy: 'khaos+', actuator: 'paced', status: 'running' });
  });

  it('a mutating call needs the token and the dashboard’s own origin; with both it is queued for the controller', async () => {
    const { post } = dashboard(store);
    const own = { origin: `http://${HOST}` };
    const no = await post('/api/runs/run-1/commands', { kind: 'pause' }, own);
    expect(no.status).toBe(401);
    expect((await no.json()).error).toMatch(/needs the dashboard token/);
    expect((await post('/api/runs/run-1/commands', { kind: 'pause' }, { ...own, authorization: 'Bearer wrong-token-of-same-len' })).status).toBe(401);
    const other = await post('/api/runs/run-1/commands', { kind: 'pause' }, { origin: 'http://evil.example', authorization: `Bearer ${TOKEN}` });
    expect(other.status).toBe(403);
    expect((await other.json()).error).toMatch(/another origin \(http:\/\/evil\.example\)/);
    expect(store.pendingCommands('run-1')).toEqual([]);
    const ok = await post('/api/runs/run-1/commands', { kind: 'override', intervalMs: 4000, for: '5min' }, { ...own, authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(202);
    expect(store.pendingCommands('run-1').map((c) => c.command)).toEqual([{ kind: 'override', intervalMs: 4000, untilMs: new ManualClock().now() + 300_000 }]);
    const bad = await post('/api/runs/run-1/commands', { kind: 'override', intervalMs: -1, for: '5min' }, { ...own, authorization: `Bearer ${TOKEN}` });
    expect(bad.status).toBe(400);
    expect((await bad.json()).error).toMatch(/intervalMs must be a whole number of ms above 0, got -1/);
  });

  it('refuses a request for another host name (DNS rebinding) and a command to a run no controller runs', async () => {
    const { app } = dashboard(store);
    expect((await app.request('/api/overview', { headers: { host: 'evil.example:8790' } })).status).toBe(403);
    const other = new MemoryControlStore();
    other.createRun({ id: 'old', startedAtMs: 1, status: 'running', ownerPid: -1, policy: 'khaos+', actuator: 'paced', dryRun: false, restUrl: 'x', fallbackIntervalMs: 1, config: {} });
    const r = await dashboard(other).post('/api/runs/old/commands', { kind: 'pause' }, { authorization: `Bearer ${TOKEN}` });
    expect(r.status).toBe(400);
    expect((await r.json()).error).toMatch(/control run old is interrupted: no controller would obey/);
  });

  it('profiles and models: the list, a profile’s measurements, and its models with profiled and production samples told apart', async () => {
    const profiles = new MemoryProfileStore();
    const record = syntheticProfile('p-1');
    profiles.createProfile(record);
    const ms = syntheticMeasurements(3, 'p-1').map((x) => withSeries(x));
    for (const pointIndex of new Set(ms.map((x) => x.pointIndex))) {
      profiles.saveStep({ profileId: 'p-1', pointIndex, repetition: 0, status: 'done', startedAtMs: 1, endedAtMs: 2 }, ms.filter((x) => x.pointIndex === pointIndex));
    }
    const { get } = dashboard(store, profiles);
    expect((await (await get('/api/profiles')).json()).profiles).toMatchObject([{ id: 'p-1', job: 'iot', steps: 4, measurements: ms.length, timeouts: 0 }]);
    const view = await (await get('/api/profiles/p-1')).json();
    expect(view.failures).toHaveLength(ms.length);
    expect(view.record.plan.intervalsMs).toEqual(record.plan.intervalsMs);
    expect(view.record.provenance.config).toBeUndefined();
    // Each failure's series as the profile report's plots take it: seconds from the injection, no raw samples.
    const first = [...ms].sort((a, b) => a.injectedAtMs - b.injectedAtMs)[0]!;
    expect(view.failures[0].series).toEqual(failureSeries(first));
    expect(view.failures[0].series.lag[0]).toEqual([-30, 50]);
    expect(JSON.stringify(view.failures)).not.toContain('"tMs"');
    const m = await (await get('/api/models/p-1')).json();
    const expected = profileModelData(record, ms, record.plan.seed);
    expect(m.profiled).toHaveLength(expected.samples.length);
    expect(m.fittedFor).toEqual({ jarSha256: record.provenance.jobJarSha256, flinkVersion: '1.20.1' }); // recorded before job identities: none
    expect(m.production).toEqual([expect.objectContaining({ runId: 'run-1', recoverySec: store.events('run-1', 'recovery').map((e) => (e.data as { sample: { recoverySec: number } }).sample.recoverySec)[0] })]);
    expect(m.fitting.models.filter((x: { chosen: boolean }) => x.chosen).map((x: { kind: string }) => x.kind).sort()).toEqual(['latency', 'recovery']);
    expect(m.fitting.curves.recovery.map((c: { ciMs: number }) => c.ciMs)).toEqual(expected.intervals);
    expect((await get('/api/models/nope')).status).toBe(404);
  });

  it('streams the overview and the live run by server-sent events, each look reading only the rows added since the last', async () => {
    // Every read of decisions, with how many it skipped.
    const reads: number[] = [];
    const decisions = store.decisions.bind(store);
    const spy = vi.spyOn(store, 'decisions').mockImplementation((runId, skip) => (reads.push(skip ?? 0), decisions(runId, skip)));
    const res = await dashboard(store).get('/api/live');
    expect(res.headers.get('content-type')).toMatch(/text\/event-stream/);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (re: RegExp) => {
      while (!re.test(text)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until(/event: run\ndata: .*\n\n/);
    expect(text).toMatch(/^event: overview\ndata: \{"runs":\[\{"id":"run-1"/);
    // A new decision: only it is sent, as an append.
    const last = decisions('run-1').at(-1)!;
    store.recordDecision({ ...last, atMs: last.atMs + 1000, reason: 'the appended one' });
    await until(/event: append\ndata: .*\n\n/);
    await reader.cancel();
    const append = JSON.parse(/event: append\ndata: (.*)\n\n/.exec(text)![1]!);
    expect(append.decisions.map((d: { reason: string }) => d.reason)).toEqual(['the appended one']);
    expect(append.series).toHaveLength(1);
    expect(append.run.decisions).toBe(decisions('run-1').length);
    // The first look read them all (skip 0); every later one only past what it had.
    spy.mockRestore();
    expect(reads[0]).toBe(0);
    expect(reads.slice(1).every((n) => n >= append.run.decisions - 1)).toBe(true);
    expect(reads.filter((n) => n === 0)).toHaveLength(1);
  });
});

describe('dashboard evaluations', () => {
  it('reads simulated and measured evaluations apart, with the verdict khaos evaluate gave and the sim-vs-real gaps; names a directory it cannot read', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-eval-'));
    const { sim, real } = writeEvaluationFixtures(dir);
    const files = [sim, real].map((d) => ({ dir: d, evaluate: JSON.parse(fs.readFileSync(path.join(d, 'evaluate.json'), 'utf8')), simVsReal: fs.existsSync(path.join(d, 'sim-vs-real.json')) ? JSON.parse(fs.readFileSync(path.join(d, 'sim-vs-real.json'), 'utf8')) : undefined }));
    const body = await (await dashboard(undefined, undefined, [...files, { dir: 'nowhere', problem: 'no evaluate.json in nowhere' }]).get('/api/evaluations')).json();
    const [s, r, bad] = body.evaluations;
    expect([s.kind, r.kind]).toEqual(['simulated', 'measured']);
    expect(s.policies.map((p: { name: string; role: string }) => `${p.name}:${p.role}`)).toEqual(['static:10s:static', 'static:30s:static', 'khaos+:policy', 'oracle:oracle']);
    expect(s.verdict).toEqual(files[0]!.evaluate.verdict);
    expect(r.gaps).toEqual([expect.objectContaining({ name: 'khaos+', recoveryGap: 0.1667 })]);
    expect(bad).toEqual({ dir: 'nowhere', problem: 'no evaluate.json in nowhere' });
  });
});

describe('dashboard with no records, and its bind', () => {
  it('says which command to run when there are no runs or profiles; /metrics is empty', async () => {
    const { get } = dashboard(undefined);
    expect((await (await get('/api/overview')).json()).hint).toMatch(/npx khaos control --config FILE --dashboard/);
    expect((await (await get('/api/profiles')).json()).hint).toMatch(/npx khaos profile --config FILE/);
    expect((await (await get('/api/evaluations')).json()).hint).toMatch(/npx khaos evaluate --sim .* then `npx khaos dashboard --evaluations khaos-evaluate`/);
    expect(await (await get('/metrics')).text()).toBe('');
    const page = await get('/');
    expect(page.headers.get('content-type')).toMatch(/text\/html/);
    expect((await get('/vendor/uPlot.esm.js')).status).toBe(200);
  });

  it('records it cannot read (a newer schema): the API and the live stream say why, with the fix', async () => {
    const newer = new KhaosError('environment', 'control database x/control.db has schema version 9; this Khaos knows up to 3', 'upgrade Khaos, or set KHAOS_HOME elsewhere');
    const data = new DashboardData({ controlRecords: () => { throw newer; }, profileRecords: () => undefined, queueCommand: () => 0, alive: () => false, clock: new ManualClock(), evaluations: () => [] });
    const app = dashboardApp({ data, token: TOKEN, host: '127.0.0.1', liveEveryMs: 10 });
    const r = await app.request('/api/overview', { headers: { host: HOST } });
    expect(r.status).toBe(500);
    expect(await r.json()).toEqual({ error: newer.message, hint: newer.hint });
    const live = await app.request('/api/live', { headers: { host: HOST } });
    const reader = live.body!.getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    await reader.cancel();
    expect(first).toBe(`event: problem\ndata: ${JSON.stringify({ error: newer.message, hint: newer.hint })}\n\n`);
  });

  it('a non-loopback host needs a token; a short token is refused; on loopback one is generated', () => {
    expect(() => checkBind('0.0.0.0', undefined)).toThrow(/--host 0\.0\.0\.0 binds beyond this machine, and no --token was given/);
    expect(() => checkBind('127.0.0.1', 'short')).toThrow(/--token is 5 characters long/);
    const g = checkBind('127.0.0.1', undefined);
    expect(g.generated).toBe(true);
    expect(g.token.length).toBeGreaterThanOrEqual(16);
    expect(checkBind('0.0.0.0', TOKEN)).toEqual({ token: TOKEN, generated: false });
  });

  it('a port in use is named in the message', async () => {
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const data = new DashboardData({ controlRecords: () => undefined, profileRecords: () => undefined, queueCommand: () => 0, alive: () => false, clock: new ManualClock(), evaluations: () => [] });
    await expect(startDashboard({ data, token: TOKEN, host: '127.0.0.1', port, liveEveryMs: 1000 })).rejects.toThrow(new RegExp(`port ${port} is in use on 127\\.0\\.0\\.1`));
    await new Promise((r) => blocker.close(r));
  });
});

describe('khaos dashboard: bad flags are refused before anything is bound', () => {
  it('a --host beyond this machine without a token, and a bad --port, exit 2 naming the fix', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { processIo } = await import('../../src/cli/common.js');
    const err: string[] = [];
    const io = processIo({ out: () => {}, err: (s: string) => void err.push(s) });
    expect(await main(['dashboard', '--host', '0.0.0.0'], io)).toBe(2);
    expect(err.join('')).toMatch(/--host 0\.0\.0\.0 binds beyond this machine, and no --token was given\n {2}→ give --token T/);
    expect(await main(['dashboard', '--port', '70000'], io)).toBe(2);
    expect(err.join('')).toMatch(/--port must be a port number \(0–65535\), got "70000"/);
    expect(await main(['control', '--dashboard-port', '9000'], io)).toBe(2);
    expect(err.join('')).toMatch(/--dashboard-port goes with --dashboard/);
  });

  it('a port in use: the command says which, and how to pick another (exit 3)', async () => {
    const { main } = await import('../../src/cli/main.js');
    const { processIo } = await import('../../src/cli/common.js');
    const blocker = net.createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', () => r()));
    const port = (blocker.address() as net.AddressInfo).port;
    const err: string[] = [];
    const home = process.env.KHAOS_HOME;
    process.env.KHAOS_HOME = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-dash-port-'));
    try {
      expect(await main(['dashboard', '--port', String(port)], processIo({ out: () => {}, err: (s: string) => void err.push(s) }))).toBe(3);
    } finally {
      process.env.KHAOS_HOME = home;
      await new Promise((r) => blocker.close(r));
    }
    expect(err.join('')).toMatch(new RegExp(`port ${port} is in use on 127\\.0\\.0\\.1\n {2}→ give another with --port N`));
  });
});

describe('dashboard over databases of older schema versions', () => {
  it('reads a control.db of an older version as it is (no commands table; the file is not migrated); refuses an older khaos.db naming the command that migrates it', async () => {
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-dash-old-'));
    const saved = process.env.KHAOS_HOME;
    process.env.KHAOS_HOME = home;
    try {
      const control = new SqliteControlStore(path.join(home, 'control.db'));
      await controlledRunWithKill(control, 'khaos+', 'run-old', { seconds: 60 });
      control.close();
      // Made older as an earlier Khaos left it: version 2 had no commands table; version 1 of khaos.db no calibrations.
      const downgrade = (file: string, sql: string, version: number) => {
        const db = new Database(file);
        db.exec(sql);
        db.pragma(`user_version = ${version}`);
        db.close();
      };
      downgrade(path.join(home, 'control.db'), 'DROP TABLE commands', 2);
      new SqliteProfileStore(path.join(home, 'khaos.db')).close();
      downgrade(path.join(home, 'khaos.db'), 'DROP TABLE calibrations', 1);
      const { dashboardSources } = await import('../../src/compose.js');
      const sources = dashboardSources();
      const app = dashboardApp({ data: new DashboardData(sources), token: TOKEN, host: '127.0.0.1', liveEveryMs: 10 });
      const get = (p: string) => app.request(p, { headers: { host: HOST } });
      const ov = await (await get('/api/overview')).json();
      expect(ov.runs.map((r: { id: string; status: string }) => [r.id, r.status])).toEqual([['run-old', 'stopped']]);
      const v = await (await get('/api/runs/run-old')).json();
      expect(v.decisions.length).toBeGreaterThan(0);
      expect(v.commands).toEqual([]);
      const profiles = await get('/api/profiles');
      expect(profiles.status).toBe(500);
      expect(await profiles.json()).toEqual({ error: expect.stringMatching(/profile database .*khaos\.db has schema version 1; this Khaos reads version 2/), hint: 'run `npx khaos profile list` once: it migrates the file' });
      sources.close();
      const db = new Database(path.join(home, 'control.db'), { readonly: true });
      expect(db.pragma('user_version', { simple: true })).toBe(2); // read, not migrated
      db.close();
    } finally {
      process.env.KHAOS_HOME = saved;
      fs.rmSync(home, { recursive: true, force: true });
    }
  });
});
