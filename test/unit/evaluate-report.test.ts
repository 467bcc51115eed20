import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY_OPTIONS } from '../../src/core/control/policy.js';
import { evaluateInSimulation, policyUnderTest, type FailurePlan } from '../../src/core/sim/sim-evaluation.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';
import { fluidControlModels } from '../../src/core/sim/fluid-models.js';
import { buildEvaluateReport, EVALUATE_REPORT_FILES, type EvaluateReportSetup } from '../../src/report/evaluate-report.js';
import { expectWellFormedSvg } from '../support/svg-well-formed.js';

const options = { ...DEFAULT_POLICY_OPTIONS, minUptimeMs: 60_000, evaluateEveryMs: 60_000, afterChangeMs: 60_000, recoveryTargetS: 40, latencyTargetMs: 400 };
const rates = Array.from({ length: 3 * 3600 }, (_, s) => 3_000 + 8_000 * Math.sin((Math.PI * s) / (3 * 3600)));
const policies = [policyUnderTest('khaos+'), policyUnderTest('khaos+', 'restart'), policyUnderTest('flink-backlog'), policyUnderTest('static:20000'), policyUnderTest('static:90000')];

function report(failures: FailurePlan) {
  const result = evaluateInSimulation({
    ratesEps: rates, policies, failures, params: DEFAULT_FLUID_PARAMS, models: fluidControlModels(DEFAULT_FLUID_PARAMS), policyOptions: options,
    control: { windowMs: 60_000 }, initialIntervalMs: 30_000,
  });
  const setup: EvaluateReportSetup = {
    trace: { name: 'made-up.csv', spanSec: 3 * 86_400 }, peakRateEps: 11_000, compression: 24, failures, latencyTargetMs: options.latencyTargetMs, recoveryTargetS: options.recoveryTargetS,
    latencyWindowSec: 1, initialIntervalMs: 30_000, models: 'fluidControlModels', params: DEFAULT_FLUID_PARAMS,
  };
  return { result, report: buildEvaluateReport(result, setup) };
}

describe('evaluate report', () => {
  const { result, report: r } = report({ schedules: 3, perSchedule: 3, minSpacingSec: 1800, seed: 3, type: 'kill' });

  it('holds the five sections, in order, every one labelled SIMULATED', () => {
    const md = r.markdown;
    const sections = ['## Input rate', '## Checkpoint interval chosen over time', '## Latency against its target', '## Failures and recoveries against the recovery target', '## Violations'];
    const at = sections.map((s) => md.indexOf(s));
    for (const i of at) expect(i).toBeGreaterThan(0);
    expect([...at].sort((a, b) => a - b)).toEqual(at);
    expect(md.startsWith('# Policy evaluation (SIMULATED)')).toBe(true);
    expect(md).toContain('Median over 3 schedules, [p10–p90] beside each figure');
    for (const p of policies) expect(md).toContain(`| ${p.name} |`);
    expect(md).toContain('### khaos+@restart');
  });

  it('links every plot it carries, and every plot is a well-formed SVG labelled SIMULATED', () => {
    const linked = [...r.markdown.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]);
    const names = r.files.map((f) => f.name);
    expect(linked.sort()).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining([EVALUATE_REPORT_FILES.input, EVALUATE_REPORT_FILES.intervals, EVALUATE_REPORT_FILES.recoveries, ...policies.map((p) => EVALUATE_REPORT_FILES.latency(p.name))]));
    expect(new Set(names).size).toBe(names.length);
    expect(EVALUATE_REPORT_FILES.latency('khaos+@restart')).toBe('latency-khaos-plus-restart.svg');
    for (const f of r.files) {
      expectWellFormedSvg(f.content);
      expect(f.content, f.name).toContain('SIMULATED');
    }
  });

  it('says whether the scenario decides anything, and draws each policy and static on the Pareto plot with its checkpoint overhead', () => {
    const md = r.markdown;
    const section = md.indexOf('## Does this scenario decide anything?');
    expect(section).toBeGreaterThan(md.indexOf('## Violations'));
    expect(md.slice(section)).toMatch(/- Scenario: (NOT )?DECIDING\. /);
    expect(md.slice(section)).toMatch(/- khaos\+: dominated by (no static interval|static:)/);
    expect(md).toContain(`![Pareto plot: latency violation share against recovery violations](${EVALUATE_REPORT_FILES.pareto})`);
    const pareto = r.files.find((f) => f.name === EVALUATE_REPORT_FILES.pareto)!.content;
    for (const row of result.rows) expect(pareto).toContain(`>${row.name} (checkpointing `);
    expect(pareto).toContain('Mark size: checkpoint overhead');
    // The violations table has the windowed share and the violation seconds beside the per-second share.
    expect(md).toContain('| policy | latency violations | over 1 s | recovery violations | latency time | late-recovery time | violation time (total) |');
  });

  it('draws the chosen intervals, the latency target and the recovery target', () => {
    const intervals = r.files.find((f) => f.name === EVALUATE_REPORT_FILES.intervals)!.content;
    for (const p of policies) expect(intervals).toContain(`>${p.name}</text>`);
    const latency = r.files.find((f) => f.name === EVALUATE_REPORT_FILES.latency('khaos+'))!.content;
    expect(latency).toContain('>target</text>');
    const rec = r.files.find((f) => f.name === EVALUATE_REPORT_FILES.recoveries)!.content;
    expect(rec).toContain('>target</text>');
    expect(rec).toContain('>F1 ');
    // The failure table has one row per failure of schedule 0, one column per policy.
    expect(r.markdown).toMatch(/\| F3 \| [\d.]+ h \|/);
    expect(result.schedules[0]).toHaveLength(3);
  });

  it('with one schedule, gives the figures without brackets', () => {
    const one = report({ schedules: 1, perSchedule: 2, minSpacingSec: 1800, seed: 3, type: 'kill' }).report;
    expect(one.markdown).not.toContain('Median over');
    const violations = one.markdown.slice(one.markdown.indexOf('## Violations'));
    expect(violations).not.toMatch(/\[[\d.]+/);
  });
});
