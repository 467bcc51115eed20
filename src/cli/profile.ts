import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { latestCapacityProbe, probeCapacity } from '../app/capacity-probe.js';
import { runProfile, type ProfileProgress } from '../app/profile.js';
import { badInput } from '../core/errors.js';
import { checkPlan, defaultInjection, placeLevels, pointRateEps, profileSummary, traceMax } from '../core/profiling/profile-plan.js';
import { recoveredSamples } from '../core/profiling/profile-records.js';
import type { ProfilePlan, ProfileRecord } from '../core/profiling/profile-records.js';
import { seededRandom } from '../core/random.js';
import { samplesToCsv } from '../core/profiling/samples.js';
import { analyzeSteadyState } from '../core/load/steady-state.js';
import type { Trace } from '../core/load/trace.js';
import { loadTrace, platformProvenance, profileStore } from '../compose.js';
import { act, configFrom, log, withConfigOptions, withPlatform, type ConfigFlags } from './common.js';
import { writeProfileReport } from './profile-report.js';

const EXAMPLES = `
Examples:
  khaos profile --config FILE         plan a profile from the config and run it (one replica per interval)
  khaos profile --resume ID           run the steps of an interrupted profile that are not stored yet
  khaos profile list                  every profile with its status and progress
  khaos profile discard ID            delete a profile and its measurements
  khaos profile export ID [--out F]   its failures as a samples CSV (input of \`khaos models fit\`)
  khaos profile report ID [--out DIR] Markdown report with plots (default khaos-reports/ID/)`;

type Flags = ConfigFlags & { resume?: string };
type Store = ReturnType<typeof profileStore>;

/** `khaos profile`: runs (or resumes) a profile; its sub-commands list, discard, export and report stored ones. */
export function addProfileCommand(parent: Command): Command {
  const profile = withConfigOptions(parent.command('profile').description('phase 2: parallel chaos profiling, on the local stack or Kubernetes (platform), one replica per checkpoint interval'), ['config', 'name', 'job', 'trace', 'peak', 'compression', 'failure', 'seed'])
    .option('--resume <id>', 'run the steps of an interrupted profile that are not stored yet')
    .addHelpText('after', EXAMPLES);
  act(profile, (f: Flags) => withStore((store) => run(store, f)));
  act(profile.command('list').description('every profile with its status and progress'), () => withStore(list));
  /** A sub-command on one stored profile: `body` runs once the store is sure to hold it. */
  const stored = (name: string, description: string, body: (store: Store, id: string, f: { out?: string }) => number) =>
    act(profile.command(name).description(description).argument('<id>', 'a profile id'), (f: { out?: string }, [id]) =>
      withStore((store) => {
        if (!store.getProfile(id!)) throw badInput(`no profile "${id}"`, 'see `khaos profile list`');
        return body(store, id!, f);
      }),
    );
  stored('discard', 'delete a profile and its measurements', (store, id) => {
    store.deleteProfile(id);
    log(`profile ${id} discarded`);
    return 0;
  });
  stored('export', 'its failures as a samples CSV (input of `khaos models fit`)', (store, id, f) => exportSamples(store, id, f.out)).option('--out <file>', 'write the CSV there (default: print it)');
  stored('report', 'Markdown report with plots', (store, id, f) => {
    const { markdownPath } = writeProfileReport(store.getProfile(id)!, store.measurements(id), f.out ?? path.join('khaos-reports', id), undefined, store.steps(id));
    log(`report written to ${markdownPath}`);
    return 0;
  }).option('--out <dir>', 'where to write it (default khaos-reports/ID/)');
  return profile;
}

async function withStore(body: (store: Store) => number | Promise<number>): Promise<number> {
  const store = profileStore();
  try {
    return await body(store);
  } finally {
    store.close();
  }
}

function list(store: Store): number {
  const all = store.listProfiles();
  if (all.length === 0) console.log('no profiles');
  for (const p of all) {
    const steps = store.steps(p.id).filter((s) => s.status === 'done').length;
    const total = p.plan.points.length * p.plan.repetitions;
    const owner = p.status === 'running' && p.ownerPid && !isRunning(p.ownerPid) ? 'interrupted (its process is gone)' : p.status;
    console.log(`${p.id}  ${owner}  ${p.plan.job}  intervals ${p.plan.intervalsMs.join('/')} ms  steps ${steps}/${total}  ${summaryText(store, p)}  created ${new Date(p.createdAtMs).toISOString()}`);
  }
  return 0;
}

/** "12 failures (1 timeouts), 0.21 h of steps, 57 failures/h, staggered": what a profile did per hour of wall time. */
function summaryText(store: Store, p: ProfileRecord): string {
  const s = profileSummary(p.plan, store.steps(p.id), store.measurements(p.id));
  const perHour = s.failuresPerHour === null ? '—' : s.failuresPerHour.toFixed(0);
  return `${s.failures} failures (${s.timeouts} timeouts${s.unmeasured ? `, ${s.unmeasured} unmeasured: Flink's metrics froze after the restart` : ''}), ${(s.wallSec / 3600).toFixed(2)} h of steps, ${perHour} failures/h, ${s.injection}${p.plan.aggregate === 'median' ? `, ${s.samples} median samples` : ''}`;
}

function exportSamples(store: Store, id: string, out: string | undefined): number {
  const samples = recoveredSamples(store.measurements(id), store.getProfile(id)!.plan.aggregate);
  const csv = samplesToCsv(samples, [`khaos profile ${id}`]);
  if (out) {
    fs.mkdirSync(path.dirname(path.resolve(out)), { recursive: true });
    fs.writeFileSync(out, csv);
    log(`${samples.length} failures written to ${out}`);
  } else process.stdout.write(csv);
  return 0;
}

function newId(): string {
  return `p${new Date().toISOString().replace(/[-:T]/g, '').slice(0, 14)}`;
}

/**
 * Plans a profile from the config: phase 1 on the replay trace picks the points (with
 * `levels: probe` their rates are placed once the probe has run, in `run`); `injection: auto`
 * staggers below 2 cores per replica.
 */
function planFrom(c: ReturnType<typeof configFrom>, trace: Trace): ProfilePlan {
  const p = c.profile;
  const analysis = analyzeSteadyState(
    trace,
    { compression: c.replay.compression, levels: p.points, windowSec: p.analysisWindowSec, tolerance: { relative: p.tolerance }, minSpacingSec: p.minSpacingSec, edgeSec: p.beforeSec + p.afterSec },
    seededRandom(c.replay.seed),
  );
  for (const u of analysis.unplaced) log(`phase 1: level ${u.level.toFixed(0)} has no injection point: ${u.reason}`);
  const idle = analysis.points.filter((pt) => !(pt.level > 0));
  if (p.levels === 'probe' && idle.length) throw badInput(`profile.levels: probe scales each point's window to its rate, but ${idle.length} point(s) sit where the trace is 0`, 'use another trace or fewer points');
  return checkPlan({
    job: c.job.kind, ...(c.job.kind === 'dedup' ? { dedup: { ...c.job.dedup } } : {}), intervalsMs: [...p.intervalsMs].sort((a, b) => a - b), repetitions: p.repetitions,
    points: analysis.points.map((pt, index) => ({ index, traceOffsetSec: pt.traceOffsetSec, level: pt.level, rate: pt.rate })),
    failure: c.chaos.failure, freezeMs: c.chaos.freezeForMs, timing: p.timing, leadMs: p.leadMs, parallelism: p.parallelism, seed: c.replay.seed,
    replay: { trace: c.replay.trace, peakRateEps: c.replay.peakRateEps, compression: c.replay.compression, beforeSec: p.beforeSec, afterSec: p.afterSec },
    sustainSec: p.sustainSec, sampleEveryMs: p.sampleEveryMs, recoveryTimeoutMs: p.afterSec * 1000,
    injection: p.injection === 'auto' ? defaultInjection(os.availableParallelism(), p.intervalsMs.length) : p.injection,
    actuator: p.actuator, fallbackIntervalMs: p.actuator === 'paced' ? p.fallbackIntervalMs : undefined, aggregate: p.aggregate, latencySource: p.latency, stepLoad: p.stepLoad,
  });
}

/**
 * A plan with trace levels is refused when its highest level exceeds the capacity a stored probe
 * measured for the same job, parallelism and replicas running at once: its replicas would never
 * recover, and every failure there would be a timeout. Plans with probed levels pass.
 */
export function withinMeasuredCapacity(store: Pick<Store, 'listProfiles'>, plan: ProfilePlan, traceMaxValue: number): ProfilePlan {
  if (plan.points.some((pt) => pt.rateEps !== undefined)) return plan;
  const replicas = plan.injection === 'one-at-a-time' ? 1 : plan.intervalsMs.length;
  const probed = latestCapacityProbe(store, plan.job, plan.parallelism, replicas);
  if (!probed) return plan;
  const highest = Math.max(...plan.points.map((pt) => pointRateEps(plan, pt, traceMaxValue)));
  const capacity = probed.sustainableEps;
  if (highest <= capacity) return plan;
  throw badInput(
    `the plan's highest load level is ${Math.round(highest)} ev/s, above the ${capacity} ev/s that profile ${probed.profileId}'s capacity probe measured for ${replicas} ${plan.job} replica(s) of parallelism ${plan.parallelism} running at once: failures there would never recover`,
    `lower replay.peakRateEps to at most ${capacity}, or let the probe place the levels (profile.levels: probe)`,
  );
}

/** A live line of a running profile; the level in events/s as replayed (not trace units). */
export function progressLine(p: ProfileProgress): string {
  const eta = p.etaSec >= 60 ? `${Math.floor(p.etaSec / 60)} min ${Math.round(p.etaSec % 60)} s` : `${Math.round(p.etaSec)} s`;
  return `step ${p.step}/${p.steps} (point ${p.point.index}, level ${p.levelEps.toFixed(0)} ev/s, rep ${p.repetition}) second ${p.second}: ${Object.entries(p.phases).map(([r, ph]) => `${r} ${ph}`).join(', ')} — ETA ${eta}`;
}

/** Plans and runs a profile from the config, or resumes one (--resume); 130 when interrupted. */
async function run(store: Store, flags: Flags): Promise<number> {
  const c = configFrom(flags);
  let record: ProfileRecord | undefined;
  let planned: ProfilePlan | undefined;
  let trace: Trace;
  if (flags.resume) {
    const existing = store.getProfile(flags.resume);
    if (!existing) throw badInput(`no profile "${flags.resume}" to resume`, 'see `khaos profile list`');
    if (existing.status === 'done') throw badInput(`profile ${existing.id} is already done`, `see its report: khaos profile export ${existing.id}`);
    if (existing.status === 'running' && existing.ownerPid && isRunning(existing.ownerPid)) throw badInput(`profile ${existing.id} is running in process ${existing.ownerPid}`);
    record = existing;
    trace = loadTrace(existing.plan.replay.trace);
  } else {
    trace = loadTrace(c.replay.trace);
    planned = withinMeasuredCapacity(store, planFrom(c, trace), traceMax(trace.values)); // every problem of the plan is reported before a process starts
  }
  const id = record?.id ?? newId();
  let stop = false;
  const outcome = await withPlatform(c, id, async (platform) => {
    const deps = { ...platform, store };
    process.removeAllListeners('SIGINT');
    process.once('SIGINT', () => {
      log('Ctrl-C: stopping after this second; the profile can be resumed');
      stop = true;
    });
    let lastLine = 0;
    try {
      if (!record) {
        const plan = c.profile.levels === 'probe' ? await probed(deps, planned!, c, id, () => stop) : planned!;
        if (!plan) return 'probe-interrupted' as const;
        record = { id, createdAtMs: Date.now(), status: 'running', ownerPid: process.pid, plan, provenance: { config: c, ...platformProvenance(), clock: 'system clock (ms since the epoch) for every timestamp', timeScaling: { compression: plan.replay.compression } } };
        store.createProfile(record);
        const levels = plan.capacity ? `, levels ${plan.points.map((pt) => pt.rateEps).join('/')} ev/s (${c.profile.loadRange.map((f) => `${Math.round(f * 100)} %`).join('–')} of the probed ${plan.capacity.sustainableEps} ev/s with ${plan.capacity.replicas ?? 1} replica(s) running)` : `, peak ${plan.replay.peakRateEps} ev/s`;
        log(`profile ${id}: ${plan.intervalsMs.length} intervals (${plan.intervalsMs.join(', ')} ms) × ${plan.points.length} points × ${plan.repetitions}; injection ${plan.injection}${plan.actuator === 'paced' ? ', paced checkpoints' : ''}; trace ${plan.replay.trace} at ×${plan.replay.compression}${levels}`);
      }
      return await runProfile(deps, id, trace, {
        shouldStop: () => stop,
        onProgress: (p) => {
          if (Date.now() - lastLine >= 5000) {
            lastLine = Date.now();
            log(progressLine(p));
          }
        },
      });
    } catch (e) {
      if (record) store.setStatus(id, 'interrupted');
      throw e;
    } finally {
      await deps.bus.close();
    }
  });
  if (outcome === 'probe-interrupted') {
    log('interrupted during the capacity probe; nothing was stored');
    return 130;
  }
  log(`profile ${id} ${outcome}: ${summaryText(store, store.getProfile(id)!)}`);
  if (outcome === 'done') log(`export it with \`khaos profile export ${id} --out samples.csv\``);
  return outcome === 'done' ? 0 : 130;
}

/** Measures one replica's sustainable throughput on the stack, then places the plan's levels over loadRange of it; undefined on Ctrl-C. */
async function probed(deps: Parameters<typeof probeCapacity>[0], plan: ProfilePlan, c: ReturnType<typeof configFrom>, id: string, shouldStop: () => boolean): Promise<ProfilePlan | undefined> {
  const p = c.profile;
  // As many replicas at once as the profile's steps run: one at a time runs one, the other modes all.
  const intervalsMs = plan.injection === 'one-at-a-time' ? [Math.min(...plan.intervalsMs)] : plan.intervalsMs;
  log(`capacity probe: ${intervalsMs.length === 1 ? `one ${plan.job} replica alone` : `${intervalsMs.length} ${plan.job} replicas side by side on one input, as the profile runs them`}, rates from ${p.probeStartEps} ev/s, each held up to ${p.probeHoldSec} s until steady`);
  const capacity = await probeCapacity(deps, { job: plan.job, dedup: plan.dedup, parallelism: plan.parallelism, intervalsMs, topicPrefix: `khaos-probe-${id}`, startEps: p.probeStartEps, maxHoldSec: p.probeHoldSec, seed: plan.seed, shouldStop });
  if (!capacity) return undefined;
  const loadRange: [number, number] = [p.loadRange[0], p.loadRange[1]];
  return checkPlan({ ...plan, points: placeLevels(plan.points, capacity.sustainableEps, loadRange), capacity: { ...capacity, loadRange } });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
