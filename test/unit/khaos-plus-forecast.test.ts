import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { evaluationFromConfig } from '../../src/app/evaluate-sim.js';
import { resolveConfig } from '../../src/config/schema.js';
import { createPolicy } from '../../src/core/control/policies.js';
import type { Policy } from '../../src/core/control/policy.js';
import { seededRandom } from '../../src/core/random.js';
import { fluidControlModels } from '../../src/core/sim/fluid-models.js';
import { simulate } from '../../src/core/sim/simulate.js';

/**
 * khaos+ and its forecast through the simulator, on the scenario of issue 19's review:
 * examples/evaluate-iot-original-scale.yaml's job, targets and cadence. SIMULATED.
 */
const example = path.resolve(__dirname, '..', '..', 'examples', 'evaluate-iot-original-scale.yaml');
const ev = evaluationFromConfig(resolveConfig(YAML.parse(fs.readFileSync(example, 'utf8'))), []);
const models = fluidControlModels(ev.params, ev.modelOptions);

/** `base(s)` with ±5 % uniform noise per second, seeded. */
const noisy = (base: (s: number) => number, seconds: number, seed = 1) => {
  const r = seededRandom(seed);
  return Array.from({ length: seconds }, (_, s) => base(s) * (1 + 0.1 * (r.next() - 0.5)));
};

/** khaos+ (paced) over `rates`, with the forecast it read at each evaluation. */
function run(rates: number[]) {
  const inner = createPolicy('khaos+', ev.policyOptions);
  const forecasts: { atS: number; eps: number; nowEps: number }[] = [];
  const policy: Policy = {
    name: inner.name,
    decide(obs, state, ctx) {
      const out = inner.decide(obs, state, ctx);
      if (out.decision.action !== 'wait' && obs.forecastEps !== undefined) forecasts.push({ atS: obs.atMs / 1000, eps: obs.forecastEps, nowEps: obs.throughputEps });
      return out;
    },
  };
  const r = simulate({ ratesEps: rates, policy, actuator: 'paced', initialIntervalMs: ev.initialIntervalMs, params: ev.params, models, policyOptions: ev.policyOptions, control: ev.control });
  return { changes: r.changes, forecasts };
}

describe('khaos+ forecast (SIMULATED)', () => {
  it('changes nothing on a flat input with ±5 % noise, and forecasts no load the input never had', () => {
    // Before the fix: 18 changes between 17 s and 119 s, citing forecasts of 17 500–19 700 ev/s.
    const { changes, forecasts } = run(noisy(() => 15_000, 30_000));
    expect(changes.map((c) => c.reason)).toEqual([]);
    expect(forecasts.length).toBeGreaterThan(50);
    for (const f of forecasts) expect(f.eps).toBeLessThan(15_000 * 1.05);
  });

  it('still sees a ramp coming: the forecast leads the load while it rises toward the peak', () => {
    // 1 h at 8 000 ev/s, a 1 h ramp to 17 000 ev/s (150 ev/s per minute), 1 h there.
    const ramp = (s: number) => (s < 3600 ? 8000 : s < 7200 ? 8000 + (9000 * (s - 3600)) / 3600 : 17_000);
    const { forecasts } = run(noisy(ramp, 3 * 3600));
    // Past the ramp's first 20 minutes (enough steps for the trend to be significant) and before
    // the peak, every evaluation judges at a load above the present one and above the window's mean.
    const rising = forecasts.filter((f) => f.atS >= 3600 + 1200 && f.atS < 7200);
    expect(rising.length).toBeGreaterThanOrEqual(6);
    for (const f of rising) {
      expect(f.eps).toBeGreaterThan(ramp(f.atS) + 300);
      expect(f.eps).toBeGreaterThan(f.nowEps);
    }
  });
});
