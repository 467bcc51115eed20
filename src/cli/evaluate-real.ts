import path from 'node:path';
import { checkModelsJob } from '../app/control/control-models.js';
import { checkJobJar, configJobIdentity, controlStore, evaluationRuns, loadTrace, modelInputs, newControlRunId, platformName, storedCapacity } from '../compose.js';
import { evaluateRealFromConfig, type RealEvaluationDeps, type RealOptions } from '../app/evaluate-real.js';
import type { KhaosConfig } from '../config/schema.js';
import { samplesToCsv } from '../core/profiling/samples.js';
import { measuredTimeline } from '../core/evaluation/timeline.js';
import { identityComment } from '../core/job-identity.js';
import type { PolicyUnderTest } from '../core/control/policies.js';
import { writeReport } from './evaluate-files.js';
import { log, stopOnSignals, withPlatform, type CliIo } from './common.js';

/**
 * `khaos evaluate` without --sim (app/evaluate-real.ts) on the config's platform, its report
 * written and its summary printed. 1 when a run lost or duplicated events; 130 when stopped (the
 * runs done are kept, and --resume continues). `onPlatform` is the config's platform
 * (compose.onPlatform) unless given (the k8s test gives one with a bus of its own).
 */
export async function evaluateReal(c: KhaosConfig, policies: readonly PolicyUnderTest[], o: RealOptions & { json: boolean; strict?: boolean }, io: CliIo, onPlatform: RealEvaluationDeps['onPlatform'] = (scope, body) => withPlatform(c, scope, body)): Promise<number> {
  if (!o.fromRuns && c.platform === 'local') checkJobJar(c);
  const where = platformName(c);
  const result = await evaluateRealFromConfig(
    {
      loadTrace: (name) => loadTrace(name, io.workloadsDir),
      modelInputs: (control) => {
        const inputs = modelInputs(control);
        checkModelsJob(inputs, configJobIdentity(c), o.strict === true, log);
        return inputs;
      },
      capacity: storedCapacity(c),
      runs: evaluationRuns,
      onPlatform,
      controlStore,
      newRunId: newControlRunId,
      platform: where,
      watchForStop: () => stopOnSignals('the evaluation'),
      log,
      now: Date.now,
    },
    c,
    policies,
    o,
  );
  if (result.kind === 'incomplete') {
    const { plan, left, dir, stopped } = result;
    const resume = `khaos ${o.command.replace(/^khaos /, '').replace(/\s--(out|resume|runs)(\s+|=)\S+/g, '')} --resume ${dir}`;
    io.err(`evaluate: ${stopped ? 'stopped; ' : ''}${plan.order.length - left.length} of ${plan.order.length} runs recorded in ${path.join(dir, evaluationRuns.runsFile)}; left: ${left.map((u) => u.position).join(', ')}. Continue with \`${resume}\` (add --runs A-B for a part), or join sittings with --from-runs DIR1 --from-runs DIR2; the report comes once every run is recorded\n`);
    return stopped ? 130 : 0;
  }
  const { outcome: out, input, samples } = result;
  const markdownPath = writeReport(result.outDir, out.json, out.report, [
    { name: 'samples.csv', content: samplesToCsv(samples, [`MEASURED on ${where.name}: the kills of \`${o.command}\` (${input.mode}), ${input.planId}; usable as control.samples`, identityComment(configJobIdentity(c))]) },
    { name: 'timeline.json', content: `${JSON.stringify(measuredTimeline(out.records, input.plan.repeats, c.control.options.recoveryTargetS))}\n` },
    { name: 'sim-vs-real.json', content: `${JSON.stringify({ simulatorParameters: o.params.source, params: o.params.params, policies: out.gaps }, null, 2)}\n` },
  ]);
  if (o.json) io.out(out.json);
  else io.out(`${out.report.markdown.split('\n## Violations')[1]?.replace(/^\n/, '## Violations\n') ?? ''}\nreport: ${markdownPath}\n`);
  io.err(`report (MEASURED on ${where.name}): ${markdownPath}; runs: ${o.fromRuns?.join(', ') ?? path.join(result.dir, evaluationRuns.runsFile)}\n`);
  if (!out.outputChecked) io.err('evaluate: the committed output was not checked (job.reconcile: none)\n');
  if (!out.exactlyOnce) io.err('evaluate: a run lost or duplicated events in its committed output (see the lost and duplicated columns)\n');
  return out.exactlyOnce ? 0 : 1;
}
