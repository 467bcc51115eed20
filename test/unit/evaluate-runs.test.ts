import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { joinRuns, openSitting } from '../../src/adapters/files/evaluation-run-files.js';
import { missingRuns, planId, planRealRuns, type RealPlan } from '../../src/core/evaluation/real-plan.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-evaluate-runs-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const plan = (over: Partial<RealPlan> = {}) =>
  planRealRuns({
    job: 'iot', parallelism: 1, trace: 't', peakRateEps: 1000, compression: 10, startOffsetSec: 0, warmupSec: 20, durationSec: 100, seed: 1, mode: 'sequential', drainMs: 30_000,
    initialIntervalMs: 5000, fallbackIntervalMs: 120_000, policies: ['khaos+', 'static:5s'], repeats: 2, orderSeed: 42, killsSec: [[30], [30]], ...over,
  });

/** A record of the run at `position` (the fields the runs.json reader checks, no measurement). */
const record = (p: RealPlan, position: number, policy = p.order[position - 1]!.policies[0]!): RealRunRecord =>
  ({ policy, job: 'iot', planId: planId(p), run: p.order[position - 1]!.run, position, scheduleEps: [], samples: [], intervals: [], failures: [], checkpoints: [], changes: [] }) as unknown as RealRunRecord;

describe('the runs files of a real evaluation', () => {
  it('a sitting writes its plan first and each run as it ends; a new one never overwrites runs; --resume continues the same plan only', () => {
    const p = plan();
    const out = path.join(dir, 'a');
    const s = openSitting(out, p, planId(p), false);
    expect(JSON.parse(fs.readFileSync(path.join(out, 'plan.json'), 'utf8'))).toEqual({ planId: planId(p), plan: p });
    s.record(record(p, 1));
    expect(JSON.parse(fs.readFileSync(path.join(out, 'runs.json'), 'utf8'))).toHaveLength(1);
    expect(() => openSitting(out, p, planId(p), false)).toThrow(`${out} already holds the runs of an evaluation (${planId(p)})`);
    const other = plan({ repeats: 3, killsSec: [[30], [30], [30]] });
    expect(() => openSitting(out, other, planId(other), true)).toThrow(`its runs were planned as ${planId(p)}, and this config plans ${planId(other)} (repeats: 2 → 3; killsSec:`);
    const resumed = openSitting(out, p, planId(p), true);
    expect(resumed.records.map((r) => r.position)).toEqual([1]);
    expect(missingRuns(p, resumed.records).map((u) => u.position)).toEqual([2, 3, 4]);
  });

  it('side by side, a run recorded in part is made again whole on resume', () => {
    const p = plan({ mode: 'side-by-side' });
    const out = path.join(dir, 'b');
    const s = openSitting(out, p, planId(p), false);
    s.record(record(p, 1, 'khaos+'));
    s.record(record(p, 1, 'static:5s'));
    s.record(record(p, 2, 'khaos+'));
    expect(openSitting(out, p, planId(p), true).records.map((r) => `${r.position}:${r.policy}`)).toEqual(['1:khaos+', '1:static:5s']);
  });

  it('sittings join when they are of this plan, each run once; runs made before plans join alone, as run 1', () => {
    const p = plan();
    const [one, two] = [path.join(dir, 'c1'), path.join(dir, 'c2')];
    openSitting(one, p, planId(p), false).record(record(p, 1));
    const s2 = openSitting(two, p, planId(p), false);
    for (const k of [2, 3, 4]) s2.record(record(p, k));
    expect(joinRuns([one, path.join(two, 'runs.json')], p, planId(p)).map((r) => r.position).sort()).toEqual([1, 2, 3, 4]);
    expect(() => joinRuns([one, one], p, planId(p))).toThrow(/run 1 \(.*, repeat \d\) is in .*c1\/runs\.json and in .*c1\/runs\.json/);
    const q = plan({ orderSeed: 7 });
    expect(() => joinRuns([one], q, planId(q))).toThrow(`holds runs of ${planId(p)}, and this config plans ${planId(q)} (orderSeed: 42 → 7)`);

    const legacy = path.join(dir, 'legacy.json');
    const p1 = plan({ repeats: 1, killsSec: [[30]] });
    fs.writeFileSync(legacy, JSON.stringify([{ ...record(p1, 1), planId: undefined, run: undefined, position: undefined, policy: 'khaos+' }, { ...record(p1, 1), planId: undefined, run: undefined, position: undefined, policy: 'static:5s' }]));
    const joined = joinRuns([legacy], p1, planId(p1));
    expect(missingRuns(p1, joined)).toEqual([]);
    expect(() => joinRuns([legacy], plan({ policies: ['static:5s', 'khaos+'] }), 'x')).toThrow('has the runs of khaos+,static:5s, and this evaluation lists static:5s,khaos+');
  });
});
