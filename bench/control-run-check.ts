// Checks a recorded control run against the paced must-shows: interval changes, failures seen,
// checkpoint spacing after each change (±10 % from the second checkpoint on), outages of changes.
// Usage: npx tsx bench/control-run-check.ts [RUN_ID]   (default: the newest run in .khaos/control.db)
// Writes bench/results/control-run-check.json.
import fs from 'node:fs';
import path from 'node:path';
import { controlStore, repoRoot } from '../src/compose.js';
import { checkSpacing } from '../src/core/control/spacing.js';

const store = controlStore();
const run = process.argv[2] ? store.getRun(process.argv[2]) : store.listRuns()[0];
if (!run) throw new Error('no such control run (list them with `npx khaos control status`)');
const decisions = store.decisions(run.id);
const changes = decisions.filter((d) => d.outcome === 'applied');
const triggers = [...store.events(run.id, 'checkpoint-completed'), ...store.events(run.id, 'checkpoint-fallback')]
  .map((e) => ({ ...(e.data as { triggeredAtMs: number; tookMs: number }), own: e.kind === 'checkpoint-completed' }))
  .map((d) => ({ atMs: d.triggeredAtMs, tookMs: d.tookMs, own: d.own }))
  .sort((a, b) => a.atMs - b.atMs);
const failures = store.events(run.id, 'failure').map((e) => e.atMs);
const spacing = checkSpacing(changes, triggers, failures);
const result = {
  run: run.id, policy: run.policy, actuator: run.actuator, fallbackIntervalMs: run.fallbackIntervalMs,
  decisions: decisions.length, changes: changes.length, intervalsMs: changes.map((c) => c.toIntervalMs),
  outageMsOfChanges: [...new Set(changes.map((c) => c.outageMs))],
  failuresSeen: failures.length, recoveries: store.events(run.id, 'recovery').map((e) => e.detail),
  triggeredCheckpointsCompleted: triggers.length, triggerFailures: store.events(run.id, 'checkpoint-failed').length,
  spacing: { checked: spacing.checked, within10Percent: spacing.checked - spacing.off.length, deferredByLongCheckpoint: spacing.deferred, aroundFallbackCheckpoints: spacing.fallback, off: spacing.off },
};
console.log(JSON.stringify(result, null, 2));
fs.mkdirSync(path.join(repoRoot, 'bench', 'results'), { recursive: true });
fs.writeFileSync(path.join(repoRoot, 'bench', 'results', 'control-run-check.json'), `${JSON.stringify(result, null, 2)}\n`);
store.close();
