import type { Command } from 'commander';
import type { JobName } from '../core/jobs.js';
import { profileStore } from '../compose.js';
import type { KhaosConfig } from '../config/schema.js';
import { badInput } from '../core/errors.js';
import { JOB_KINDS } from '../core/load/events.js';
import { recoveredSamples } from '../core/profiling/profile-records.js';
import { parseSamplesCsv } from '../core/profiling/samples.js';
import { calibrate, parseRunsJson, PHI_OF_TIMING, type CalibrationRecord, type SampleSource } from '../core/sim/calibrate.js';
import { fluidParams, type FluidParamsOverrides } from '../core/sim/fluid-params.js';
import type { ProfileStore } from '../ports/profile-store.js';
import { act, processIo, runAlone, withConfigOptions, type CliIo } from './common.js';
import { pct, readText, sig, table } from './models.js';

const EXAMPLES = `
Examples:
  khaos sim calibrate --job iot --profile p20261124220731 [--runs khaos-evaluate/runs.json] [--json]
  khaos sim calibrate --job iot --samples samples.csv [--phi 1]
  khaos sim calibrate --job iot --runs khaos-calibrate-iot/runs.json
  khaos sim calibrations [--job iot]
  khaos sim calibration iot-v1 [--json]
  khaos evaluate --sim --config examples/evaluate-iot.yaml --calibration iot-v1

A calibration fits the fluid simulator's parameters (capacity, detection, restart, checkpoint cost,
latency equation, savepoint and relaunch) from measurements and stores them, versioned per job, in
the profile database; parameters the sources cannot determine keep their defaults, and the record
says so. See docs/evaluate.md, "Calibration".`;


interface CalibrateFlags {
  job?: string;
  profile?: string;
  samples?: string[];
  phi?: string;
  runs?: string[];
  json?: boolean;
}

/** `khaos sim calibrate|calibrations|calibration`. Bad flags, files or measurements throw KhaosError('bad-input') with a hint. */
export function addSimCommand(parent: Command, io: CliIo, openStore: () => ProfileStore = profileStore): Command {
  const sim = parent.command('sim').description('the fluid simulator of `evaluate --sim`: calibrate it from measurements').addHelpText('after', EXAMPLES);
  const calibrateCmd = withConfigOptions(sim.command('calibrate').description('fit the simulator to a profile or a samples CSV (and optionally real evaluation runs), store the result as the next version for the job, print it'), ['job'], {
    job: `the job measured: ${JOB_KINDS.join(', ')} (required)`,
  })
    .option('--profile <id>', 'a stored profile (`khaos profile list`): its recovered failures')
    .option('--samples <file.csv>', 'failure measurements instead of a profile (header ci_ms,throughput_eps,latency_ms,recovery_s; optional detection_s,restart_s,catchup_s,state_bytes,checkpoint_ms); repeatable: the files are fitted as one', collect)
    .option('--phi <x>', 'with --samples: time since the last checkpoint at the injections, as a fraction of the interval (default 0.5; 1 for a before-checkpoint profile)')
    .option('--runs <file>', 'runs.json of a real-stack `khaos evaluate` (repeatable)', collect)
    .option('--json', 'print the stored record as JSON, nothing else');
  act(calibrateCmd, (f: CalibrateFlags) => withStore(openStore, (store) => calibrateCommand(store, f, io)));
  act(withConfigOptions(sim.command('calibrations').description('the stored calibrations, newest first'), ['job'], { job: `only those of this job (${JOB_KINDS.join(', ')})` }).option('--json', 'print the records as JSON'), (f: { job?: string; json?: boolean }) =>
    withStore(openStore, (store) => {
      const all = store.listCalibrations(f.job === undefined ? undefined : jobName(f.job));
      if (f.json) io.out(`${JSON.stringify(all, null, 2)}\n`);
      else if (all.length === 0) io.out(`no calibrations${f.job ? ` of job ${f.job}` : ''}: make one with \`khaos sim calibrate\`\n`);
      else io.out(table([['id', 'job', 'version', 'created', 'capacity_eps', 'recovery MAPE', 'sources'], ...all.map((c) => [c.id, c.job, String(c.version), new Date(c.createdAtMs).toISOString(), sig(c.params.capacityEps), pct(c.quality.recoveryMape ?? NaN), c.sources.join(', ')])]));
      return 0;
    }),
  );
  act(sim.command('calibration').description('one stored calibration: every parameter, where it came from, and the fit quality').argument('<id>', 'a calibration id').option('--json', 'print the record as JSON'), (f: { json?: boolean }, [id]) =>
    withStore(openStore, (store) => {
      const c = store.getCalibration(id!);
      if (!c) throw unknownCalibration(store, id!);
      io.out(f.json ? `${JSON.stringify(c, null, 2)}\n` : describeCalibration(c));
      return 0;
    }),
  );
  return sim;
}

/** `khaos sim …` on its own (`args` are the words after `sim`), as the CLI runs it, on the store `openStore` opens; returns the exit code. */
export function simCommand(args: string[], io: Partial<CliIo>, openStore?: () => ProfileStore): Promise<number> {
  return runAlone((program, cliIo) => addSimCommand(program, cliIo, openStore), ['sim', ...args], processIo(io));
}

/** A repeatable option's values, in the order given. */
function collect(v: string, prev?: string[]): string[] {
  return [...(prev ?? []), v];
}

function withStore<T>(openStore: () => ProfileStore, body: (store: ProfileStore) => T): T {
  const store = openStore();
  try {
    return body(store);
  } finally {
    store.close();
  }
}

/** --job: a sample job, or custom (the own job of the config the calibration is used with). */
function jobName(v: string): JobName {
  const names: readonly string[] = [...JOB_KINDS, 'custom'];
  if (!names.includes(v)) throw badInput(`--job must be ${names.join(', ')}, got "${v}"`);
  return v as JobName;
}

function calibrateCommand(store: ProfileStore, f: CalibrateFlags, io: CliIo): number {
  if (f.job === undefined) throw badInput('sim calibrate needs --job iot|ysb|dedup|custom', 'name the job the measurements are of, e.g. --job iot (custom: your own job)');
  const job = jobName(f.job);
  if (f.profile !== undefined && f.samples !== undefined) throw badInput('sim calibrate takes one of --profile ID and --samples FILE.csv, not both', 'see `khaos profile list` for the stored profiles');
  if (f.profile === undefined && f.samples === undefined && (f.runs ?? []).length === 0) throw badInput('sim calibrate needs measurements: --profile ID, --samples FILE.csv or --runs runs.json', 'see `khaos profile list` for the stored profiles, or run `khaos evaluate` for runs');
  if (f.phi !== undefined && f.samples === undefined) throw badInput('--phi goes with --samples (a profile knows its own injection timing)');
  const phi = f.phi === undefined ? PHI_OF_TIMING.random : Number(f.phi);
  if (!(phi >= 0 && phi <= 1)) throw badInput(`--phi needs a number from 0 to 1, got "${f.phi}"`, 'e.g. --phi 1 for failures injected just before a checkpoint');
  let samples: SampleSource | undefined;
  if (f.profile !== undefined) {
    const profile = store.getProfile(f.profile);
    if (!profile) throw badInput(`no profile "${f.profile}"`, 'see `khaos profile list`');
    const plan = profile.plan;
    samples = { name: `profile:${profile.id}`, job: plan.job, failure: plan.failure, phi: PHI_OF_TIMING[plan.timing], samples: recoveredSamples(store.measurements(profile.id), plan.aggregate) };
  } else if (f.samples !== undefined) {
    const files = f.samples;
    samples = { name: `samples:${files.join('+')}`, failure: 'kill', phi, samples: files.flatMap((file) => parseSamplesCsv(readText(file, 'samples file'), file)) };
  }
  const runs = (f.runs ?? []).map((file) => ({ name: `runs:${file}`, runs: parseRunsJson(readText(file, 'runs file'), file) }));
  const record = store.saveCalibration({ ...calibrate({ job, samples, runs }), createdAtMs: Date.now() });
  io.out(f.json ? `${JSON.stringify(record, null, 2)}\n` : describeCalibration(record));
  return 0;
}

function describeCalibration(c: CalibrationRecord): string {
  const q = c.quality;
  const rows = [['parameter', 'value', 'source', 'n', 'note'], ...Object.entries(c.fitted).map(([k, v]) => [k, sig(v.value, 5), v.source, String(v.n), v.note ?? ''])];
  const checks = [['source', 'ci_ms', 'throughput_eps', 'recovery_s', 'predicted_s'], ...q.recovery.map((r) => [r.source, sig(r.ciMs), sig(r.throughputEps), sig(r.measuredSec), sig(r.predictedSec)])];
  return [
    `calibration ${c.id} (job ${c.job}, version ${c.version}), ${new Date(c.createdAtMs).toISOString()}, from ${c.sources.join(', ')}`,
    table(rows),
    `quality: recovery MAPE ${pct(q.recoveryMape ?? NaN)} over ${q.recovery.length} failure(s); latency MAPE ${pct(q.latencyMape ?? NaN)} over ${q.latencyN} measurement(s)`,
    table(checks),
    `use it: khaos evaluate --sim --config FILE --calibration ${c.id} (or evaluate.sim.calibration: ${c.id})\n`,
  ].join('\n');
}

function unknownCalibration(store: ProfileStore, id: string, job?: JobName) {
  const known = store.listCalibrations(job).map((c) => c.id);
  const there = known.length > 0 ? `the calibrations${job ? ` of job ${job}` : ''} are ${known.join(', ')}` : `there is none${job ? ` of job ${job}` : ''}: make one with \`khaos sim calibrate --job ${job ?? 'iot'} --profile ID\``;
  return badInput(`no calibration "${id}"`, there);
}

/**
 * The config of `khaos evaluate --sim` with its calibration applied: the calibration `flag`
 * (--calibration) or evaluate.sim.calibration, its parameters as the base and the explicit
 * evaluate.sim values on top. Without either, the config as it is. Throws `bad-input` for an id
 * that is not stored (naming those of the job) or one made for another job kind than job.kind.
 */
export function applyCalibration(c: KhaosConfig, flag: string | undefined, openStore: () => ProfileStore = profileStore): { config: KhaosConfig; calibration?: CalibrationRecord } {
  const id = flag ?? c.evaluate.sim.calibration;
  if (id === undefined) return { config: c };
  const job = c.job.descriptor.name;
  const calibration = withStore(openStore, (store) => {
    const found = store.getCalibration(id);
    if (!found) throw unknownCalibration(store, id, job);
    return found;
  });
  if (calibration.job !== job) throw badInput(`calibration ${id} was made for job ${calibration.job}, but the config's job.kind is ${job}`, `use a calibration of job ${job} (\`khaos sim calibrations --job ${job}\`)`);
  const params = fluidParams(c.evaluate.sim as FluidParamsOverrides, calibration.params);
  return { config: { ...c, evaluate: { ...c.evaluate, params } }, calibration };
}
