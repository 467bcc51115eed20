import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runProfile, type ProfileProgress } from '../app/profile.js';
import { badInput } from '../core/errors.js';
import { checkPlan } from '../core/profiling/profile-plan.js';
import { recoveredSamples } from '../core/profiling/profile-records.js';
import type { ProfilePlan, ProfileRecord } from '../core/profiling/profile-records.js';
import { seededRandom } from '../core/random.js';
import { samplesToCsv } from '../core/profiling/samples.js';
import { analyzeSteadyState } from '../core/workload/steady-state.js';
import { demoDeps, loadTrace, platformProvenance, profileStore } from '../compose.js';
import { configFrom, log, withOwnedStack } from './common.js';
import { writeProfileReport } from './profile-report.js';

export const PROFILE_USAGE = `khaos profile — phase 2: parallel chaos profiling on the local stack

  khaos profile --config FILE         plan a profile from the config and run it (one replica per interval)
  khaos profile --resume ID           run the steps of an interrupted profile that are not stored yet
  khaos profile list                  every profile with its status and progress
  khaos profile discard ID            delete a profile and its measurements
  khaos profile export ID [--out F]   its failures as a samples CSV (input of \`khaos models fit\`)
  khaos profile report ID [--out DIR] Markdown report with plots (default khaos-reports/ID/)
`;

const OPTIONS = {
  config: { type: 'string' }, name: { type: 'string' }, job: { type: 'string' }, trace: { type: 'string' }, peak: { type: 'string' },
  compression: { type: 'string' }, failure: { type: 'string' }, seed: { type: 'string' }, resume: { type: 'string' }, out: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function newId(): string {
  return `p${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

/** Plans a profile from the config: phase 1 on the replay trace picks the points. */
function planFrom(c: ReturnType<typeof configFrom>): ProfilePlan {
  const trace = loadTrace(c.replay.trace);
  const p = c.profile;
  const analysis = analyzeSteadyState(
    trace,
    { compression: c.replay.compression, levels: p.points, windowSec: p.analysisWindowSec, tolerance: { relative: p.tolerance }, minSpacingSec: p.minSpacingSec, edgeSec: p.beforeSec + p.afterSec },
    seededRandom(c.replay.seed),
  );
  for (const u of analysis.unplaced) log(`phase 1: level ${u.level.toFixed(0)} has no injection point: ${u.reason}`);
  return checkPlan({
    job: c.job.kind, intervalsMs: [...p.intervalsMs].sort((a, b) => a - b), repetitions: p.repetitions,
    points: analysis.points.map((pt, index) => ({ index, traceOffsetSec: pt.traceOffsetSec, level: pt.level, rate: pt.rate })),
    failure: c.chaos.failure, freezeMs: c.chaos.freezeForMs, timing: p.timing, leadMs: p.leadMs, parallelism: p.parallelism, seed: c.replay.seed,
    replay: { trace: c.replay.trace, peakRateEps: c.replay.peakRateEps, compression: c.replay.compression, beforeSec: p.beforeSec, afterSec: p.afterSec },
    sustainSec: p.sustainSec, recoveryTimeoutMs: p.afterSec * 1000,
  });
}

function progressLine(p: ProfileProgress): string {
  const eta = p.etaSec >= 60 ? `${Math.floor(p.etaSec / 60)} min ${Math.round(p.etaSec % 60)} s` : `${Math.round(p.etaSec)} s`;
  return `step ${p.step}/${p.steps} (point ${p.point.index}, level ${p.point.level.toFixed(0)}, rep ${p.repetition}) second ${p.second}: ${Object.entries(p.phases).map(([r, ph]) => `${r} ${ph}`).join(', ')} — ETA ${eta}`;
}

export async function profileCommand(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (e) {
    throw badInput((e as Error).message, 'see `khaos profile --help`');
  }
  const { values: flags, positionals: [sub, id] } = parsed;
  if (flags.help) {
    process.stdout.write(PROFILE_USAGE);
    return 0;
  }
  const store = profileStore();
  try {
    if (sub === 'list') {
      const all = store.listProfiles();
      if (all.length === 0) console.log('no profiles');
      for (const p of all) {
        const steps = store.steps(p.id).filter((s) => s.status === 'done').length;
        const total = p.plan.points.length * p.plan.repetitions;
        const owner = p.status === 'running' && p.ownerPid && !isRunning(p.ownerPid) ? 'interrupted (its process is gone)' : p.status;
        console.log(`${p.id}  ${owner}  ${p.plan.job}  intervals ${p.plan.intervalsMs.join('/')} ms  steps ${steps}/${total}  created ${new Date(p.createdAtMs).toISOString()}`);
      }
      return 0;
    }
    if (sub === 'discard' || sub === 'export' || sub === 'report') {
      if (!id) throw badInput(`khaos profile ${sub} needs a profile id`, 'see `khaos profile list`');
      if (!store.getProfile(id)) throw badInput(`no profile "${id}"`, 'see `khaos profile list`');
      if (sub === 'report') {
        const out = flags.out ?? path.join('khaos-reports', id);
        const { markdownPath } = writeProfileReport(store.getProfile(id)!, store.measurements(id), out);
        log(`report written to ${markdownPath}`);
        return 0;
      }
      if (sub === 'discard') {
        store.deleteProfile(id);
        log(`profile ${id} discarded`);
        return 0;
      }
      const samples = recoveredSamples(store.measurements(id));
      const csv = samplesToCsv(samples, [`khaos profile ${id}`]);
      if (flags.out) {
        fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
        fs.writeFileSync(flags.out, csv);
        log(`${samples.length} failures written to ${flags.out}`);
      } else process.stdout.write(csv);
      return 0;
    }
    if (sub !== undefined) throw badInput(`unknown profile command "${sub}"`, 'see `khaos profile --help`');

    const c = configFrom(flags);
    let record: ProfileRecord;
    if (flags.resume) {
      const existing = store.getProfile(flags.resume);
      if (!existing) throw badInput(`no profile "${flags.resume}" to resume`, 'see `khaos profile list`');
      if (existing.status === 'done') throw badInput(`profile ${existing.id} is already done`, `see its report: khaos profile export ${existing.id}`);
      if (existing.status === 'running' && existing.ownerPid && isRunning(existing.ownerPid)) throw badInput(`profile ${existing.id} is running in process ${existing.ownerPid}`);
      record = existing;
    } else {
      const plan = planFrom(c);
      record = { id: newId(), createdAtMs: Date.now(), status: 'running', ownerPid: process.pid, plan, provenance: { config: c, ...platformProvenance(), clock: 'system clock (ms since the epoch) for every timestamp', timeScaling: { compression: plan.replay.compression } } };
      store.createProfile(record);
      log(`profile ${record.id}: ${plan.intervalsMs.length} intervals (${plan.intervalsMs.join(', ')} ms) × ${plan.points.length} points × ${plan.repetitions}; trace ${plan.replay.trace} at ×${plan.replay.compression}, peak ${plan.replay.peakRateEps} ev/s`);
    }
    const trace = loadTrace(record.plan.replay.trace);
    let stop = false;
    const outcome = await withOwnedStack(c, async (stack) => {
      const deps = { ...demoDeps(stack, log), store };
      process.removeAllListeners('SIGINT');
      process.once('SIGINT', () => {
        log('Ctrl-C: stopping after this second; the profile can be resumed');
        stop = true;
      });
      let lastLine = 0;
      try {
        return await runProfile(deps, record.id, trace, {
          shouldStop: () => stop,
          onProgress: (p) => {
            if (Date.now() - lastLine >= 5000) {
              lastLine = Date.now();
              log(progressLine(p));
            }
          },
        });
      } catch (e) {
        store.setStatus(record.id, 'interrupted');
        throw e;
      } finally {
        await deps.bus.close();
      }
    });
    log(outcome === 'done' ? `profile ${record.id} done: export it with \`khaos profile export ${record.id} --out samples.csv\`` : `profile ${record.id} interrupted`);
    return outcome === 'done' ? 0 : 130;
  } finally {
    store.close();
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
