import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sApi } from '../../src/adapters/k8s/api.js';
import { kubeconfig, stopControlPlane, type ControlPlaneState } from '../../src/adapters/k8s/control-plane.js';
import { SqliteControlStore } from '../../src/adapters/sqlite/sqlite-control-store.js';
import { SystemClock } from '../../src/adapters/system/clock.js';
import { isAlive } from '../../src/adapters/system/processes.js';
import { runDeploymentControl, type DeploymentControlResult } from '../../src/app/control/deployment-run.js';
import { controlSettings } from '../../src/app/control/session.js';
import { flinkDeploymentTarget } from '../../src/compose.js';
import { resolveConfig } from '../../src/config/schema.js';
import { builtInJob } from '../../src/core/jobs.js';
import { KHAOS_RULES, khaosRbac, replicaDeployment } from '../../src/core/k8s/render.js';
import { khaosError, until } from '../contract/until.js';
import { FlinkOperatorDouble } from './doubles/flink-operator.js';
import { FlinkRestDouble } from './doubles/flink-rest.js';
import { khaos } from '../integration/helpers.js';
import { planeWithKhaos, serviceAccountToken } from './subject.js';

// `khaos control --flinkdeployment` on a real control plane (etcd, kube-apiserver with RBAC,
// controller-manager, scheduler, kwok), with the token of Khaos's rendered Role, against
// FlinkDeployments created as a user would. kwok pods run no containers: the operator and each
// JobManager's REST are the test doubles (test/k8s/doubles/), the REST reached through
// `k8s.restUrlTemplate` (the service-proxy route itself is tested in orchestrator.test.ts). Time
// is the system clock; Flink's behaviour is the fluid simulation's.

const NS = 'khaos';
const time = { waitMs: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), deadlineMs: 30_000, pollMs: 200 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-k8s-control-'));
const settings = { ...resolveConfig({}).k8s, namespace: NS };
const fdPath = (name: string) => `/apis/flink.apache.org/v1beta1/namespaces/${NS}/flinkdeployments/${name}`;

let plane: ControlPlaneState | undefined;
const apis: K8sApi[] = [];
let admin: K8sApi;
let khaosToken: string;
let operator: FlinkOperatorDouble | undefined;
let rest: FlinkRestDouble | undefined;
let kubeconfigFile: string;

beforeAll(async () => {
  const started = await planeWithKhaos(path.join(tmp, 'plane'), settings, apis);
  ({ plane, admin, khaosToken } = started);
  const { adminApi } = started;
  kubeconfigFile = path.join(tmp, 'khaos-kubeconfig');
  fs.writeFileSync(kubeconfigFile, kubeconfig(started.plane.server, fs.readFileSync(started.plane.caFile, 'utf8'), khaosToken));
  operator = await FlinkOperatorDouble.start(adminApi(), NS);
  rest = await FlinkRestDouble.start({ capacityEps: 3000, detectionDelayMs: 1000, restartDelayMs: 1000 });
  await rest.follow(adminApi(), NS);
  rest.platform.setInputRate(400);
});

afterAll(async () => {
  const stops = [() => rest?.stop(), () => operator?.stop(), () => apis.forEach((a) => a.close()), () => plane && stopControlPlane(plane)];
  for (const stop of stops) await Promise.resolve().then(stop).catch((e: Error) => console.log(`[k8s] teardown: ${e.message}`));
  if (plane) expect(plane.processes.filter((p) => isAlive(p.pid))).toEqual([]);
  fs.rmSync(tmp, { recursive: true, force: true });
});

/**
 * A FlinkDeployment as a user writes one (no Khaos labels), running the iot job at `intervalMs`
 * with `upgradeMode`, and its job RUNNING.
 */
async function userDeployment(name: string, intervalMs: number | undefined, upgradeMode = 'savepoint', flinkConf: Record<string, string> = {}): Promise<void> {
  const obj = replicaDeployment(settings, {
    name, profile: 'user', replica: name, job: builtInJob('iot'), checkpointIntervalMs: intervalMs ?? 1, parallelism: 2,
    inputTopic: 'in', outputTopic: `out-${name}`, auditTopic: `audit-${name}`, groupId: name, txnPrefix: name, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000,
  }) as unknown as { metadata: { labels?: unknown }; spec: { flinkConfiguration: Record<string, string>; job: { upgradeMode: string } } };
  delete obj.metadata.labels;
  if (intervalMs === undefined) delete obj.spec.flinkConfiguration['execution.checkpointing.interval'];
  obj.spec.job.upgradeMode = upgradeMode;
  Object.assign(obj.spec.flinkConfiguration, flinkConf);
  await admin.create(obj as never);
  await until(time, `${name} RUNNING`, async () => {
    const fd = (await admin.request('GET', fdPath(name))).body as { status?: { jobStatus?: { state?: string } } };
    return fd.status?.jobStatus?.state === 'RUNNING' && (intervalMs === undefined || rest!.running.includes(`${NS}/${name}`)) ? true : undefined;
  });
}

const configOf = (control: Record<string, unknown>) =>
  resolveConfig({ k8s: { namespace: NS, kubeconfig: kubeconfigFile, restUrlTemplate: rest!.urlTemplate }, stack: { savepointTimeout: '15s', startTimeout: '30s' }, control: { tick: '500ms', statusEvery: '5s', window: '10s', minUptime: '0s', ...control } });

/** One in-process control run, as `khaos control --flinkdeployment` composes it; `stop` decides when it ends. */
async function control(name: string, controlConfig: Record<string, unknown>, stop: (store: SqliteControlStore) => boolean, setFallbackMs?: number): Promise<{ result: DeploymentControlResult; store: SqliteControlStore; lines: string[] }> {
  const config = configOf(controlConfig);
  const store = new SqliteControlStore(path.join(tmp, `${name}.db`));
  const lines: string[] = [];
  const log = (l: string) => {
    lines.push(l);
    console.log(`[k8s control ${name}] ${l}`);
  };
  const target = await flinkDeploymentTarget(config, { namespace: NS, name }, 5000, log);
  try {
    const result = await runDeploymentControl(
      { ...target, clock: new SystemClock(), store, log, newRunId: () => `run-${name}`, ownerPid: process.pid },
      controlSettings(config.control),
      { setFallbackMs, observeTimeoutMs: 10_000, upgradeTimeoutMs: 30_000, config },
      {},
      () => stop(store),
    );
    return { result, store, lines };
  } finally {
    target.close();
  }
}

/** The core/v1 Events on FlinkDeployment `name`. */
async function eventsOn(name: string): Promise<{ type: string; reason: string; message: string; source?: { component?: string } }[]> {
  const r = await admin.request('GET', `/api/v1/namespaces/${NS}/events?fieldSelector=${encodeURIComponent(`involvedObject.kind=FlinkDeployment,involvedObject.name=${name}`)}`);
  return (r.body as { items: { type: string; reason: string; message: string }[] }).items;
}

const specInterval = async (name: string) => ((await admin.request('GET', fdPath(name))).body as { spec: { flinkConfiguration: Record<string, string> } }).spec.flinkConfiguration['execution.checkpointing.interval'];

describe('bad input: refused at start with the fix, nothing changed', () => {
  it('an unknown name or namespace, a deployment without checkpointing, stateless with the restart actuator', async () => {
    await expect(control('nope', {}, () => true)).rejects.toMatchObject({ ...khaosError('bad-input'), message: 'no FlinkDeployment "nope" in namespace "khaos" (or no such namespace)', hint: expect.stringMatching(/kubectl get flinkdeployments -A/) });
    await userDeployment('nockpt', undefined);
    await expect(control('nockpt', {}, () => true)).rejects.toMatchObject({ ...khaosError('bad-input'), message: expect.stringMatching(/runs without checkpointing/), hint: expect.stringMatching(/execution\.checkpointing\.interval/) });
    await userDeployment('stateless', 60_000, 'stateless');
    await expect(control('stateless', { actuator: 'restart' }, () => true)).rejects.toMatchObject({ ...khaosError('bad-input'), message: expect.stringMatching(/upgradeMode is stateless: .* lose the job’s state/), hint: expect.stringMatching(/savepoint or last-state, or .*--actuator paced/) });
    expect(await specInterval('stateless')).toBe('60000 ms');
    expect(await eventsOn('stateless')).toEqual([]);
  });

  it('a token whose Role lacks a verb control needs: the verb named, before anything is read', async () => {
    const [sa, role, binding] = khaosRbac({ ...settings, serviceAccount: 'khaos-noevents' });
    await admin.create(sa!);
    await admin.create({ ...role!, rules: KHAOS_RULES.filter((r) => !r.resources.includes('events')) });
    await admin.create(binding!);
    const api = new K8sApi({ server: plane!.server, ca: fs.readFileSync(plane!.caFile, 'utf8'), token: await serviceAccountToken(admin, NS, 'khaos-noevents') });
    apis.push(api);
    const { FlinkDeploymentTarget } = await import('../../src/adapters/k8s/flink-deployment-target.js');
    // A namespace where the token has no right at all: most likely none by that name.
    await expect(FlinkDeploymentTarget.open({ api, namespace: 'nope', name: 'stateless' })).rejects.toMatchObject({ ...khaosError('bad-input'), message: 'Khaos\'s token has no right at all in namespace "nope": there is no such namespace, or Khaos\'s Role is not bound in it' });
    await expect(FlinkDeploymentTarget.open({ api, namespace: NS, name: 'stateless' })).rejects.toMatchObject({ ...khaosError('environment'), message: 'the Role lacks a right in namespace khaos: create on events, to record each change on it' });
  });
});

describe('paced', () => {
  it('paces checkpoints through the JobManager route at a static 2 s over a 60 s fallback, sees a TaskManager killed, measures its recovery, records each change as an Event', { timeout: 120_000 }, async () => {
    await userDeployment('paced', 60_000);
    let killedAt: number | undefined;
    const { result, store } = await control('paced', { policy: 'static:2s', actuator: 'paced' }, (s) => {
      const recovered = s.events('run-paced', 'recovery').length > 0;
      if (killedAt === undefined && s.events('run-paced', 'checkpoint-completed').length >= 2) {
        killedAt = Date.now();
        // A TaskManager pod deleted, as a pod-kill does: Flink's resource manager (the double) replaces it.
        void admin.request('DELETE', `/api/v1/namespaces/${NS}/pods/paced-taskmanager-1-1`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
      }
      return recovered || (killedAt !== undefined && Date.now() - killedAt > 60_000);
    });
    const ds = store.decisions(result.runId);
    expect(ds.filter((d) => d.outcome === 'applied').map((d) => [d.fromIntervalMs, d.toIntervalMs])).toEqual([[60_000, 2000]]);
    expect(store.events(result.runId, 'checkpoint-completed').length).toBeGreaterThanOrEqual(2);
    expect(store.events(result.runId, 'failure')).toHaveLength(1);
    const [recovery] = store.events(result.runId, 'recovery');
    console.log(`[k8s] paced: ${recovery?.detail}`);
    expect(recovery?.detail).toMatch(/^recovered in [\d.]+ s at \d+ ev\/s, interval 2000 ms \(origin: production\)$/);
    expect(store.getRun(result.runId)).toMatchObject({ actuator: 'paced', fallbackIntervalMs: 60_000 });
    // The deployment keeps its own interval: pacing never touched its spec.
    expect(await specInterval('paced')).toBe('60000 ms');
    expect(await eventsOn('paced')).toEqual([expect.objectContaining({ type: 'Normal', reason: 'KhaosIntervalChanged', message: expect.stringMatching(/^khaos \(paced\): checkpoint interval 60000 → 2000 ms applied/), source: { component: 'khaos' } })]);
    store.close();
  });

  it('a JobManager restart: seen from the deployment’s status (job RECONCILING while its REST is gone) and recorded as a failure', { timeout: 90_000 }, async () => {
    await userDeployment('jmloss', 60_000);
    let deleted = false;
    const { result, store } = await control('jmloss', { policy: 'static:2s', actuator: 'paced' }, (s) => {
      if (!deleted && s.events('run-jmloss', 'checkpoint-completed').length >= 1) {
        deleted = true;
        void (async () => {
          const pods = (await admin.request('GET', `/api/v1/namespaces/${NS}/pods?labelSelector=${encodeURIComponent('app=jmloss,component=jobmanager')}`)).body as { items: { metadata: { name: string } }[] };
          for (const p of pods.items) await admin.request('DELETE', `/api/v1/namespaces/${NS}/pods/${p.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
        })();
      }
      // Until the job runs again (a new JobManager, a fresh job in the REST double) and a checkpoint completed since.
      const failure = s.events('run-jmloss', 'failure')[0];
      return failure !== undefined && s.events('run-jmloss', 'checkpoint-completed').some((e) => e.atMs > failure.atMs + 1000);
    });
    const [failure] = store.events(result.runId, 'failure');
    expect(failure!.detail).toBe('job left RUNNING (RECONCILING)');
    expect(store.events(result.runId, 'deployment-status').map((e) => e.detail)).toContain('khaos/jmloss: lifecycleState STABLE, job RECONCILING, JobManager READY');
    store.close();
  });

  it('a user who patches the interval by hand mid-run: Khaos records it, pauses (no more checkpoints paced) and says so, on the deployment too', { timeout: 90_000 }, async () => {
    await userDeployment('byhand', 60_000);
    let patchedAt: number | undefined;
    const { result, store, lines } = await control('byhand', { policy: 'static:2s', actuator: 'paced' }, (s) => {
      if (patchedAt === undefined && s.events('run-byhand', 'checkpoint-completed').length >= 1) {
        patchedAt = Date.now();
        void admin.request('PATCH', fdPath('byhand'), { spec: { flinkConfiguration: { 'execution.checkpointing.interval': '30 s' } } }, 'application/merge-patch+json');
      }
      // Paused for 5 s at least: long enough for 2 paced checkpoints, had it not paused.
      const paused = s.events('run-byhand', 'paused')[0];
      return paused !== undefined && Date.now() - paused.atMs > 5000;
    });
    const [paused] = store.events(result.runId, 'paused');
    expect(paused!.detail).toMatch(/^the interval of khaos\/byhand was changed by someone else \(60000 → 30000 ms in its spec, not by Khaos\): Khaos does not fight it and is paused/);
    expect(result.pausedBecause).toBe(paused!.detail);
    expect(lines).toContain(`control: ${paused!.detail}`);
    expect(store.events(result.runId, 'checkpoint-triggered').filter((e) => e.atMs > paused!.atMs + 1000)).toEqual([]);
    expect(await specInterval('byhand')).toBe('30 s');
    expect((await eventsOn('byhand')).map((e) => e.reason)).toContain('KhaosPaused');
    store.close();
  });

  it('a deployment deleted under a running controller: the run ends, says why, and records it', { timeout: 90_000 }, async () => {
    await userDeployment('deleted', 60_000);
    let deleting = false;
    const { result, store } = await control('deleted', { policy: 'static:2s', actuator: 'paced' }, (s) => {
      if (!deleting && s.events('run-deleted', 'checkpoint-completed').length >= 1) {
        deleting = true;
        void admin.request('DELETE', fdPath('deleted'));
      }
      return false; // only the deletion ends this run
    });
    expect(result.endedBecause).toBe('FlinkDeployment khaos/deleted was deleted: nothing left to control, the run ends');
    expect(store.events(result.runId, 'deployment-deleted')).toHaveLength(1);
    expect(store.getRun(result.runId)?.status).toBe('stopped');
    store.close();
  });
});

describe('restart actuator: the operator’s savepoint upgrade', () => {
  it('moves the deployment to the policy’s interval through the operator, follows its status, records an Event', { timeout: 90_000 }, async () => {
    await userDeployment('upgrade', 60_000);
    const { result, store } = await control('upgrade', { policy: 'static:5s', actuator: 'restart' }, (s) => s.decisions('run-upgrade').some((d) => d.action === 'change'));
    const [change] = store.decisions(result.runId).filter((d) => d.action === 'change');
    expect(change).toMatchObject({ fromIntervalMs: 60_000, toIntervalMs: 5000, outcome: 'applied' });
    const [r] = store.reconfigurations('k8s/khaos/upgrade');
    expect(r).toMatchObject({ step: 'done', savepointPath: expect.stringMatching(/savepoints\/savepoint-/) });
    expect(await specInterval('upgrade')).toBe('5000 ms');
    const fd = (await admin.request('GET', fdPath('upgrade'))).body as { status: { lifecycleState: string; jobStatus: { state: string; upgradeSavepointPath: string } } };
    expect(fd.status).toMatchObject({ lifecycleState: 'STABLE', jobStatus: { state: 'RUNNING', upgradeSavepointPath: r!.savepointPath } });
    expect((await eventsOn('upgrade')).map((e) => [e.type, e.reason])).toEqual([['Normal', 'KhaosIntervalChanged']]);
    store.close();
  });

  it('the operator not running: the status never moves after the patch, so the change is rolled back within the deadline and recorded as failed', { timeout: 90_000 }, async () => {
    await userDeployment('nooperator', 60_000);
    await operator!.stop();
    try {
      const { result, store } = await control('nooperator', { policy: 'static:5s', actuator: 'restart' }, (s) => s.decisions('run-nooperator').some((d) => d.action === 'change'));
      const [change] = store.decisions(result.runId).filter((d) => d.action === 'change');
      expect(change!.outcome).toMatch(/^failed: the operator did not observe the patch within 10 s \(is it running\?\): the interval was put back to 60000 ms/);
      expect(store.reconfigurations('k8s/khaos/nooperator')[0]).toMatchObject({ step: 'rolled-back' });
      expect(await specInterval('nooperator')).toBe('60000 ms');
      expect((await eventsOn('nooperator')).map((e) => [e.type, e.reason])).toEqual([['Warning', 'KhaosIntervalChangeFailed']]);
      store.close();
    } finally {
      operator = await FlinkOperatorDouble.start(apis[0]!, NS);
    }
  });

  for (const step of ['planned', 'stopping', 'stopped', 'relaunching']) {
    it(`the controller SIGKILLed at step "${step}", then started again: it resumes from the step and the deployment's status, the job ends RUNNING at one interval`, { timeout: 120_000 }, async () => {
      const name = `crash-${step}`;
      await userDeployment(name, 60_000);
      const home = path.join(tmp, `home-${step}`);
      const cfg = path.join(tmp, `${name}.yaml`);
      fs.writeFileSync(cfg, YAML.stringify({ k8s: { namespace: NS, kubeconfig: kubeconfigFile, restUrlTemplate: rest!.urlTemplate }, stack: { savepointTimeout: '15s', startTimeout: '30s' }, control: { policy: 'static:5s', actuator: 'restart', tick: '500ms', window: '10s', minUptime: '0s' } }));
      const args = ['control', '--config', cfg, '--flinkdeployment', `${NS}/${name}`];
      const killed = await khaos(args, { env: { KHAOS_HOME: home, KHAOS_CRASH_AT: step } });
      expect(killed.signal, killed.out).toBe('SIGKILL');
      const again = await khaos([...args, '--duration', '4s'], { env: { KHAOS_HOME: home } });
      console.log(`[k8s] restarted after SIGKILL at ${step}:\n${again.out.split('\n').filter((l) => /restart:|resum|rolled|done|→/.test(l)).join('\n')}`);
      expect(again.code, again.out).toBe(0);
      const store = new SqliteControlStore(path.join(home, 'control.db'), { readOnly: true });
      const records = store.reconfigurations(`k8s/${NS}/${name}`);
      store.close();
      // The interrupted change ended (done or rolled back), none is left open, and the job runs the spec's interval.
      expect(records[0]!.step, JSON.stringify(records)).toBe(step === 'planned' || step === 'stopping' ? 'rolled-back' : 'done');
      expect(records.every((r) => ['done', 'rolled-back'].includes(r.step))).toBe(true);
      // Restarted, the policy changes it again (static 5 s): the deployment ends at 5 s either way.
      await until(time, `${name} RUNNING at 5000 ms`, async () => {
        const fd = (await admin.request('GET', fdPath(name))).body as { spec: { flinkConfiguration: Record<string, string> }; status: { lifecycleState: string; jobStatus: { state: string } } };
        return fd.spec.flinkConfiguration['execution.checkpointing.interval'] === '5000 ms' && fd.status.jobStatus.state === 'RUNNING' && fd.status.lifecycleState === 'STABLE' ? true : undefined;
      });
    });
  }

  it('the worked session of docs/kubernetes.md: --set-fallback raises the deployment’s own interval once through the operator, the health check is explained, then Khaos paces', { timeout: 120_000 }, async () => {
    await userDeployment('orders', 60_000, 'savepoint', { 'kubernetes.operator.cluster.health-check.enabled': 'true' });
    const home = path.join(tmp, 'home-session');
    const cfg = path.join(tmp, 'session.yaml');
    fs.writeFileSync(cfg, YAML.stringify({ k8s: { namespace: NS, kubeconfig: kubeconfigFile, restUrlTemplate: rest!.urlTemplate }, control: { policy: 'static:5s', actuator: 'paced', fallbackInterval: '10min', tick: '1s', statusEvery: '5s', window: '10s', minUptime: '0s' } }));
    const run = await khaos(['control', '--config', cfg, '--flinkdeployment', `${NS}/orders`, '--set-fallback', '--duration', '12s'], { env: { KHAOS_HOME: home } });
    const decisions = await khaos(['control', 'decisions'], { env: { KHAOS_HOME: home } });
    const events = (await eventsOn('orders')).sort((a, b) => (a.reason === 'KhaosFallbackRaised' ? -1 : b.reason === 'KhaosFallbackRaised' ? 1 : 0)).map((e) => `${e.type.padEnd(8)}${e.reason.padEnd(26)}${e.message}`);
    console.log(`[k8s] worked session:\n$ khaos control --config session.yaml --flinkdeployment khaos/orders --set-fallback --duration 12s\n${run.out}\n$ khaos control decisions\n${decisions.out}\nEvents on FlinkDeployment khaos/orders (type, reason, message; read by the test with the admin token):\n${events.join('\n')}`);
    expect(run.code, run.out).toBe(0);
    expect(run.out).toMatch(/note: the operator's checkpoint-progress health check is on: a job that completes no checkpoint within 20 min is restarted/);
    expect(run.out).toMatch(/--set-fallback: raising khaos\/orders's own interval 60000 → 600000 ms through the operator's savepoint upgrade/);
    expect(await specInterval('orders')).toBe('600000 ms');
    expect(decisions.out).toMatch(/change 600000 →   5000 ms  applied/);
    expect(events.map((e) => e.slice(0, 34).trim()).sort()).toEqual(['Normal  KhaosFallbackRaised', 'Normal  KhaosIntervalChanged']);
  });
});
