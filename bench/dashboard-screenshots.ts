/**
 * The dashboard's screenshots from recorded data (not a benchmark: docs/dashboard/ keeps what it
 * writes). Copies the records of a KHAOS_HOME (khaos.db, control.db, with their WAL) to a
 * temporary directory, so the records are only read; starts `khaos dashboard --port 0` over the
 * copy and the given `khaos evaluate` outputs; then in Debian's chromium (test/support/dashboard-
 * browser.ts, as the browser test drives it) writes, each under 300 KB:
 *   dashboard-models-real.png     the Models page of a profile (--profile, else the newest whose models fit)
 *   dashboard-profile-real.png    the same profile's page, from its failures not recovered (if any) to its first series
 *   dashboard-evaluation-<kind>.png  each evaluation's section: kind is measured or simulated, as evaluate.json says
 * It prints which records it used, and fails on any console error of the pages.
 *
 *   npx tsx bench/dashboard-screenshots.ts --home DIR [--evaluations DIR,DIR] [--profile ID] [--out docs/dashboard]
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { launchChromium, openPage, screenshot } from '../test/support/dashboard-browser.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const USAGE = 'usage: npx tsx bench/dashboard-screenshots.ts --home DIR [--evaluations DIR,DIR] [--profile ID] [--out DIR]';

/** Bad input: says what and how to fix it, and exits 2 (after stopping what was started). */
class Refusal extends Error {}
const refuse = (problem: string, fix: string): never => {
  throw new Refusal(`error: ${problem}\n  fix: ${fix}\n${USAGE}`);
};
process.on('uncaughtException', (e) => {
  console.error(e instanceof Refusal ? e.message : e);
  process.exit(e instanceof Refusal ? 2 : 1);
});

const { values: flags } = parseArgs({ options: { home: { type: 'string' }, evaluations: { type: 'string', default: '' }, profile: { type: 'string' }, out: { type: 'string', default: path.join(root, 'docs', 'dashboard') } }, strict: true });
const home = path.resolve(flags.home ?? refuse('--home is missing', 'give the KHAOS_HOME whose records to show (the directory holding khaos.db and control.db), e.g. --home .khaos'));
const dbs = ['khaos.db', 'control.db'].filter((f) => fs.existsSync(path.join(home, f)));
if (dbs.length === 0) refuse(`${home} holds neither khaos.db nor control.db`, 'give the KHAOS_HOME of a machine that profiled or controlled a job (default .khaos in the repository)');
const evaluationDirs = flags.evaluations.split(',').map((d) => d.trim()).filter((d) => d !== '').map((d) => path.resolve(d));
for (const d of evaluationDirs) if (!fs.existsSync(path.join(d, 'evaluate.json'))) refuse(`${d} holds no evaluate.json`, 'give output directories of `khaos evaluate` (its --out)');

// The copy: the dashboard opens its records read-only, but a WAL database needs its -shm beside it.
// Each evaluation's files go under its directory's name, which the page shows (not a path of this machine).
const evaluationNames = evaluationDirs.map((d) => path.basename(d));
if (new Set(evaluationNames).size < evaluationNames.length) refuse(`two evaluations have the same directory name (${evaluationNames.join(', ')})`, 'rename one: the page shows each under its name');
const copy = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-screenshots-'));
for (const db of dbs) for (const f of [db, `${db}-wal`]) if (fs.existsSync(path.join(home, f))) fs.copyFileSync(path.join(home, f), path.join(copy, f));
evaluationDirs.forEach((d, i) => {
  fs.mkdirSync(path.join(copy, evaluationNames[i]!));
  for (const f of ['evaluate.json', 'sim-vs-real.json', 'timeline.json']) if (fs.existsSync(path.join(d, f))) fs.copyFileSync(path.join(d, f), path.join(copy, evaluationNames[i]!, f));
});

/** `khaos dashboard` over the copy, on a free port; resolves with its address once it prints it. */
function startDashboard(): Promise<{ url: string; stop: () => Promise<void> }> {
  const args = ['--import', import.meta.resolve('tsx'), path.join(root, 'src', 'cli', 'main.ts'), 'dashboard', '--port', '0', ...(evaluationNames.length ? ['--evaluations', evaluationNames.join(',')] : [])];
  const child = spawn(process.execPath, args, { cwd: copy, env: { ...process.env, KHAOS_HOME: copy }, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const stop = async () => {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  };
  let said = '';
  return new Promise((resolve, reject) => {
    const deadline = setTimeout(() => void stop().then(() => reject(new Error(`khaos dashboard printed no address within 60 s:\n${said}`))), 60_000);
    const hear = (b: Buffer) => {
      said += b.toString();
      const url = /dashboard: (http:\/\/\S+\/) /.exec(said)?.[1];
      if (url) {
        clearTimeout(deadline);
        resolve({ url, stop });
      }
    };
    child.stdout.on('data', hear);
    child.stderr.on('data', (b: Buffer) => (said += b.toString()));
    void exited.then(() => {
      clearTimeout(deadline);
      reject(new Error(`khaos dashboard exited:\n${said}`));
    });
  });
}

interface ProfileItem { id: string; createdAtMs: number; job: string; status: string; measurements: number; timeouts: number; intervalsMs: number[] }

const errors: string[] = [];
let dashboard: Awaited<ReturnType<typeof startDashboard>> | undefined;
let browser: Awaited<ReturnType<typeof launchChromium>> | undefined;
try {
  dashboard = await startDashboard();
  browser = await launchChromium();
  const url = dashboard.url;
  const get = async <T>(p: string): Promise<T> => (await (await fetch(`${url}${p}`)).json()) as T;
  const { profiles } = await get<{ profiles: ProfileItem[] }>('api/profiles');
  const fits = async (p: ProfileItem) => (await get<{ fitting: { models?: unknown[] } }>(`api/models/${p.id}`)).fitting.models !== undefined;
  let profile = flags.profile ? profiles.find((p) => p.id === flags.profile) : undefined;
  if (flags.profile && !profile) refuse(`no profile ${flags.profile} in ${home}/khaos.db`, `pick one of: ${profiles.map((p) => p.id).join(', ') || '(none)'}`);
  for (const p of [...profiles].sort((a, b) => b.createdAtMs - a.createdAtMs)) if (!profile && (await fits(p))) profile = p;
  const { evaluations } = await get<{ evaluations: { dir: string; kind?: string; problem?: string; policies?: { name: string }[] }[] }>('api/evaluations');
  const { runs } = await get<{ runs: unknown[] }>('api/overview');

  console.log(`records: ${home} (read from a temporary copy): ${dbs.join(', ')}; ${profiles.length} profile(s), ${runs.length} control run(s)`);
  const page = await openPage(browser, url, errors);
  const written: string[] = [];
  const shoot = async (name: string, what: string, shot: Omit<Parameters<typeof screenshot>[1], 'file'>) => {
    fs.mkdirSync(flags.out, { recursive: true });
    const file = path.join(flags.out, name);
    const bytes = await screenshot(page, { ...shot, file });
    written.push(`${path.relative(process.cwd(), file)} (${Math.round(bytes / 1024)} KB): ${what}`);
  };
  if (profile) {
    const p = profile;
    const what = `profile ${p.id} of job ${p.job}, recorded ${new Date(p.createdAtMs).toISOString().slice(0, 16)} UTC (${p.status}), intervals ${p.intervalsMs.map((ms) => `${ms / 1000} s`).join(', ')}, ${p.measurements} failure(s) of which ${p.timeouts} not recovered`;
    console.log(`profile: ${what}`);
    await shoot('dashboard-models-real.png', `the Models page of ${what}`, { url: `${url}#/models/${p.id}`, ready: '#model-recovery canvas, main .hint' });
    await shoot('dashboard-profile-real.png', `the Profile page of ${p.id}`, { url: `${url}#/profiles/${p.id}`, ready: '#measurements', from: p.timeouts ? '#not-recovered' : undefined });
  } else console.log(`profile: none whose models fit in ${home}/khaos.db: no Models or Profile screenshot`);
  const kinds = evaluations.map((e) => e.kind ?? 'unreadable');
  for (const [i, e] of evaluations.entries()) {
    console.log(`evaluation: ${evaluationDirs[i]}: ${e.problem ? `not shown (${e.problem})` : `${e.kind?.toUpperCase()}, policies ${e.policies!.map((x) => x.name).join(', ')}`}`);
    if (e.problem) continue;
    const name = `dashboard-evaluation-${e.kind}${kinds.filter((k) => k === e.kind).length > 1 ? `-${i + 1}` : ''}.png`;
    await shoot(name, `the Evaluations page's section of ${e.dir} (${e.kind?.toUpperCase()})`, { url: `${url}#/evaluations`, ready: `#pareto-${i} canvas`, element: `section.evaluation:nth-of-type(${i + 1})` });
  }
  if (errors.length) throw new Error(`the pages logged console errors:\n${errors.join('\n')}`);
  console.log(`written:\n${written.map((w) => `  ${w}`).join('\n')}`);
} finally {
  await browser?.close();
  await dashboard?.stop();
  fs.rmSync(copy, { recursive: true, force: true });
}
