import path from 'node:path';
import type { Command } from 'commander';
import { checkModelsJob } from '../app/control/control-models.js';
import { controlledDemoProblems, plainDemoReason, runControlledDemo } from '../app/control/demo-run.js';
import { demoProblems, runDemoFromConfig } from '../app/demo.js';
import { requireInput } from '../core/jobs.js';
import { checkJobJar, configJobIdentity, controlStore, localControlDeps, localPlatform, loadTrace, modelInputs, repoRoot } from '../compose.js';
import { act, configFrom, log, stopOnSignals, withConfigOptions, withOwnedStack, type ConfigFlags } from './common.js';
import { DEFAULT_DASHBOARD_PORT, openDashboard } from './dashboard.js';

/** What `khaos demo` runs without --config (and without --job): khaos+ on the IoT job under a real trace. */
export const DEMO_CONFIG = path.join(repoRoot, 'examples', 'demo-iot.yaml');

const EXAMPLES = `
Without --config it runs examples/demo-iot.yaml: khaos+ chooses the IoT job's checkpoint interval
(paced checkpoints, models from a real profile) while a slice of the NYC taxi trace swings its load,
a TaskManager is killed, the recovery is measured against its target, and the output is checked
for exactly-once. The dashboard's live view runs beside it on loopback.

A config without models (control.samples, or control.latencyModel and control.recoveryModel), or
with chaos.failure freeze or exception, gets the kill-and-recovery demo: replay, failure at
chaos.at, recovery, exactly-once; no interval control.

Examples:
  npm run demo                                   the same as npx khaos demo
  npx khaos demo --dashboard-port 0              the dashboard on any free port
  npx khaos demo --config examples/own-job/khaos.yaml
                                                 your own job (job.input), kill and recovery`;

type DemoFlags = ConfigFlags & { dashboardPort?: string };

export function addDemoCommand(program: Command): Command {
  const cmd = withConfigOptions(program.command('demo').description('the main job end to end on a local stack: khaos+ chooses the interval under a real trace, a kill, the recovery against its target, exactly-once'))
    .option('--dashboard-port <n>', `the dashboard beside a controlled demo, on 127.0.0.1 (default ${DEFAULT_DASHBOARD_PORT}, or a free one when it is taken; 0: a free one)`)
    .addHelpText('after', EXAMPLES);
  return act(cmd, demo);
}

async function demo(flags: DemoFlags): Promise<number> {
  const byDefault = flags.config === undefined && flags.job === undefined;
  const c0 = configFrom({ ...flags, config: flags.config ?? (byDefault ? DEMO_CONFIG : undefined) });
  // --fail-at names the one kill, over control.kills.
  const c = flags.failAt === undefined ? c0 : { ...c0, control: { ...c0.control, killsSec: [c0.chaos.atSec] } };
  // The default config's samples are found from the clone's root, wherever the command runs.
  const samples = byDefault && c.control.samples ? path.resolve(repoRoot, c.control.samples) : c.control.samples;
  const inputs = modelInputs({ ...c.control, samples });
  // Every check before the stack starts: a refused demo starts nothing.
  const plain = plainDemoReason(c, inputs);
  if (plain) demoProblems(c);
  else {
    requireInput(c.job.descriptor, '`khaos demo`');
    controlledDemoProblems(c);
  }
  checkJobJar(c);
  const trace = loadTrace(c.replay.trace);
  if (plain) {
    log(`demo: ${plain}: this is the kill-and-recovery demo, without interval control (see \`khaos demo --help\`)`);
    return withOwnedStack(c, async (stack) => {
      const deps = localPlatform(stack, log);
      try {
        return (await runDemoFromConfig(deps, c, trace)).ok ? 0 : 1;
      } finally {
        await deps.bus.close();
      }
    });
  }
  checkModelsJob(inputs, configJobIdentity(c), false, log);
  const store = controlStore();
  const dashboard = await openDemoDashboard(flags.dashboardPort, store).catch((e) => (store.close(), Promise.reject(e)));
  const stopped = stopOnSignals('the demo');
  try {
    return await withOwnedStack(c, async (stack) => {
      const deps = localControlDeps(stack, log);
      log(`demo: watch it live at ${dashboard.url}#/live`);
      try {
        return (await runControlledDemo(deps, c, trace, inputs, stopped)).ok ? 0 : 1;
      } finally {
        await deps.bus.close();
        deps.store.close();
      }
    });
  } finally {
    await dashboard.close();
    store.close();
  }
}

/** The dashboard on loopback: the port asked for, else the default one, or a free one when the default is taken. */
async function openDemoDashboard(port: string | undefined, store: ReturnType<typeof controlStore>) {
  if (port !== undefined) return openDashboard({ port }, store);
  return openDashboard({ port: String(DEFAULT_DASHBOARD_PORT) }, store).catch((e: Error) => {
    if (!/is in use/.test(e.message)) throw e;
    log(`dashboard: port ${DEFAULT_DASHBOARD_PORT} is in use; taking a free one`);
    return openDashboard({ port: '0' }, store);
  });
}
