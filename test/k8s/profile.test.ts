import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sApi } from '../../src/adapters/k8s/api.js';
import { kubeconfig, type ControlPlaneState } from '../../src/adapters/k8s/control-plane.js';
import { SqliteProfileStore } from '../../src/adapters/sqlite/sqlite-profile-store.js';
import { runProfile, type ProfileDeps } from '../../src/app/profile.js';
import { kubernetesPlatform } from '../../src/compose.js';
import { resolveConfig } from '../../src/config/schema.js';
import { deploymentName } from '../../src/core/k8s/render.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import { checkPlan, replicaName } from '../../src/core/profiling/profile-plan.js';
import { buildProfileReport } from '../../src/report/profile-report.js';
import { until } from '../contract/until.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';
import { leftovers, planeWithKhaos, startDoubles, stopDoubles, type Doubles } from './subject.js';

// A profile plan (2 intervals × 2 points, kills just before a checkpoint) run end to end by
// runProfile on a real control plane: KubernetesOrchestrator and KubernetesFailureInjector with
// the token of Khaos's own rendered Role, and three labelled test doubles in place of what kwok
// pods cannot run: the Flink operator (test/k8s/doubles/flink-operator.ts), Chaos Mesh
// (chaos-mesh.ts) and each JobManager's REST API (flink-rest.ts, the fake platform's fluid job
// behind real HTTP, reached through `k8s.restUrlTemplate`). The replay goes into an in-memory bus
// that feeds the simulated jobs; the profile is stored in a real SQLite file. Time is the system
// clock with short intervals and windows, so Flink's behaviour here is the simulation's: what
// this shows is the flow through the Kubernetes adapters, not Flink's recovery times.

const NS = 'khaos';
const PROFILE = 'k8sprof';
const INTERVALS = [1000, 3000];
const time = { waitMs: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), deadlineMs: 60_000, pollMs: 250 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-k8s-profile-'));
const settings = { ...resolveConfig({}).k8s, namespace: NS };
/** A day of load rising linearly from 0 to 100: the first point light, the second heavy. */
const trace = parseTraceCsv('t,v\n2020-01-01 00:00:00,0\n2020-01-02 00:00:00,100\n', 'ramp');
const plan = checkPlan({
  job: 'iot', intervalsMs: INTERVALS, repetitions: 1, failure: 'kill', freezeMs: 0, timing: 'before-checkpoint', leadMs: 300, parallelism: 2, seed: 7,
  points: [
    { index: 0, traceOffsetSec: 30_000, level: 35, rate: 35 },
    { index: 1, traceOffsetSec: 75_000, level: 87, rate: 87 },
  ],
  // The shortest windows a plan allows (10 s before, 10 s after at least).
  replay: { trace: 'ramp', peakRateEps: 1000, compression: 60, beforeSec: 10, afterSec: 15 },
  sustainSec: 2, recoveryTimeoutMs: 15_000, injection: 'side-by-side',
});

let plane: ControlPlaneState | undefined;
const apis: K8sApi[] = [];
let admin: K8sApi;
/** Khaos's ServiceAccount token: the rendered Role and nothing else. */
let khaosToken: string;
/** The operator, Chaos Mesh and the JobManagers' REST, as they start. */
const doubles: Partial<Doubles> = {};

beforeAll(async () => {
  const started = await planeWithKhaos(path.join(tmp, 'plane'), settings, apis);
  ({ plane, admin, khaosToken } = started);
  await startDoubles(started, NS, doubles);
});

// Everything started is stopped, whatever fails on the way.
afterAll(() => stopDoubles(doubles, apis, plane, tmp));

/**
 * Composed as `khaos profile` composes it for `platform: kubernetes` (src/compose.ts), from a
 * kubeconfig with the token of Khaos's own Role; only the bus is the test's: as
 * FakeFlinkPlatform.feedingBus in the unit tests, what the replay produces is the simulated jobs' input.
 */
async function composed(profile: string) {
  const kubeconfigFile = path.join(tmp, 'khaos-kubeconfig');
  fs.writeFileSync(kubeconfigFile, kubeconfig(plane!.server, fs.readFileSync(plane!.caFile, 'utf8'), khaosToken));
  const config = resolveConfig({ platform: 'kubernetes', stack: { startTimeout: '60s' }, k8s: { namespace: NS, kubeconfig: kubeconfigFile, restUrlTemplate: doubles.rest!.urlTemplate } });
  const bus = doubles.rest!.platform.feedingBus(new MemoryMessageBus(), (t) => t.startsWith(`khaos-prof-${profile}-in`));
  return kubernetesPlatform(config, profile, (line) => console.log(`[k8s profile] ${line}`), bus);
}

const provenance = { config: { k8s: settings }, flinkVersion: '2.2.1 (the Flink REST test double)', jobJarSha256: 'none', clock: 'system clock (ms since the epoch) for every timestamp', timeScaling: { compression: 60 } };

describe('a profile on Kubernetes, end to end with the doubles', () => {
  it('runs 2 intervals × 2 points of kills through PodChaos, recorded like a local profile, and leaves nothing behind', { timeout: 150_000 }, async () => {
    const file = path.join(tmp, 'profiles.db');
    const store = new SqliteProfileStore(file);
    store.createProfile({ id: PROFILE, createdAtMs: Date.now(), status: 'running', plan, provenance });
    const platform = await composed(PROFILE);
    const deps: ProfileDeps = { ...platform, store };
    const started = Date.now();
    try {
      // runProfile deletes the replicas it started (on Kubernetes nothing else would).
      expect(await runProfile(deps, PROFILE, trace)).toBe('done');
    } finally {
      platform.close();
      store.close();
    }
    console.log(`[k8s] profile of ${INTERVALS.length} intervals × ${plan.points.length} points: ${((Date.now() - started) / 1000).toFixed(1)} s from the first replica's start to the last one's deletion`);

    // Recorded like a local profile: read back from the SQLite file.
    const stored = new SqliteProfileStore(file);
    const [record, steps, ms] = [stored.getProfile(PROFILE)!, stored.steps(PROFILE), stored.measurements(PROFILE)];
    stored.close();
    expect(record.status).toBe('done');
    expect(steps.map((s) => [s.pointIndex, s.status])).toEqual([[0, 'done'], [1, 'done']]);
    expect(ms.map((m) => [m.pointIndex, m.ciMs]).sort()).toEqual([[0, 1000], [0, 3000], [1, 1000], [1, 3000]]);
    for (const m of ms) {
      const what = `point ${m.pointIndex}, ${m.ciMs} ms`;
      console.log(`[k8s] ${what}: ${m.throughputEps?.toFixed(0)} ev/s, detection ${m.detectionSec?.toFixed(1)} s, restart ${m.restartSec?.toFixed(1)} s, catch-up ${m.catchupSec?.toFixed(1)} s, recovery ${m.recoverySec?.toFixed(1)} s, lead ${m.plannedLeadMs} / ${m.actualLeadMs} ms, p99 latency ${m.latencyMs?.toFixed(0) ?? 'null'} ms`);
      expect(m, what).toMatchObject({ profileId: PROFILE, failure: 'kill', timing: 'before-checkpoint', timingSource: 'flink-schedule', injection: 'side-by-side', outcome: 'recovered', plannedLeadMs: 300 });
      expect(m.detectionSec!, what).toBeGreaterThan(0);
      expect(m.restartSec!, what).toBeGreaterThanOrEqual(0);
      expect(m.catchupSec!, what).toBeGreaterThanOrEqual(0);
      expect(m.recoverySec!, what).toBeCloseTo(m.detectionSec! + m.restartSec! + m.catchupSec!, 1);
      // The offered load of the point (its trace level × peak / trace max: 350 and 870 ev/s), within the ramp's change over the window.
      expect(Math.abs(m.throughputEps! / (plan.points[m.pointIndex]!.level * 10) - 1), what).toBeLessThan(0.1);
      // Never early, within the timers' millisecond rounding. Late by the timer and the PodChaos
      // create (the pod and Chaos Mesh's discovery are read when the kill is planned): printed
      // above, not bounded, as a loaded machine delays both.
      expect(m.actualLeadMs!, what).toBeLessThanOrEqual(m.plannedLeadMs! + 5);
      expect(m.restoredCheckpointId, what).toBeGreaterThan(0);
      expect(m.stateBytes, what).toBeGreaterThan(0);
      // The fake's latency gauge (≥ its 200 ms base) is mostly flat within a baseline, which the profile reads as stale (null).
      if (m.latencyMs !== null) expect(m.latencyMs, what).toBeGreaterThanOrEqual(200);
    }
    const report = buildProfileReport(record, ms, { seed: 1, steps });
    expect(report.markdown).toMatch(new RegExp(`# Chaos profile ${PROFILE}[\\s\\S]*Failures measured: 4 [\\s\\S]*## Recovery phases`));

    // Each kill went through a PodChaos naming one TaskManager pod of its replica, deleted afterwards.
    for (const ci of INTERVALS) {
      const deployment = deploymentName(PROFILE, ci);
      const kills = doubles.chaosMesh!.seen.filter((c) => c.name.startsWith(`${deployment}-kill-`));
      expect(kills, deployment).toHaveLength(2);
      for (const k of kills) {
        const pod = k.selector.pods?.[NS]?.[0] ?? '';
        expect(k).toMatchObject({ namespace: NS, action: 'pod-kill', gracePeriod: 0, killed: [`${NS}/${pod}`] });
        expect(pod).toMatch(new RegExp(`^${deployment}-taskmanager-1-\\d+$`));
      }
    }
    expect(doubles.chaosMesh!.seen).toHaveLength(4);
    expect(((await admin.request('GET', `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/podchaos`)).body as { items: unknown[] }).items).toEqual([]);

    // The FlinkDeployments deleted, and with them (owner references) everything of their clusters.
    for (const ci of INTERVALS) {
      const deployment = deploymentName(PROFILE, ci);
      await until(time, `nothing of ${deployment} left`, async () => ((await leftovers(admin, NS, deployment)).length === 0 ? true : undefined));
    }
    await until(time, 'no JobManager REST left in the double', () => (doubles.rest!.running.length === 0 ? true : undefined));
    expect(doubles.rest!.errors).toEqual([]);
  });
  it('paced: Khaos triggers the checkpoints over the JobManager route, the FlinkDeployments run Flink’s fallback interval, each kill lands before a checkpoint Khaos triggers', { timeout: 120_000 }, async () => {
    const id = 'k8spaced';
    const pacedPlan = checkPlan({ ...plan, points: [plan.points[1]!], actuator: 'paced', fallbackIntervalMs: 600_000 });
    const store = new SqliteProfileStore(path.join(tmp, 'paced.db'));
    store.createProfile({ id, createdAtMs: Date.now(), status: 'running', plan: pacedPlan, provenance });
    const platform = await composed(id);
    // What each FlinkDeployment asked Flink for, read from the API server as the replica starts.
    const configured: Record<string, string | undefined> = {};
    const o = platform.orchestrator;
    const startReplica = async (request: Parameters<typeof o.startReplica>[0]) => {
      const handle = await o.startReplica(request);
      const fd = (await admin.request('GET', `/apis/flink.apache.org/v1beta1/namespaces/${NS}/flinkdeployments/${deploymentName(id, Number(request.name.replace('ci-', '')))}`)).body as { spec: { flinkConfiguration: Record<string, string> } };
      configured[request.name] = fd.spec.flinkConfiguration['execution.checkpointing.interval'];
      return handle;
    };
    const orchestrator = new Proxy(o, { get: (t, k) => (k === 'startReplica' ? startReplica : typeof Reflect.get(t, k) === 'function' ? (Reflect.get(t, k) as (...a: unknown[]) => unknown).bind(t) : Reflect.get(t, k)) });
    try {
      expect(await runProfile({ ...platform, orchestrator, store }, id, trace)).toBe('done');
    } finally {
      platform.close();
    }
    const ms = store.measurements(id);
    store.close();
    expect(configured).toEqual({ [replicaName(1000)]: '600000 ms', [replicaName(3000)]: '600000 ms' });
    expect(ms).toHaveLength(2);
    for (const m of ms) {
      console.log(`[k8s] paced ${m.ciMs} ms: recovery ${m.recoverySec?.toFixed(1)} s, lead ${m.plannedLeadMs} / ${m.actualLeadMs} ms`);
      expect(m, `${m.ciMs} ms`).toMatchObject({ outcome: 'recovered', timing: 'before-checkpoint', timingSource: 'khaos-trigger' });
      expect(m.actualLeadMs!, `${m.ciMs} ms`).toBeLessThanOrEqual(m.plannedLeadMs! + 5);
      expect(m.restoredCheckpointId, `${m.ciMs} ms: restored from a checkpoint Khaos triggered`).toBeGreaterThan(0);
    }
    for (const ci of INTERVALS) await until(time, `nothing of ${deploymentName(id, ci)} left`, async () => ((await leftovers(admin, NS, deploymentName(id, ci))).length === 0 ? true : undefined));
  });
});
