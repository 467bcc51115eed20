import { identityFromCsv, identityText } from '../core/job-identity.js';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { badInput } from '../core/errors.js';
import { fromModelFile, toModelFile } from '../core/models/model-file.js';
import { chooseModel, PREDICTION_CEILING, predictInterval, type FitProgress, type IntervalModel, type ModelKind } from '../core/models/regression.js';
import { fitModels, LATENCY_NOT_FITTED, summarise, type FittedVariants } from '../core/models/variants.js';
import { parseSamplesCsv, type FailureSample } from '../core/profiling/samples.js';
import { act, processIo, runAlone } from './common.js';

const SAMPLES_NOTE = `
FILE.csv has the header ci_ms,throughput_eps,latency_ms,recovery_s
(optional: detection_s,restart_s,catchup_s,state_bytes,checkpoint_ms).`;
const EXAMPLES = `${SAMPLES_NOTE}

Examples:
  khaos models fit --samples FILE.csv [--out DIR] [--seed N]
  khaos models compare --samples FILE.csv [--json] [--seed N]
  khaos models show FILE.json [--level P]`;

/** Output of the command; every string passed ends in a newline (wire them to process.stdout.write and process.stderr.write). */
export interface ModelsIo {
  out: (s: string) => void;
  /** Progress of long fits (default: none). */
  err?: (s: string) => void;
}

/** A fit reports progress once it has run this long, then at most once per this period. */
const PROGRESS_EVERY_MS = 2000;

interface Flags {
  samples?: string;
  out?: string;
  seed?: string;
  json?: boolean;
  level?: string;
}

/** `khaos models fit|compare|show`. Bad flags, files or samples throw KhaosError('bad-input') with a hint. */
export function addModelsCommand(parent: Command, io: ModelsIo): Command {
  const models = parent.command('models').description('latency and recovery models from measured failures').addHelpText('after', EXAMPLES);
  const fitting = (name: 'fit' | 'compare', description: string) =>
    models
      .command(name)
      .description(description)
      .option('--samples <file.csv>', 'failure measurements (header ci_ms,throughput_eps,latency_ms,recovery_s)')
      .option('--seed <n>', 'seed of the 10-fold cross-validation shuffle (used above 30 samples; default 42)')
      .allowExcessArguments() // said by fit() in the words of the command
      .addHelpText('after', SAMPLES_NOTE);
  act(fitting('fit', 'fit every model variant, choose per kind by cross-validated MAPE, write DIR/recovery-model.json and DIR/latency-model.json, print the fit statistics').option('--out <dir>', 'where to write the model files (default .)'), (f: Flags, rest) => fit('fit', f, rest, io));
  act(fitting('compare', 'fit and cross-validate every model variant').option('--json', 'print {models: [{name, recovery, latency}], chosen}'), (f: Flags, rest) => fit('compare', f, rest, io));
  const show = models
    .command('show')
    .description('a model file and its predictions (with a P interval) over throughputs and intervals')
    .argument('[file]', 'a model file written by `khaos models fit`')
    .usage('[options] <file>')
    .option('--level <p>', 'probability of the prediction interval (default 0.8)')
    .allowExcessArguments(); // said by the action in the words of the command
  act(show, (f: Flags, rest) => {
    if (rest.length !== 1) throw badInput('models show needs exactly one model file', 'use: khaos models show FILE.json');
    const level = f.level === undefined ? 0.8 : Number(f.level);
    if (!(level > 0 && level < 1)) throw badInput(`--level needs a number between 0 and 1, got "${f.level}"`, 'e.g. --level 0.9 for a 90 % interval');
    io.out(showModel(rest[0]!, level));
    return 0;
  });
  return models;
}

/**
 * `khaos models …` on its own (`args` are the words after `models`), as the CLI runs it. Returns
 * the exit code; throws KhaosError('bad-input') for bad flags, files or samples, with a hint.
 */
export function modelsCommand(args: string[], io: ModelsIo): Promise<number> {
  return runAlone(addModelsCommand, ['models', ...args], processIo({ out: io.out, err: io.err ?? (() => {}) }));
}

function fit(sub: 'fit' | 'compare', flags: Flags, rest: string[], io: ModelsIo): number {
  const seed = flags.seed === undefined ? 42 : Number(flags.seed);
  if (!Number.isInteger(seed) || seed < 0) throw badInput(`--seed needs a non-negative integer, got "${flags.seed}"`);
  if (rest.length > 0) throw badInput(`models ${sub} takes no positional argument, got "${rest.join(' ')}"`, `use: khaos models ${sub} --samples FILE.csv`);
  if (!flags.samples) throw badInput(`models ${sub} needs --samples FILE.csv`, 'give a CSV of failure measurements (header ci_ms,throughput_eps,latency_ms,recovery_s)');
  const { text, samples } = readSamples(flags.samples);
  const fitted = fitModels(samples, seed, progressReporter(io));
  if (sub === 'compare') {
    if (flags.json) io.out(JSON.stringify(summarise(fitted), null, 2) + '\n');
    else io.out(statsTable(flags.samples, samples, fitted, seed));
    return 0;
  }
  io.out(statsTable(flags.samples, samples, fitted, seed));
  const dir = flags.out ?? '.';
  try {
    fs.mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw badInput(`cannot create output directory ${dir}: ${(e as Error).message}`, 'give a writable --out DIR');
  }
  const sha256 = createHash('sha256').update(text).digest('hex');
  const job = identityFromCsv(text, flags.samples);
  io.out(`job: ${job ? identityText(job) : 'not recorded in the samples (an export made before job identities, or a hand-made CSV)'}\n`);
  const createdAt = new Date().toISOString();
  for (const kind of ['recovery', 'latency'] as const) {
    if (fitted[kind].length === 0) {
      io.out(`no ${kind} model written: ${LATENCY_NOT_FITTED}; khaos and khaos+ need one, young-daly and static intervals do not\n`);
      continue;
    }
    const chosen = chooseModel(fitted[kind], kind);
    const file = path.join(dir, `${kind}-model.json`);
    fs.writeFileSync(file, JSON.stringify(toModelFile(chosen, { source: flags.samples, sha256, samples, ...(job ? { job } : {}) }, createdAt), null, 2) + '\n');
    io.out(`wrote ${file}: ${chosen.variant} ${kind} model\n`);
  }
  return 0;
}

/** A file's text; a missing or unreadable file is bad input naming it as `what`. */
export function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw badInput(code === 'ENOENT' ? `${what} ${file} not found` : `cannot read ${what} ${file}: ${(e as Error).message}`, `check the path of the ${what}`);
  }
}

function readSamples(file: string): { text: string; samples: FailureSample[] } {
  const text = readText(file, 'samples file');
  return { text, samples: parseSamplesCsv(text, file) };
}

export const sig = (x: number, digits = 4) => (Number.isFinite(x) ? String(Number(x.toPrecision(digits))) : '—');
export const pct = (x: number) => (Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '—');
const UNIT: Record<ModelKind, string> = { recovery: 's', latency: 'ms' };

/** Rows as aligned columns, the first row the header. */
export function table(rows: string[][]): string {
  const widths = rows[0]!.map((_, j) => Math.max(...rows.map((r) => (r[j] ?? '').length)));
  return rows.map((r) => r.map((c, j) => c.padEnd(widths[j]!)).join('  ').trimEnd()).join('\n') + '\n';
}

/** Progress lines on stderr, timestamped like `khaos evaluate`'s, for a fit that runs longer than {@link PROGRESS_EVERY_MS}. */
function progressReporter(io: ModelsIo): FitProgress | undefined {
  const err = io.err;
  if (!err) return undefined;
  const started = performance.now();
  let last = started;
  return ({ done, total, step }) => {
    const now = performance.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    err(`${new Date().toISOString().slice(11, 19)} models: ${done}/${total} fits (${step}), ${((now - started) / 1000).toFixed(1)} s so far\n`);
  };
}

function statsTable(source: string, samples: readonly FailureSample[], fitted: FittedVariants, seed: number): string {
  const method = fitted.recovery[0]!.cv.method;
  const rows = [['kind', 'model', 'n', 'R²', 'MAPE', 'RMSE', 'CV MAPE', 'CV RMSE', 'chosen', 'coefficients']];
  for (const kind of ['recovery', 'latency'] as const) {
    if (fitted[kind].length === 0) {
      rows.push([kind, LATENCY_NOT_FITTED, '', '', '', '', '', '', '', '']);
      continue;
    }
    const chosen = chooseModel(fitted[kind], kind);
    for (const m of fitted[kind]) {
      rows.push([
        kind,
        m.variant,
        String(m.fit.n),
        m.fit.r2.toFixed(3),
        pct(m.fit.mape),
        `${sig(m.fit.rmse)} ${UNIT[kind]}`,
        pct(m.cv.cvMape),
        `${sig(m.cv.cvRmse)} ${UNIT[kind]}`,
        m === chosen ? '*' : '',
        Object.entries(m.coefficients)
          .map(([k, v]) => `${k}=${sig(v, 6)}`)
          .join(' '),
      ]);
    }
  }
  const folds = method === '10-fold' ? `10-fold, seed ${seed}` : 'leave-one-out';
  const unfitted = fitted.unfitted.map((u) => `not fitted: ${u.kind}/${u.variant}: ${u.reason}\n`).join('');
  return `samples ${source}: ${samples.length} failures; cross-validation ${folds}; * = lowest CV MAPE; model variants: src/core/models/variants.ts\n` + table(rows) + unfitted;
}

function showModel(file: string, level: number): string {
  let json: unknown;
  const text = readText(file, 'model file');
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw badInput(`model file ${file} is not JSON: ${(e as Error).message}`, 'give a file written by `khaos models fit`');
  }
  const { file: f, model } = fromModelFile(json, file);
  const t = f.training;
  const lines = [
    `${file}: ${f.name} ${f.kind} model (${f.format} v${f.version}), fitted ${f.createdAt}`,
    `  trained on ${t.source}: ${t.sampleCount} failures, sha256 ${t.sha256.slice(0, 16)}…, throughput ${sig(t.throughputEps.min)}–${sig(t.throughputEps.max)} events/s, CI ${sig(t.ciMs.min)}–${sig(t.ciMs.max)} ms`,
    `  job: ${f.job ? identityText(f.job) : 'not recorded (samples without a job identity)'}`,
    `  coefficients: ${Object.entries(f.coefficients)
      .map(([k, v]) => `${k}=${sig(v, 6)}`)
      .join(' ')}`,
    `  fit: n=${f.fit.n} R²=${f.fit.r2.toFixed(3)} MAPE=${pct(f.fit.mape)} RMSE=${sig(f.fit.rmse)} ${UNIT[f.kind]}; cross-validated (${f.fit.cvMethod}): MAPE=${pct(f.fit.cvMape ?? NaN)} RMSE=${sig(f.fit.cvRmse ?? NaN)} ${UNIT[f.kind]}`,
    '',
    `predicted ${f.kind} (${UNIT[f.kind]}), mid (low–high of the ${Math.round(level * 100)} % interval); "saturated" = at or above capacity: ${f.kind === 'recovery' ? 'the backlog never drains' : 'the queue grows without bound'}`,
  ];
  return lines.join('\n') + '\n' + predictionGrid(model, t.throughputEps, t.ciMs, level);
}

/** Rows: throughputs across the training range (and up to capacity, when the model has one); columns: intervals across the training range. */
function predictionGrid(model: IntervalModel, eps: { min: number; max: number }, ci: { min: number; max: number }, level: number): string {
  const spread = (lo: number, hi: number, k: number, step: number) => [...new Set(Array.from({ length: k }, (_, i) => Math.round((lo + ((hi - lo) * i) / (k - 1)) / step) * step))];
  const throughputs = spread(eps.min, eps.max, 5, 1);
  const capacity = model.coefficients.capacityEps;
  if (capacity !== undefined) for (const f of [0.95, 1]) if (capacity * f > eps.max) throughputs.push(capacity * f); // exactly at capacity: saturated
  const intervals = spread(ci.min, ci.max, 4, ci.max >= 10_000 ? 1000 : 100);
  const ceiling = PREDICTION_CEILING[model.kind];
  const rows = [['throughput_eps', ...intervals.map((c) => `CI ${sig(c / 1000)} s`)]];
  for (const t of throughputs) {
    rows.push([
      sig(t, 6),
      ...intervals.map((c) => {
        const p = predictInterval(model, t, c, level);
        return p.mid >= ceiling ? 'saturated' : `${sig(p.mid, 3)} (${sig(p.low, 3)}–${p.high >= ceiling ? '∞' : sig(p.high, 3)})`;
      }),
    ]);
  }
  return table(rows);
}
