import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { K8sApi } from '../../src/adapters/k8s/api.js';
import { kubeconfig, type ControlPlaneState } from '../../src/adapters/k8s/control-plane.js';
import type { FlinkDeploymentObject } from '../../src/adapters/k8s/orchestrator.js';
import { WatchCache } from '../../src/adapters/k8s/watch.js';
import type { RealEvaluationDeps } from '../../src/app/evaluate-real.js';
import { evaluateReal } from '../../src/cli/evaluate-real.js';
import { kubernetesPlatform } from '../../src/compose.js';
import { resolveConfig } from '../../src/config/schema.js';
import type { RealRunRecord } from '../../src/core/evaluation/real-run.js';
import { LABELS } from '../../src/core/k8s/render.js';
import { policyUnderTest } from '../../src/core/sim/sim-evaluation.js';
import { until } from '../contract/until.js';
import { AuditingBus, isEvaluationInput } from '../fakes/auditing-bus.js';
import { leftovers, planeWithKhaos, startDoubles, stopDoubles, type Doubles } from './subject.js';

// `khaos evaluate` with `platform: kubernetes` (src/cli/evaluate-real.ts, the command's own code
// from the plan to the files it writes) on a real control plane, with the token of Khaos's
// rendered Role: khaos+ and static:2s, one run each, one TaskManager kill in each run. kwok pods
// run no containers: the operator, Chaos Mesh and each JobManager's REST are the test doubles
// (test/k8s/doubles/), the REST reached through `k8s.restUrlTemplate`. Only the bus is the
// test's: the replay feeds the doubles' simulated jobs, and each replica's audit output is made
// up from the input (test/fakes/auditing-bus.ts), so "lost 0, duplicated 0" shows the flow, not
// exactly-once. Time is the system clock; Flink's behaviour is the fluid simulation's, with its
// limits: every cluster reads one shared input from its earliest offset, so the second replica
// starts on the first run's events (a backlog no real run, with an input topic per run, has).

const NS = 'khaos';
const time = { waitMs: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), deadlineMs: 60_000, pollMs: 250 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-k8s-evaluate-'));
const settings = { ...resolveConfig({}).k8s, namespace: NS };
const samplesFile = path.resolve(__dirname, '..', '..', 'examples', 'samples-iot-local-SIMULATED.csv');
const previousHome = process.env.KHAOS_HOME;

let plane: ControlPlaneState | undefined;
const apis: K8sApi[] = [];
let admin: K8sApi;
let khaosToken: string;
/** The operator, Chaos Mesh and the JobManagers' REST, as they start. */
const doubles: Partial<Doubles> = {};
/** Every FlinkDeployment of the namespace as first seen (name → its spec's interval, its replica label). */
const created = new Map<string, { intervalMs?: string; replica?: string; parallelism?: number }>();
let deployments: WatchCache<FlinkDeploymentObject> | undefined;

beforeAll(async () => {
  process.env.KHAOS_HOME = path.join(tmp, 'home');
  const started = await planeWithKhaos(path.join(tmp, 'plane'), settings, apis);
  ({ plane, admin, khaosToken } = started);
  await startDoubles(started, NS, doubles);
  deployments = new WatchCache<FlinkDeploymentObject>(started.adminApi(), `/apis/flink.apache.org/v1beta1/namespaces/${NS}/flinkdeployments`, 'FlinkDeployments', '', () => {
    for (const fd of deployments!.objects.values())
      if (!created.has(fd.metadata.name)) created.set(fd.metadata.name, { intervalMs: fd.spec.flinkConfiguration?.['execution.checkpointing.interval'], replica: fd.metadata.labels?.[LABELS.replica], parallelism: fd.spec.job?.parallelism });
  });
  await deployments.start();
});

afterAll(async () => {
  if (previousHome === undefined) delete process.env.KHAOS_HOME;
  else process.env.KHAOS_HOME = previousHome;
  deployments?.close();
  await stopDoubles(doubles, apis, plane, tmp);
});

describe('khaos evaluate on Kubernetes, end to end with the doubles', () => {
  it('runs khaos+ and static:2s as FlinkDeployments one after the other, on the same replayed slice, each killed once through PodChaos, and writes runs.json, evaluate.json and the report', { timeout: 420_000 }, async () => {
    const trace = path.join(tmp, 'ramp.csv');
    fs.writeFileSync(trace, 't,v\n2020-01-01 00:00:00,50\n2020-01-02 00:00:00,100\n');
    const kubeconfigFile = path.join(tmp, 'khaos-kubeconfig');
    fs.writeFileSync(kubeconfigFile, kubeconfig(plane!.server, fs.readFileSync(plane!.caFile, 'utf8'), khaosToken));
    const c = resolveConfig({
      platform: 'kubernetes',
      k8s: { namespace: NS, kubeconfig: kubeconfigFile, restUrlTemplate: doubles.rest!.urlTemplate },
      stack: { startTimeout: '60s', savepointTimeout: '30s' },
      job: { kind: 'iot', checkpointInterval: '5s', parallelism: 2 },
      replay: { trace, peakRateEps: 1000, compression: 600, duration: '30s', seed: 1 },
      control: { samples: samplesFile, window: '15s', evaluateEvery: '5s', afterChange: '5s', minUptime: '10s', candidateMin: '1s', candidateMax: '10s', candidateStep: '500ms', minChange: '1s', recoveryTarget: '15s', latencyTarget: '1500ms', fallbackInterval: '120s' },
      evaluate: { policies: [], staticIntervals: [], real: { warmup: '5s', repeats: 1, orderSeed: 3, kills: ['10s'], drain: '10s', mode: 'sequential' } },
    });
    const policies = [policyUnderTest('khaos+'), policyUnderTest('static:2000')];
    const out = path.join(tmp, 'out');
    const lines: string[] = [];
    const io = { out: (s: string) => void (lines.push(s), console.log(`[k8s evaluate stdout]\n${s.trimEnd()}`)), err: (s: string) => void console.log(`[k8s evaluate] ${s.trimEnd()}`), workloadsDir: tmp };
    // As compose.onPlatform composes Kubernetes, with the test's bus.
    const onPlatform: RealEvaluationDeps['onPlatform'] = async (scope, body) => {
      const platform = await kubernetesPlatform(c, scope, (l) => console.log(`[k8s evaluate] ${l}`), doubles.rest!.platform.feedingBus(new AuditingBus(), isEvaluationInput));
      try {
        await body(platform);
      } finally {
        platform.close();
      }
    };
    const started = Date.now();
    const code = await evaluateReal(c, policies, { outDir: out, json: false, params: { params: c.evaluate.params, source: 'evaluate.sim of the config' }, command: 'khaos evaluate --config evaluate-k8s.yaml --policies khaos+,static:2s' }, io, onPlatform);
    console.log(`[k8s] evaluate of 2 policies × 1 run: ${((Date.now() - started) / 1000).toFixed(1)} s, exit ${code}`);
    expect(code).toBe(0);

    // The outputs of the local stack's evaluate.
    expect(fs.readdirSync(out).filter((f) => !f.endsWith('.svg')).sort()).toEqual(['evaluate.json', 'plan.json', 'report.md', 'runs.json', 'samples.csv', 'sim-vs-real.json', 'timeline.json']);
    const records = JSON.parse(fs.readFileSync(path.join(out, 'runs.json'), 'utf8')) as RealRunRecord[];
    const json = JSON.parse(fs.readFileSync(path.join(out, 'evaluate.json'), 'utf8')) as { planId: string; policies: { name: string; runs: number }[]; verdict: unknown; paired: unknown[]; runs: { name: string; run: number }[] };
    expect(json.policies.map((p) => [p.name, p.runs])).toEqual([['khaos+', 1], ['static:2s', 1]]);
    expect(json.verdict).toBeDefined();
    expect(json.paired).toHaveLength(1);
    expect(json.runs.map((r) => [r.name, r.run])).toEqual([['khaos+', 1], ['static:2s', 1]]);
    const md = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
    expect(md).toContain(`Every figure was measured on FlinkDeployments in namespace ${NS} (Kubernetes`);
    for (const section of ['## Setup', '## Violations', '## Simulation against measurement']) expect(md).toContain(section);
    expect(fs.readFileSync(path.join(out, 'pareto.svg'), 'utf8')).toContain(`MEASURED on Kubernetes (namespace ${NS})`);
    expect(fs.readFileSync(path.join(out, 'samples.csv'), 'utf8')).toMatch(/^# MEASURED on Kubernetes \(namespace khaos\): the kills of/);
    expect(lines.join('')).toMatch(/report: .*report\.md/);

    // Each replica was a FlinkDeployment of its own, with the policy's interval: khaos+ paced over
    // the fallback, the static one at its own; both gone afterwards with everything they owned.
    expect(records.map((r) => [r.policy, r.replica])).toEqual([['khaos+', 'eval-1'], ['static:2s', 'eval-2']]);
    const fds = [...created.entries()];
    expect(fds.map(([, f]) => [f.replica, f.intervalMs, f.parallelism])).toEqual([['eval-1', '120000 ms', 2], ['eval-2', '2000 ms', 2]]);
    const [khaosFd, staticFd] = fds.map(([name]) => name);
    expect(khaosFd).toMatch(/^khaos-eval-[a-z0-9]+-eval-1$/);
    for (const [name] of fds) await until(time, `nothing of ${name} left`, async () => ((await leftovers(admin, NS, name)).length === 0 ? true : undefined));
    await until(time, 'no JobManager REST left in the double', () => (doubles.rest!.running.length === 0 ? true : undefined));

    // The same slice and the same kill for both: one PodChaos per run naming a TaskManager pod of
    // that run's FlinkDeployment, 10 s after the 5 s warm-up.
    const [a, b] = records as [RealRunRecord, RealRunRecord];
    expect(a.scheduleEps.length).toBe(35);
    expect(b.scheduleEps.length).toBe(35);
    const total = (r: RealRunRecord) => r.scheduleEps.reduce((x, y) => x + y, 0);
    expect(total(b)).toBe(total(a));
    expect(JSON.parse(fs.readFileSync(path.join(out, 'plan.json'), 'utf8'))).toMatchObject({ plan: { killsSec: [[10]], warmupSec: 5, durationSec: 30, mode: 'sequential' } });
    for (const [r, fd] of [[a, khaosFd], [b, staticFd]] as const) {
      const kills = doubles.chaosMesh!.seen.filter((k) => k.name.startsWith(`${fd}-kill-`));
      expect(kills, fd).toHaveLength(1);
      expect(kills[0]!).toMatchObject({ namespace: NS, action: 'pod-kill', gracePeriod: 0 });
      expect(kills[0]!.killed[0]).toMatch(new RegExp(`^${NS}/${fd}-taskmanager-1-\\d+$`));
      expect(r.failures).toHaveLength(1);
      const f = r.failures[0]!;
      expect(`${NS}/${f.taskManagerId}`).toBe(kills[0]!.killed[0]);
      expect((f.injectedAtMs - r.replayStartMs) / 1000).toBeGreaterThanOrEqual(15);
      // Within a control tick (1 s) and the PodChaos create of it, with room for a loaded machine.
      expect((f.injectedAtMs - r.replayStartMs) / 1000).toBeLessThan(18);
      console.log(`[k8s] ${r.policy}: kill at +${((f.injectedAtMs - r.replayStartMs) / 1000).toFixed(1)} s, recovery ${f.recoverySec?.toFixed(1)} s; ${r.checkpointsCompleted} checkpoints in the scored window; ${r.changes.length} change(s)`);
      expect(f.recoverySec).toBeGreaterThan(0);
      expect(r).toMatchObject({ lost: 0, duplicated: 0, warmupSec: 5 });
      expect(r.checkpointsCompleted).toBeGreaterThan(0);
    }
    expect(doubles.chaosMesh!.seen).toHaveLength(2);
    // The static interval is the FlinkDeployment's own, never changed.
    expect(b.intervals).toEqual([{ atMs: expect.any(Number), intervalMs: 2000 }]);
    expect(doubles.rest!.errors).toEqual([]);
    expect(doubles.operator!.errors).toEqual([]);
  });
});
