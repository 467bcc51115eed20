import fs from 'node:fs';
import path from 'node:path';
import { badInput } from '../../core/errors.js';
import { missingRuns, planDifferences, type RealPlan } from '../../core/evaluation/real-plan.js';
import type { RealRunRecord } from '../../core/evaluation/real-run.js';
import { parseRunsJson } from '../../core/sim/calibrate.js';
import type { Sitting } from '../../ports/evaluation-runs.js';

/**
 * The files of a real evaluation's runs in its out directory: `plan.json` (the plan and its id,
 * written before the first run) and `runs.json` (a JSON array of RealRunRecord, rewritten whole
 * after each run through a temporary file and a rename, so a kill at any moment leaves the last
 * complete list). `khaos sim calibrate --runs` reads the same runs.json.
 */
export const RUNS_FILE = 'runs.json';
export const PLAN_FILE = 'plan.json';

interface PlanFile {
  planId: string;
  plan: RealPlan;
}

/** Writes `content` to `file` atomically: a reader or a crash sees the old file or the new one, never half of one. */
function writeAtomically(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function readPlanFile(dir: string): PlanFile | undefined {
  const file = path.join(dir, PLAN_FILE);
  if (!fs.existsSync(file)) return undefined;
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as PlanFile;
  } catch (e) {
    throw badInput(`${file} is not JSON: ${(e as Error).message}`, 'give the out directory of an earlier `khaos evaluate` (without --sim)');
  }
}

/** The runs.json of `fileOrDir` (a runs.json, or the directory holding one). */
function runsFileOf(fileOrDir: string): string {
  return fs.existsSync(fileOrDir) && fs.statSync(fileOrDir).isDirectory() ? path.join(fileOrDir, RUNS_FILE) : fileOrDir;
}

function readRunsFile(file: string, what: string): RealRunRecord[] {
  if (!fs.existsSync(file)) throw badInput(`${what}: ${file} not found`, 'give the runs.json (or the out directory) an earlier `khaos evaluate` (without --sim) wrote');
  return parseRunsJson(fs.readFileSync(file, 'utf8'), file);
}

const differencesFrom = (file: string, plan: RealPlan) => {
  const theirs = readPlanFile(path.dirname(file));
  return theirs ? ` (${planDifferences(theirs.plan, plan).join('; ')})` : '';
};

/**
 * A new sitting in `dir` (nothing recorded there yet: runs cost minutes each, so they are never
 * overwritten), or the continuation of the one there (`resume`): its plan must be this plan, and
 * its runs are kept. Writes plan.json before any run.
 */
export function openSitting(dir: string, plan: RealPlan, planId: string, resume: boolean): Sitting {
  const runsFile = path.join(dir, RUNS_FILE);
  const stored = readPlanFile(dir);
  let records: RealRunRecord[] = [];
  if (resume) {
    if (!stored) throw badInput(`--resume ${dir}: no ${PLAN_FILE} there`, 'give the out directory of an evaluation started with this version of `khaos evaluate`');
    if (stored.planId !== planId) throw badInput(`--resume ${dir}: its runs were planned as ${stored.planId}, and this config plans ${planId} (${planDifferences(stored.plan, plan).join('; ')})`, 'resume with the config (and --policies) the evaluation was started with');
    records = fs.existsSync(runsFile) ? readRunsFile(runsFile, '--resume') : [];
    // Side by side, a run is several records: one cut off half-written is made again whole.
    const partial = new Set(missingRuns(plan, records).map((u) => u.position));
    records = records.filter((r) => !partial.has(r.position!));
  } else if (fs.existsSync(runsFile) || stored) {
    throw badInput(`${dir} already holds the runs of an evaluation${stored ? ` (${stored.planId})` : ''}`, `continue it with --resume ${dir}, or write elsewhere with --out`);
  }
  fs.mkdirSync(dir, { recursive: true });
  writeAtomically(path.join(dir, PLAN_FILE), `${JSON.stringify({ planId, plan } satisfies PlanFile, null, 2)}\n`);
  return {
    dir,
    records,
    record(r) {
      records.push(r);
      writeAtomically(runsFile, `${JSON.stringify(records)}\n`);
    },
  };
}

/**
 * The runs of earlier sittings (`--from-runs`, each a runs.json or its directory), joined: all of
 * one plan, the plan of this config, no run twice. Records made before plans (no planId) are
 * accepted alone, one run per policy in the listed order, as before.
 */
export function joinRuns(files: readonly string[], plan: RealPlan, planId: string): RealRunRecord[] {
  const sets = files.map((f) => ({ file: runsFileOf(f), records: readRunsFile(runsFileOf(f), '--from-runs') }));
  const all = sets.flatMap((s) => s.records.map((r) => ({ file: s.file, r })));
  if (all.length > 0 && all.every(({ r }) => r.planId === undefined)) {
    if (sets.length > 1) throw badInput(`--from-runs: ${sets.map((s) => s.file).join(', ')} hold runs made before plans, which cannot be joined`, 'give one such runs.json at a time');
    const names = all.map(({ r }) => r.policy).join(',');
    if (names !== plan.policies.join(',')) throw badInput(`--from-runs: ${sets[0]!.file} has the runs of ${names}, and this evaluation lists ${plan.policies.join(',')}`, 'use the config (or --policies) of that evaluation');
    // As run 1 of each policy, at that run's place in this plan's order (a plan of one repeat is then complete).
    return all.map(({ r }) => ({ ...r, run: 1, position: plan.order.find((u) => u.run === 1 && u.policies.includes(r.policy))?.position }));
  }
  const foreign = all.filter(({ r }) => r.planId !== planId);
  if (foreign.length > 0) {
    const { file, r } = foreign[0]!;
    throw badInput(`--from-runs: ${file} holds runs of ${r.planId ?? 'no plan (made before plans)'}, and this config plans ${planId}${r.planId ? differencesFrom(file, plan) : ''}`, 'join only the sittings of one evaluation, with the config (and --policies) it was started with');
  }
  const seen = new Map<string, string>();
  for (const { file, r } of all) {
    const key = `${r.position}:${r.policy}`;
    if (seen.has(key)) throw badInput(`--from-runs: run ${r.position} (${r.policy}, repeat ${r.run}) is in ${seen.get(key)} and in ${file}`, 'give each sitting once');
    seen.set(key, file);
  }
  return all.map(({ r }) => r);
}
