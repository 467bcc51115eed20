import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { rateSourceFor, type RateSourceSpec } from '../compose.js';
import { parseDuration } from '../core/duration.js';
import { badInput } from '../core/errors.js';
import { seededRandom } from '../core/random.js';
import { steadyStatePlot } from '../report/steady-state-plot.js';
import { analyzePerSecond, toPerSecond, type SteadyStateOptions, type SteadyStateResult, type Tolerance } from '../core/load/steady-state.js';
import { compactNumber } from '../report/svg-plot.js';
import { act, processIo, runAlone, type CliIo } from './common.js';
import { checkOutputFile } from './output-paths.js';

const DEFAULT_SEED = 42;

function number(v: string | undefined, flag: string, check: (n: number) => boolean, want: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || !check(n)) throw badInput(`--${flag} needs ${want}, got "${v}"`, `e.g. --${flag} ${flag === 'compression' ? '60' : flag === 'seed' ? '7' : '12'}`);
  return n;
}

/** A duration flag in whole seconds; a bare number is milliseconds, as everywhere (parseDuration). */
function seconds(v: string | undefined, flag: string): number | undefined {
  if (v === undefined) return undefined;
  const ms = parseDuration(v, `--${flag}`);
  if (ms % 1000 !== 0) {
    // "--window 300" is 300 ms; say so, since seconds were most likely meant.
    const bare = /^\s*\d+(\.\d+)?\s*$/.test(v);
    throw badInput(`--${flag} must be whole seconds, got "${v}"${bare ? ' (a bare number is milliseconds)' : ''}`, `e.g. --${flag} ${bare && Number.isInteger(Number(v)) ? v.trim() : Math.max(1, Math.round(ms / 1000))}s`);
  }
  return ms / 1000;
}

/** "0.05" or "5%" → relative; "120/s" → absolute. */
export function parseTolerance(v: string): Tolerance {
  const abs = /^\s*(\d+(?:\.\d+)?)\s*\/s\s*$/.exec(v);
  if (abs) return { absolute: Number(abs[1]) };
  const pct = /^\s*(\d+(?:\.\d+)?)\s*%\s*$/.exec(v);
  if (pct) return { relative: Number(pct[1]) / 100 };
  const rel = /^\s*(\d*\.?\d+)\s*$/.exec(v);
  if (rel && Number(rel[1]) < 1) return { relative: Number(rel[1]) };
  throw badInput(`--tolerance "${v}" is not a tolerance`, 'write a fraction of the rolling mean (0.05 or 5%), or an absolute rate (120/s)');
}

function isoSeconds(v: string | undefined, flag: string): number {
  if (v === undefined) throw badInput(`--prometheus needs --${flag}`, `give --${flag} as an ISO time, e.g. --${flag} 2026-01-05T00:00:00Z`);
  const ms = Date.parse(v);
  if (Number.isNaN(ms)) throw badInput(`--${flag} "${v}" is not an ISO time`, `e.g. --${flag} 2026-01-05T00:00:00Z`);
  return ms / 1000;
}

interface Flags {
  json?: boolean;
  plot?: string;
  levels?: string;
  window?: string;
  tolerance?: string;
  minSpacing?: string;
  edge?: string;
  seed?: string;
  compression?: string;
  prometheus?: string;
  query?: string;
  start?: string;
  end?: string;
  step?: string;
  kafka?: string;
  topic?: string;
}

/** What the flags name as the one rate source (compose.ts builds it). */
function sourceSpec(positionals: string[], f: Flags, workloadsDir: string): RateSourceSpec {
  const given = [positionals.length > 0 && 'a trace', f.prometheus !== undefined && '--prometheus', f.kafka !== undefined && '--kafka'].filter(Boolean);
  if (given.length !== 1) {
    throw badInput(given.length === 0 ? 'analyze needs a rate source' : `analyze takes one rate source, got ${given.join(' and ')}`, 'give a trace (`khaos analyze nyc_taxi.csv`), or --prometheus URL --query Q --start ISO --end ISO, or --kafka BOOTSTRAP --topic T');
  }
  if (positionals.length > 1) throw badInput(`analyze takes one trace, got ${positionals.join(' ')}`);
  for (const [flag, needs] of [['query', 'prometheus'], ['start', 'prometheus'], ['end', 'prometheus'], ['step', 'prometheus'], ['topic', 'kafka']] as const) {
    if (f[flag] !== undefined && f[needs] === undefined) throw badInput(`--${flag} only goes with --${needs}`);
  }
  if (f.prometheus !== undefined) {
    if (!f.query) throw badInput('--prometheus needs --query', 'give PromQL that yields one series, e.g. --query "sum(rate(records_in_total[1m]))"');
    const startSec = isoSeconds(f.start, 'start');
    const endSec = isoSeconds(f.end, 'end');
    if (!(endSec > startSec)) throw badInput(`--end (${f.end}) must be after --start (${f.start})`);
    const stepSec = seconds(f.step ?? '60s', 'step')!;
    if (!(stepSec > 0)) throw badInput('--step must be at least 1s');
    return { kind: 'prometheus', url: f.prometheus, query: f.query, startSec, endSec, stepSec };
  }
  if (f.kafka !== undefined) {
    if (!f.topic) throw badInput('--kafka needs --topic', 'name the topic whose record rate to analyse, e.g. --topic khaos-iot-input');
    return { kind: 'kafka', bootstrap: f.kafka, topic: f.topic };
  }
  return { kind: 'trace', nameOrPath: positionals[0]!, workloadsDir };
}

const days = (s: number) => (s >= 2 * 86_400 ? `${(s / 86_400).toFixed(1)} days` : s >= 7200 ? `${(s / 3600).toFixed(1)} h` : `${s} s`);
const naive = (sec: number) => new Date(sec * 1000).toISOString().slice(0, 19).replace('T', ' ');

function report(r: SteadyStateResult, startSec: number, sourceLine: string, seed: number, plotFile: string): string[] {
  const s = r.summary;
  const o = r.options;
  const tol = 'relative' in o.tolerance ? `±${+(o.tolerance.relative * 100).toFixed(3)} %` : `±${o.tolerance.absolute}/s`;
  const lines = [
    `source: ${sourceLine}`,
    `${s.seconds} analysis seconds (${days(s.traceSpanSec)} of trace at compression ${o.compression}); ${(s.stableFraction * 100).toFixed(1)} % stable (window ${o.windowSec} s, tolerance ${tol})`,
    `rate: min ${compactNumber(s.min)}, median ${compactNumber(s.median)}, p95 ${compactNumber(s.p95)}, max ${compactNumber(s.max)}, mean ${compactNumber(s.mean)}`,
  ];
  if (s.dailyProfile) lines.push(`daily profile (mean per hour of day): ${s.dailyProfile.map((v, h) => `${String(h).padStart(2, '0')}h ${v === null ? '-' : compactNumber(v)}`).join(', ')}`);
  lines.push(`levels (${r.levels.length}): ${r.levels.map(compactNumber).join(', ')}`);
  lines.push(`injection points (seed ${seed}, ≥ ${o.minSpacingSec} s apart, ≥ ${o.edgeSec} s from the ends):`);
  lines.push(`  ${'second'.padStart(10)}  ${'level'.padStart(8)}  ${'rate'.padStart(8)}  trace time`);
  for (const p of r.points) lines.push(`  ${String(p.second).padStart(10)}  ${compactNumber(p.level).padStart(8)}  ${compactNumber(p.rate).padStart(8)}  ${naive(startSec + p.traceOffsetSec)}`);
  for (const u of r.unplaced) lines.push(`  level ${compactNumber(u.level)} not placed: ${u.reason}`);
  lines.push(`plot: ${plotFile}`);
  return lines;
}

const DURATIONS = `
DUR is a duration in whole seconds, written like 300s, 30min or 2h; a bare number is
milliseconds, as in the config (300000 = 300s).`;

/** `khaos analyze [trace]`: phase 1 on a CSV trace, a Prometheus range query or a Kafka topic. */
export function addAnalyzeCommand(parent: Command, io: CliIo): Command {
  const cmd = parent
    .command('analyze')
    .description('phase 1: steady state, load levels and injection points of a trace, a Prometheus query or a Kafka topic; prints a report and writes an SVG plot')
    .argument('[trace]', 'a CSV path, or a file name in the workloads directory (e.g. nyc_taxi.csv)')
    .option('--prometheus <url>', 'instead of a trace: a Prometheus range query yielding one series (with --query, --start, --end)')
    .option('--query <promql>', 'the PromQL of --prometheus')
    .option('--start <iso>', 'start of the --prometheus range, an ISO time')
    .option('--end <iso>', 'end of the --prometheus range, an ISO time')
    .option('--step <dur>', 'resolution of the --prometheus query (default 60s)')
    .option('--kafka <bootstrap>', "instead of a trace: records per second of a topic's record timestamps (with --topic)")
    .option('--topic <t>', 'the topic of --kafka')
    .option('--json', 'print {summary, levels, points, unplaced} as JSON, nothing else')
    .option('--plot <file.svg>', 'where to write the plot (default ./khaos-analyze-<trace name>.svg)')
    .option('--levels <n>', 'load levels (default 12)')
    .option('--window <dur>', 'rolling-mean window, e.g. 300s (default)')
    .option('--tolerance <t>', '0.05 or 5% (relative, default 5%), or 120/s (absolute rate)')
    .option('--min-spacing <dur>', 'least distance between injection points (default 1800s)')
    .option('--edge <dur>', 'least distance of a point from the trace ends (default: min spacing)')
    .option('--compression <x>', 'trace seconds per analysis second (default 1); windows, spacings and point seconds are then in analysis seconds')
    .option('--seed <n>', `seed of the point choice (default ${DEFAULT_SEED})`)
    .allowExcessArguments() // more than one trace: said by sourceSpec
    .addHelpText('after', DURATIONS);
  return act(cmd, (f: Flags, args) => analyze(args, f, { line: (s) => io.out(`${s}\n`), workloadsDir: io.workloadsDir }));
}

/**
 * `khaos analyze` on its own (`args` are the words after `analyze`), as the CLI runs it. Returns
 * the exit code; bad flags and unusable sources throw KhaosError for the caller to print.
 * `io.out` prints one line (it adds the newline); `io.workloadsDir` is where trace names without
 * a path are looked up.
 */
export function analyzeCommand(args: string[], io: { out: (s: string) => void; workloadsDir: string }): Promise<number> {
  return runAlone(addAnalyzeCommand, ['analyze', ...args], processIo({ out: (s) => io.out(s.replace(/\n$/, '')), workloadsDir: io.workloadsDir }));
}

/** Prints a report (or JSON with --json) and writes an SVG plot; `io.line` prints one line (it adds the newline). */
async function analyze(positionals: string[], f: Flags, io: { line: (s: string) => void; workloadsDir: string }): Promise<number> {
  const tolerance = f.tolerance === undefined ? undefined : parseTolerance(f.tolerance);
  const options: SteadyStateOptions = {
    levels: number(f.levels, 'levels', (n) => Number.isInteger(n) && n >= 1, 'a whole number ≥ 1'),
    windowSec: seconds(f.window, 'window'),
    tolerance,
    minSpacingSec: seconds(f.minSpacing, 'min-spacing'),
    edgeSec: seconds(f.edge, 'edge'),
    compression: number(f.compression, 'compression', (n) => n > 0, 'a number > 0'),
  };
  const seed = number(f.seed, 'seed', Number.isInteger, 'a whole number') ?? DEFAULT_SEED;
  if (f.plot !== undefined && !f.plot.toLowerCase().endsWith('.svg')) throw badInput(`--plot ${f.plot}: the plot is an SVG file`, `name it like ${f.plot}.svg`);
  const { source, name, close } = rateSourceFor(sourceSpec(positionals, f, io.workloadsDir));
  const plotFile = path.resolve(f.plot ?? `khaos-analyze-${name.replace(/[^A-Za-z0-9._-]+/g, '_')}.svg`);
  // Before the source is read: a plot that cannot be written would lose the analysis (and --json's result) after the work.
  checkOutputFile(plotFile, '--plot', f.plot === undefined);
  let trace;
  try {
    trace = await source.load();
  } finally {
    await close?.();
  }
  const series = toPerSecond(trace, { compression: options.compression });
  const result = analyzePerSecond(series, options, seededRandom(seed));
  const title = `${trace.name}: ${result.levels.length} load levels, ${result.points.length} injection points (seed ${seed})`;
  fs.writeFileSync(plotFile, steadyStatePlot(series, result, title));
  if (f.json) {
    const { summary, levels, points, unplaced } = result;
    io.line(JSON.stringify({ summary, levels, points: points.map(({ second, level, rate }) => ({ second, level, rate })), unplaced }));
  } else {
    for (const line of report(result, series.startSec, source.describe(), seed, plotFile)) io.line(line);
  }
  return 0;
}
