import type { Command } from 'commander';
import { DashboardData } from '../app/dashboard/data.js';
import { badInput } from '../core/errors.js';
import { checkBind } from '../dashboard/security.js';
import { startDashboard, type RunningDashboard } from '../dashboard/serve.js';
import { dashboardSources } from '../compose.js';
import type { ControlStore } from '../ports/control-store.js';
import { act, log } from './common.js';

export const DEFAULT_DASHBOARD_PORT = 8790;

const EXAMPLES = `
Examples:
  khaos dashboard                         on http://127.0.0.1:${DEFAULT_DASHBOARD_PORT}/ (a token for the mutating calls is printed once)
  khaos dashboard --port 9000
  khaos dashboard --host 0.0.0.0 --token "$(openssl rand -base64 18)"
                                          reachable from other machines: a token is required
  khaos control --config FILE --dashboard the dashboard beside a controller

  khaos dashboard --evaluations khaos-evaluate,khaos-evaluate-sim
                                          also the Evaluations page of those \`khaos evaluate\` outputs

Pages: live view, runs, profiles, models, evaluations; /metrics for Prometheus. See docs/dashboard.md.`;

export interface DashboardFlags {
  evaluations?: string[];
  port?: string;
  host?: string;
  token?: string;
}

/** The flags checked, before anything is opened or bound: a refused command changes nothing. */
function bindOf(f: DashboardFlags): { host: string; port: number; token: string; generated: boolean } {
  const port = f.port === undefined ? DEFAULT_DASHBOARD_PORT : Number(f.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) throw badInput(`--port must be a port number (0–65535), got "${f.port}"`, `e.g. --port ${DEFAULT_DASHBOARD_PORT}; 0 picks a free one`);
  const host = f.host ?? '127.0.0.1';
  return { host, port, ...checkBind(host, f.token) };
}

/** Starts the dashboard (beside a controller: its store takes the people's commands); prints its address, and the token when generated, once. */
export async function openDashboard(f: DashboardFlags, writer?: ControlStore): Promise<RunningDashboard> {
  const b = bindOf(f);
  const sources = dashboardSources(writer, f.evaluations ?? []);
  let running: RunningDashboard;
  try {
    running = await startDashboard({ data: new DashboardData(sources), token: b.token, host: b.host, port: b.port, liveEveryMs: 1000 });
  } catch (e) {
    sources.close();
    throw e;
  }
  log(`dashboard: ${running.url} (metrics at ${running.url}metrics)`);
  if (b.generated) log(`dashboard: token for pausing or overriding control (shown once, never sent to the page): ${b.token}`);
  return { url: running.url, close: async () => { await running.close(); sources.close(); } };
}

/** Options of the dashboard, for `khaos control --dashboard`. */
export const withDashboardOptions = (cmd: Command) =>
  cmd
    .option('--dashboard', 'serve the dashboard beside the controller (see `khaos dashboard --help`)')
    .option('--dashboard-port <n>', `with --dashboard: its port (default ${DEFAULT_DASHBOARD_PORT})`);

export function addDashboardCommand(parent: Command): Command {
  const cmd = parent
    .command('dashboard')
    .description('a web page over the records: live control, runs, profiles; /metrics for Prometheus')
    .option('--port <n>', `port to listen on (default ${DEFAULT_DASHBOARD_PORT}; 0: any free one)`)
    .option('--host <h>', 'address to bind (default 127.0.0.1: this machine only); any other needs --token')
    .option('--token <t>', 'the token mutating calls need (default: one generated and printed once)')
    .option('--evaluations <dirs>', 'output directories of `khaos evaluate` (--out) to show on the Evaluations page; repeatable or comma-separated', (v: string, prev?: string[]) => [...(prev ?? []), ...v.split(',').map((x) => x.trim()).filter((x) => x !== '')])
    .addHelpText('after', EXAMPLES);
  act(cmd, async (f: DashboardFlags) => {
    const d = await openDashboard(f);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await d.close();
    log('dashboard: stopped');
    return 0;
  });
  return cmd;
}
