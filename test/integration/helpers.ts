import { spawn } from 'node:child_process';
import { builtInJob } from '../../src/core/jobs.js';
import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { resolveConfig, type ConfigInput } from '../../src/config/schema.js';
import { khaosHome, loadTrace, repoRoot, startLocalStack } from '../../src/compose.js';
import type { LocalStack } from '../../src/adapters/local/local-stack.js';
import type { ControlSettings } from '../../src/app/control/session.js';
import { runLocalControl, type LocalControlDeps } from '../../src/app/control/local-run.js';
import { parseSamplesCsv } from '../../src/core/profiling/samples.js';

/** Samples of the example control runs (SIMULATED, committed). */
export const EXAMPLE_SAMPLES = path.join(repoRoot, 'examples', 'samples-iot-local-SIMULATED.csv');

export const progress = (line: string) => process.stderr.write(`  [it] ${line}\n`);

/** A stack owned by the test process (a watchdog kills it if the test runner dies). */
export async function testStack(name: string, overrides: ConfigInput = {}): Promise<LocalStack> {
  const config = resolveConfig({ ...overrides, stack: { name: `it-${name}`, ...(overrides.stack ?? {}) } });
  return startLocalStack(config, progress, true);
}

/** One stack for a whole test file: started before its first test, torn down after its last (even when a test fails). */
export function fileStack(name: string, overrides: ConfigInput = {}): () => LocalStack {
  let stack: LocalStack | undefined;
  beforeAll(async () => {
    stack = await testStack(name, overrides);
  });
  afterAll(async () => {
    await stack?.down();
  });
  return () => {
    if (!stack) throw new Error(`the test stack "${name}" did not start (see beforeAll)`);
    return stack;
  };
}

/**
 * `khaos …` as a separate process (one node process, so a SIGKILL reaches Khaos itself) with the
 * tests' KHAOS_HOME and `env` on top; resolves with its exit code, signal and output. With `killOn`,
 * it is SIGKILLed `killAfterMs` after its output first matches.
 */
export function khaos(args: string[], opts: { env?: Record<string, string>; killOn?: RegExp; killAfterMs?: number } = {}): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(repoRoot, 'src', 'cli', 'main.ts'), ...args], {
      cwd: repoRoot, env: { ...process.env, KHAOS_HOME: khaosHome(), ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let killing = false;
    const onData = (d: Buffer) => {
      out += d.toString();
      if (opts.killOn && !killing && opts.killOn.test(out)) {
        killing = true;
        setTimeout(() => child.kill('SIGKILL'), opts.killAfterMs ?? 0);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code, signal) => resolve({ code, signal, out }));
  });
}

/**
 * khaos+ as in examples/control-iot.yaml (candidates up to 6 s, for more checkpoint gaps to check),
 * started at 30 s: beyond every candidate and the trained range (1–10 s), which khaos+ always
 * leaves at its first evaluation; what follows depends on the load (the replay starts at 14:00 in
 * the trace) and the kills.
 */
export function exampleSettings(): ControlSettings {
  const c = resolveConfig({
    control: {
      policy: 'khaos+', actuator: 'paced', latencyTarget: '1500ms', recoveryTarget: '15s', window: '15s', evaluateEvery: '10s', afterChange: '10s', minUptime: '15s',
      candidateMin: '1s', candidateMax: '6s', candidateStep: '500ms', minChange: '1s', hysteresis: 0.08, maxChanges: 20, rateWindow: '300s',
      forecastHorizon: '30s', forecastHistory: '60s', recoveryTimeout: '90s',
    },
  }).control;
  return { ...c, statusEveryMs: 10_000 };
}

/**
 * The example control run of the integration tests: khaos+ (exampleSettings) on the IoT job of
 * `deps`'s stack, 120 s of nyc_taxi from 14:00 compressed 300× at a 2500 ev/s peak, paced from 30 s
 * with a 120 s fallback, TaskManagers killed at +40 s and +85 s, models from the SIMULATED example samples.
 */
export function exampleControlRun(deps: LocalControlDeps) {
  return runLocalControl(
    deps,
    exampleSettings(),
    {
      job: builtInJob('iot'), trace: loadTrace('nyc_taxi.csv'), seed: 42, parallelism: 2, partitions: 4, peakRateEps: 2500, compression: 300, startOffsetSec: 50_400, durationSec: 120,
      startIntervalMs: 30_000, fallbackIntervalMs: 120_000, killsSec: [40, 85], drainMs: 15_000,
    },
    {},
    { samples: parseSamplesCsv(fs.readFileSync(EXAMPLE_SAMPLES, 'utf8'), EXAMPLE_SAMPLES), source: EXAMPLE_SAMPLES },
    undefined,
    () => false,
  );
}
