import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeProfileReport } from '../../src/cli/profile-report.js';
import type { FailureMeasurement } from '../../src/core/profiling/profile-records.js';
import { recoveredSamples } from '../../src/core/profiling/profile-records.js';
import { buildProfileReport, CANNOT_FIT_YET, REPORT_FILES } from '../../src/report/profile-report.js';
import { expectWellFormedSvg } from '../support/svg-well-formed.js';
import { INTERVALS, JAR, syntheticMeasurements, syntheticProfile } from '../support/profile-fixture.js';
import { median } from '../../src/core/stats.js';

const record = syntheticProfile;
const measurements = syntheticMeasurements;

/** Turns the measurement into a failure that never recovered: no catch-up, no recovery time. */
function timedOut(m: FailureMeasurement): FailureMeasurement {
  const t: FailureMeasurement = { ...m, outcome: 'timeout', recoverySec: null };
  delete t.catchupSec;
  return t;
}

const tableRows = (md: string, section: string) => {
  const body = md.split(`## ${section}\n`)[1]!.split('\n## ')[0]!;
  return body.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| ---'));
};
const fileOf = (files: { name: string; content: string }[], name: string) => files.find((f) => f.name === name)?.content;

describe('buildProfileReport', () => {
  const ms = measurements(11);
  const report = buildProfileReport(record(), ms, { seed: 1 });
  const md = report.markdown;

  it('has a header with the plan, the time scaling and the provenance', () => {
    expect(md).toMatch(/^# Chaos profile p-1\n/);
    expect(md).toContain('- Job: iot');
    expect(md).toContain('- Created: 2025-01-02T03:04:05.000Z');
    expect(md).toContain('- Status: done');
    expect(md).toContain('- Checkpoint intervals: 10 s, 30 s, 60 s');
    expect(md).toContain('- Repetitions per point: 1');
    expect(md).toContain("kill; timing: before a checkpoint (the worst case): 500 ms before the replica's next checkpoint is due");
    expect(md).toContain('peak rate 9000 events/s, time compression 60 (60 trace seconds per wall second)');
    expect(md).toContain('wall time on a time-scaled local setup');
    expect(md).toContain('- Flink version: 1.20.1');
    expect(md).toContain(`- Job jar sha256: ${JAR.slice(0, 12)}\n`);
    expect(md).not.toContain(JAR.slice(0, 13));
    expect(md).toContain('- Clock: system wall clock (ms since epoch)');
    // Every planned point with its level and trace offset.
    for (const p of record().plan.points) expect(md).toContain(`| ${p.index} | ${p.level} | ${Number(p.rate.toPrecision(4))} | ${p.traceOffsetSec} |`);
  });

  it('tabulates every failure with its phases, outcome and leads', () => {
    const rows = tableRows(md, 'Failures');
    expect(rows).toHaveLength(1 + 12);
    expect(rows[0]).toContain('lead planned / actual (ms)');
    const first = [...ms].sort((a, b) => a.pointIndex - b.pointIndex || a.ciMs - b.ciMs)[0]!;
    expect(rows[1]).toBe(
      `| 0 | 0 | 10 s | ${Math.round(first.throughputEps!)} | ${first.latencyMs!.toFixed(1)} | ${first.detectionSec!.toFixed(1)} | ${first.restartSec!.toFixed(1)} | ${first.catchupSec!.toFixed(1)} | ${first.recoverySec!.toFixed(1)} | recovered | 500 / ${first.actualLeadMs} |`,
    );
  });

  it('links four well-formed SVG plots that hold the series', () => {
    expect(report.files.map((f) => f.name).sort()).toEqual(Object.values(REPORT_FILES).sort());
    for (const f of report.files) {
      expect(md).toContain(`](${f.name})`);
      expectWellFormedSvg(f.content);
    }
    const recovery = fileOf(report.files, REPORT_FILES.recovery)!;
    for (const ci of ['CI 10 s', 'CI 30 s', 'CI 60 s']) expect(recovery).toContain(`>${ci}</text>`);
    expect(recovery.match(/class="series points"/g)).toHaveLength(3);
    // The chosen model solid and the other one dashed, one curve per interval each.
    expect(recovery.match(/class="series line"/g)).toHaveLength(6);
    expect(recovery.match(/stroke-dasharray="6 4"/g)).toHaveLength(3);
    expect(recovery.match(/<circle /g)!.length).toBe(12 + 3); // every failure, and the legend marks
    const latency = fileOf(report.files, REPORT_FILES.latency)!;
    expect(latency.match(/class="series points"/g)).toHaveLength(3);
    expect(latency.match(/class="series line"/g)).toHaveLength(6);
    const residuals = fileOf(report.files, REPORT_FILES.residuals)!;
    expect(residuals.match(/class="series points"/g)).toHaveLength(3);
    expect(residuals).toContain('observed − predicted recovery (s)');
    const phases = fileOf(report.files, REPORT_FILES.phases)!;
    expect(phases.match(/class="series bars"/g)).toHaveLength(3);
    for (const label of ['>detection<', '>restart and restore<', '>catch-up<', '>CI 10 s<', '>CI 60 s<']) expect(phases).toContain(label);
    expect(phases.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+"\/>/g)!.length).toBeGreaterThanOrEqual(36);
  });

  it('compares the models, names the chosen ones and predicts with intervals', () => {
    const rows = tableRows(md, 'Models');
    const compare = rows.filter((r) => /^\| (linear|physical)/.test(r));
    // Every variant of variants.ts that applies: these failures carry their phases, not repeats.
    expect(compare.filter((r) => r.includes('| recovery |')).map((r) => r.split('|')[1]!.trim().replace(' (chosen)', ''))).toEqual(['linear', 'physical', 'physical-no-phases', 'physical-ckpt-cost']);
    expect(compare.filter((r) => r.includes('| latency |'))).toHaveLength(2);
    expect(md).toContain('cross-validated leave-one-out');
    // Data drawn from the physical equations: a physical model wins, and predicts well.
    expect(md).toMatch(/Chosen recovery model: physical(-no-phases)?\. Chosen latency model: physical\./);
    const physical = compare.find((r) => /^\| physical(-no-phases)? \(chosen\) \| recovery \|/.test(r))!;
    expect(Number(/\| ([\d.]+) % \| ([\d.]+) % \|/.exec(physical)![1])).toBeLessThan(7);
    expect(physical).toContain('capacityEps');
    expect(md).toMatch(/\| 10 s \| [\d.]+ \[[\d.]+, [\d.]+\] \|/);
  });

  it('says how recovery grows with the interval and with throughput, from the data', () => {
    const byCi = INTERVALS.map((ci) => median(ms.filter((m) => m.ciMs === ci).map((m) => m.recoverySec!)));
    expect(md).toContain(`Median recovery per checkpoint interval — 10 s: ${byCi[0]!.toFixed(1)} s; 30 s: ${byCi[1]!.toFixed(1)} s; 60 s: ${byCi[2]!.toFixed(1)} s.`);
    expect(md).toContain(`From the shortest to the longest interval it grows (×${(byCi[2]! / byCi[0]!).toFixed(1)}).`);
    const sorted = [...ms].sort((a, b) => a.throughputEps! - b.throughputEps!);
    const low = median(sorted.slice(0, 4).map((m) => m.recoverySec!));
    expect(md).toContain(`median recovery is ${low.toFixed(1)} s in the lowest third`);
    expect(md).toMatch(/from the lowest to the highest third it grows \(×[\d.]+\)/);
  });

  it('gives the distribution of actual − planned lead', () => {
    const d = ms.map((m) => m.actualLeadMs! - m.plannedLeadMs!).sort((a, b) => a - b);
    expect(md).toContain(`Actual − planned lead over 12 failures, ms: min ${d[0]}, median ${Math.round(median(d))}, p90 `);
    expect(md).toContain(`max ${d[11]} (p90 of the absolute difference`);
  });

  it('is deterministic for a seed, whatever the order of the measurements', () => {
    const again = buildProfileReport(record(), [...measurements(11)].reverse(), { seed: 1 });
    expect(again).toEqual(report);
    expect(buildProfileReport(record(), measurements(12), { seed: 1 }).markdown).not.toBe(md);
  });
});

describe('buildProfileReport with too little data', () => {
  it('says the models cannot be fitted yet with fewer than 4 recovered failures, and does not throw', () => {
    const ms = measurements(3).slice(0, 5);
    ms[3] = timedOut(ms[3]!);
    ms[4] = timedOut(ms[4]!);
    const r = buildProfileReport(record(), ms, { seed: 1 });
    expect(r.markdown).toContain(`${CANNOT_FIT_YET}: 3 failures recovered, and every model needs at least 4.`);
    expect(r.files.map((f) => f.name)).not.toContain(REPORT_FILES.residuals);
    for (const f of r.files) expectWellFormedSvg(f.content);
    expect(fileOf(r.files, REPORT_FILES.recovery)).not.toContain('class="series line"');
    expect(r.markdown).toContain('Splitting by throughput needs at least 6 recovered failures');
  });

  it('reports a profile with no measurement at all', () => {
    const r = buildProfileReport({ ...record(), status: 'running' }, [], { seed: 1 });
    expect(r.markdown).toContain('No failure has been measured yet.');
    expect(r.markdown).toContain(CANNOT_FIT_YET);
    expect(r.markdown).toContain('No failure has recovered yet');
    expect(r.markdown).toContain('No failure records both a planned and an actual lead');
    for (const f of r.files) expectWellFormedSvg(f.content);
  });

  it('says why when the recovered failures cannot determine the models (one throughput, one interval)', () => {
    const same = measurements(3).map((m) => ({ ...m, ciMs: 10_000, throughputEps: 5_000 }));
    const r = buildProfileReport(record(), same, { seed: 1 });
    expect(r.markdown).toContain(`${CANNOT_FIT_YET}: `);
    expect(r.markdown).toContain('Median recovery — 10 s:');
    expect(r.markdown).toContain('Splitting by throughput needs at least 6 recovered failures');
  });
});

describe('timeouts in the report', () => {
  const ms = measurements(5);
  const high = ms.filter((m) => m.pointIndex === 3 && m.ciMs >= 30_000);
  const withTimeouts = ms.map((m) => (high.includes(m) ? timedOut(m) : m));
  const r = buildProfileReport(record(), withTimeouts, { seed: 1 });

  it('lists them in the table and leaves them out of the fit', () => {
    const rows = tableRows(r.markdown, 'Failures').filter((l) => l.includes('| timeout |'));
    expect(rows).toHaveLength(2);
    for (const row of rows) expect(row).toContain('| > 600 | timeout |');
    expect(r.markdown).toContain('10 recovered, 2 timed out');
    expect(r.markdown).toContain('Fitted on the 10 recovered failures');
    expect(recoveredSamples(withTimeouts)).toHaveLength(10);
  });

  it('draws them at the top of the recovery plot with their own marker and a note', () => {
    const svg = fileOf(r.files, REPORT_FILES.recovery)!;
    expect(svg.match(/<polygon /g)).toHaveLength(2 + 1); // two timeouts and the legend mark
    const ys = [...svg.matchAll(/<polygon points="[\d.]+,([\d.]+)/g)].map((m) => Number(m[1]));
    const circleYs = [...svg.matchAll(/<circle cx="[\d.]+" cy="([\d.]+)"/g)].map((m) => Number(m[1]));
    expect(Math.min(...ys.slice(0, 2))).toBeLessThan(Math.min(...circleYs)); // above every recovered point
    const note = 'Triangles at the top: 2 failures did not recover within the 10 min timeout (1 at CI 30 s, 1 at CI 60 s)';
    expect(svg).toContain(note);
    expect(r.markdown).toContain(note);
    expect(r.markdown).toContain('2 failures did not recover at all');
  });

  it('draws each timeout’s lag and throughput from its baseline, or says it has no series', () => {
    const [a, b] = withTimeouts.filter((m) => m.outcome === 'timeout');
    const series = Array.from({ length: 40 }, (_, i) => ({ tMs: a!.injectedAtMs + (i - 10) * 1000, state: i >= 10 && i < 20 ? 'RESTARTING' : 'RUNNING', lag: 100 + Math.max(0, i - 10) * 500, inputEps: i < 10 || i >= 20 ? 900 : undefined }));
    const drawn = buildProfileReport(record(), withTimeouts.map((m) => (m === a ? { ...m, series } : m)), { seed: 1 });
    const section = drawn.markdown.split('## Timeouts\n')[1]!.split('\n## ')[0]!;
    const name = `timeout-p${a!.pointIndex}-r${a!.repetition}-ci${a!.ciMs}.svg`;
    expect(section).toContain(`](${name})`);
    expect(section).toContain(`point ${b!.pointIndex}, repetition ${b!.repetition}, interval ${b!.ciMs} ms: no series on record`);
    const svg = fileOf(drawn.files, name)!;
    for (const label of ['lag (records)', 'throughput (events/s)', 'not RUNNING', 'injection']) expect(svg).toContain(label);
  });
});

describe('recoveredSamples and foreign measurements', () => {
  it('keeps only this profile’s measurements', () => {
    const r = buildProfileReport(record(), [...measurements(11), ...measurements(4, 'other')], { seed: 1 });
    expect(r.markdown).toContain('; 12 measurements of other profiles left out');
    expect(tableRows(r.markdown, 'Failures')).toHaveLength(13);
  });

  it('converts recovered measurements with their phases', () => {
    const [m] = measurements(1);
    expect(recoveredSamples([m!])).toEqual([
      { ciMs: m!.ciMs, throughputEps: m!.throughputEps, latencyMs: m!.latencyMs, recoverySec: m!.recoverySec, detectionSec: m!.detectionSec, restartSec: m!.restartSec, catchupSec: m!.catchupSec },
    ]);
  });
});

describe('writeProfileReport', () => {
  it('writes report.md and every SVG it links into a new directory', () => {
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-report-')), 'nested', 'out');
    const { markdownPath } = writeProfileReport(record(), measurements(11), dir);
    expect(markdownPath).toBe(path.join(dir, 'report.md'));
    const md = fs.readFileSync(markdownPath, 'utf8');
    const linked = [...md.matchAll(/!\[[^\]]*\]\(([^)]+)\)/g)].map((m) => m[1]!);
    expect(linked).toHaveLength(4);
    for (const name of linked) expect(fs.readFileSync(path.join(dir, name), 'utf8')).toMatch(/^<svg [\s\S]*<\/svg>$/);
    // The profile's own seed by default: the same as building it with that seed.
    expect(md).toBe(buildProfileReport(record(), measurements(11), { seed: record().plan.seed }).markdown);
    fs.rmSync(path.dirname(path.dirname(dir)), { recursive: true, force: true });
  });
});
