import { identityComment } from '../core/job-identity.js';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { profileFromConfig, type ProfileProgress } from '../app/profile.js';
import { badInput } from '../core/errors.js';
import { profileSummary } from '../core/profiling/profile-plan.js';
import { recoveredSamples } from '../core/profiling/profile-records.js';
import type { ProfileRecord } from '../core/profiling/profile-records.js';
import { samplesToCsv } from '../core/profiling/samples.js';
import { checkJobJar, jobJarHash, loadTrace, platformProvenance, processAlive, profileStore } from '../compose.js';
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
    const owner = p.status === 'running' && p.ownerPid && !processAlive(p.ownerPid) ? 'interrupted (its process is gone)' : p.status;
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
  const plan = store.getProfile(id)!.plan;
  const samples = recoveredSamples(store.measurements(id), plan.aggregate);
  const csv = samplesToCsv(samples, [`khaos profile ${id}`, ...(plan.jobIdentity ? [identityComment(plan.jobIdentity)] : [])]);
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

/** A live line of a running profile; the level in events/s as replayed (not trace units). */
export function progressLine(p: ProfileProgress): string {
  const eta = p.etaSec >= 60 ? `${Math.floor(p.etaSec / 60)} min ${Math.round(p.etaSec % 60)} s` : `${Math.round(p.etaSec)} s`;
  return `step ${p.step}/${p.steps} (point ${p.point.index}, level ${p.levelEps.toFixed(0)} ev/s, rep ${p.repetition}) second ${p.second}: ${Object.entries(p.phases).map(([r, ph]) => `${r} ${ph}`).join(', ')} — ETA ${eta}`;
}

/** Plans and runs a profile from the config, or resumes one (--resume); 130 when interrupted. */
async function run(store: Store, flags: Flags): Promise<number> {
  const c = configFrom(flags);
  // Local replicas run job.jar: a missing jar or entry class is refused before anything starts.
  if (c.platform === 'local') checkJobJar(c);
  let stop = false;
  let lastLine = 0;
  const { id, outcome } = await profileFromConfig(
    { store, loadTrace, onPlatform: (scope, body) => withPlatform(c, scope, body), processAlive, provenance: platformProvenance, jobJarHash, ownerPid: process.pid, cores: os.availableParallelism(), newId, log },
    c,
    {
      resume: flags.resume,
      shouldStop: () => stop,
      onPlatformUp: () => {
        process.removeAllListeners('SIGINT');
        process.once('SIGINT', () => {
          log('Ctrl-C: stopping after this second; the profile can be resumed');
          stop = true;
        });
      },
      onProgress: (p) => {
        if (Date.now() - lastLine >= 5000) {
          lastLine = Date.now();
          log(progressLine(p));
        }
      },
    },
  );
  if (outcome === 'probe-interrupted') {
    log('interrupted during the capacity probe; nothing was stored');
    return 130;
  }
  log(`profile ${id} ${outcome}: ${summaryText(store, store.getProfile(id)!)}`);
  if (outcome === 'done') log(`export it with \`khaos profile export ${id} --out samples.csv\``);
  return outcome === 'done' ? 0 : 130;
}
