import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { KhaosError } from '../core/errors.js';
import type { DashboardData } from '../app/dashboard/data.js';
import type { RunView } from '../app/control/run-records.js';
import { hostAllowed, mutationRefusal } from './security.js';

/**
 * The dashboard's HTTP API and static page (docs/dashboard.md), given its data: JSON over the
 * records, a live stream of a run by server-sent events, /metrics for Prometheus, and one
 * mutating call (a person's command) guarded by the token and the origin. No socket here:
 * tests call `app.request()`; src/dashboard/serve.ts binds it.
 */
export interface DashboardAppOptions {
  data: DashboardData;
  token: string;
  /** The host the server is bound to (its name is accepted in Host headers besides loopback names). */
  host: string;
  /** How often the live stream looks for new records, ms. */
  liveEveryMs: number;
  /** Waits between polls of the live stream (a test's manual clock may drive it). */
  sleep?: (ms: number) => Promise<void>;
}

const PUBLIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
const UPLOT_DIR = path.dirname(createRequire(import.meta.url).resolve('uplot'));
const TYPES: Record<string, string> = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8' };
/** The only files served: the page's own, and uPlot's module and style. */
const FILES: Record<string, string> = {
  '/': path.join(PUBLIC_DIR, 'index.html'),
  ...Object.fromEntries(fs.readdirSync(PUBLIC_DIR).map((f) => [`/static/${f}`, path.join(PUBLIC_DIR, f)])),
  '/vendor/uPlot.esm.js': path.join(UPLOT_DIR, 'uPlot.esm.js'),
  '/vendor/uPlot.min.css': path.join(UPLOT_DIR, 'uPlot.min.css'),
};

const STATUS: Record<KhaosError['kind'], 400 | 409 | 500 | 502 | 504> = { 'bad-input': 400, environment: 500, platform: 502, timeout: 504, bug: 500 };

function fail(c: Context, e: unknown) {
  if (e instanceof KhaosError) return c.json({ error: e.message, hint: e.hint }, STATUS[e.kind]);
  return c.json({ error: `internal error (a bug, please report): ${(e as Error).message}` }, 500);
}

export function dashboardApp(o: DashboardAppOptions): Hono {
  const app = new Hono();
  const sleep = o.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  app.onError((e, c) => fail(c, e));
  app.use('*', async (c, next) => {
    if (!hostAllowed(c.req.header('host'), o.host)) return c.json({ error: `unknown Host ${c.req.header('host') ?? '(none)'}`, hint: `open the dashboard at the address it printed` }, 403);
    await next();
    c.header('X-Content-Type-Options', 'nosniff');
  });
  for (const [route, file] of Object.entries(FILES)) {
    app.get(route, (c) => c.body(fs.readFileSync(file), 200, { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' }));
  }
  app.get('/api/overview', (c) => c.json(o.data.overview()));
  app.get('/api/runs/:id', (c) => {
    const v = o.data.run(c.req.param('id'));
    return v ? c.json(v) : c.json({ error: `no control run "${c.req.param('id')}"`, hint: 'pick one from /api/overview' }, 404);
  });
  app.get('/api/profiles', (c) => c.json(o.data.profiles()));
  app.get('/api/profiles/:id', (c) => {
    const p = o.data.profile(c.req.param('id'));
    return p ? c.json(p) : c.json({ error: `no profile "${c.req.param('id')}"` }, 404);
  });
  app.get('/api/models/:id', (c) => {
    const m = o.data.models(c.req.param('id'));
    return m ? c.json(m) : c.json({ error: `no profile "${c.req.param('id')}"`, hint: 'models are fitted from a profile: pick one from /api/profiles' }, 404);
  });
  app.get('/api/evaluations', (c) => c.json(o.data.evaluations()));
  app.get('/metrics', (c) => c.body(o.data.metrics(), 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }));
  app.get('/api/live', (c) => liveStream(c, o, sleep));
  app.post('/api/runs/:id/commands', async (c) => {
    const refused = mutationRefusal({ origin: c.req.header('origin'), host: c.req.header('host'), authorization: c.req.header('authorization') }, o.token);
    if (refused) return c.json({ error: refused.error, hint: refused.hint }, refused.status);
    const body = await c.req.json().catch(() => undefined);
    return c.json(o.data.command(c.req.param('id'), body), 202);
  });
  return app;
}

/** How much of a run's growing view a page has: the lengths of its arrays when it was sent. */
type Sent = { id: string; decisions: number; series: number; checkpoints: number; events: number };
const sentOf = (v: RunView): Sent => ({ id: v.run.id, decisions: v.decisions.length, series: v.series.length, checkpoints: v.checkpoints.length, events: v.events.length });

/** The records of `view` past those a page has (`sent`; records are only appended): what it adds to what it has. */
function appended(sent: Sent, view: RunView) {
  return {
    run: view.run,
    targets: view.targets,
    decisions: view.decisions.slice(sent.decisions),
    series: view.series.slice(sent.series),
    checkpoints: view.checkpoints.slice(sent.checkpoints),
    events: view.events.slice(sent.events),
    // Small, and an earlier one may change (a recovery filled in, a command taken, a gap closed): whole.
    failures: view.failures,
    commands: view.commands,
    gaps: view.gaps,
  };
}

/**
 * Server-sent events: `overview` (the runs, which one is live) when it changes; `run` (the followed
 * run's whole view) first, then `append` (only the records added since, see `appended`) each time
 * they change, looked for every `liveEveryMs`; each look reads only the rows added since the last
 * (RunReader). Follows `?run=ID`, else the live run, else the newest. A run whose controller died
 * turns `interrupted` in the next overview and run summary.
 */
function liveStream(c: Context, o: DashboardAppOptions, sleep: (ms: number) => Promise<void>) {
  const asked = c.req.query('run');
  return streamSSE(c, async (stream) => {
    let lastOverview = '';
    let sent: Sent | undefined;
    let sentKey = '';
    while (!stream.aborted && !stream.closed) {
      try {
        await look();
      } catch (e) {
        // The records cannot be read (a newer schema, a damaged file): the page shows why, and the next look tries again.
        const why = e instanceof KhaosError ? { error: e.message, hint: e.hint } : { error: `internal error (a bug, please report): ${(e as Error).message}` };
        await stream.writeSSE({ event: 'problem', data: JSON.stringify(why) });
      }
      await sleep(o.liveEveryMs);
    }
    async function look() {
      const overview = o.data.overview();
      const ov = JSON.stringify({ ...overview, nowMs: 0 }); // changed records, not the passing time
      if (ov !== lastOverview) await stream.writeSSE({ event: 'overview', data: JSON.stringify(overview) });
      lastOverview = ov;
      const id = asked ?? overview.liveRunId ?? overview.runs[0]?.id;
      const view = id ? o.data.run(id) : undefined;
      if (!view) return;
      // The view is shared with other pages and grows as they read: what this page gets is taken before any await.
      const key = JSON.stringify([view.run, view.decisions.length, view.events.length, view.failures, view.commands]);
      const event = !sent || sent.id !== view.run.id ? { event: 'run', data: JSON.stringify(view) } : key !== sentKey ? { event: 'append', data: JSON.stringify(appended(sent, view)) } : undefined;
      sent = sentOf(view);
      sentKey = key;
      if (event) await stream.writeSSE(event);
    }
  });
}
