import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import { K8sApi } from '../../src/adapters/k8s/api.js';
import { startControlPlane, type ControlPlaneState } from '../../src/adapters/k8s/control-plane.js';
import { KubernetesOrchestrator, type FlinkDeploymentObject, type KubernetesOrchestratorOptions } from '../../src/adapters/k8s/orchestrator.js';
import { crdsDir, crdValidator } from '../../src/cli/k8s.js';
import { resolveConfig } from '../../src/config/schema.js';
import { khaosRbac, KHAOS_RULES } from '../../src/core/k8s/render.js';
import { orchestratorContract, ORCHESTRATOR_CONTRACT_REPLICA, type PlatformSubject, type SkippedCases } from '../contract/orchestrator.contract.js';
import { khaosError, until } from '../contract/until.js';
import { FlinkOperatorDouble } from './doubles/flink-operator.js';
import { khaosNamespace, kubernetesSubject, leftovers as leftoversOf, replicaRequest, serviceAccountToken, stopPlane } from './subject.js';

// KubernetesOrchestrator on a real control plane (etcd, kube-apiserver with token auth and RBAC,
// kube-controller-manager with its garbage collector, kube-scheduler, kwok), running with the
// token of Khaos's own rendered Role. kwok pods run no containers, so
// test/k8s/doubles/flink-operator.ts plays the Flink operator (status, JobManager Deployment,
// TaskManager pods), with the admin token. Everything here stops at the API boundary: no JobManager
// answers behind the service proxy, so nothing asserts Flink's REST (job state, checkpoint
// interval in use, restored savepoint, TaskManager registration); the local stack's run of the
// same contract covers that (test/integration/orchestrator-contract.test.ts).

const NS = 'khaos';
const time = { waitMs: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), deadlineMs: 30_000, pollMs: 100 };
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-k8s-orch-'));
let plane: ControlPlaneState;
let admin: K8sApi;
/** Khaos's ServiceAccount token: the rendered Role and nothing else. */
let khaos: K8sApi;
let operator: FlinkOperatorDouble | undefined;
let operatorApi: K8sApi | undefined;
const opened: { close(): void }[] = [];
const settings = { ...resolveConfig({}).k8s, namespace: NS };
const flink = { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000 };

const request = replicaRequest;

async function orchestrator(scope: string, extra: Partial<KubernetesOrchestratorOptions> = {}, api = khaos): Promise<KubernetesOrchestrator> {
  const o = await KubernetesOrchestrator.open({ api, settings, validator: crdValidator(), scope, flink, startTimeoutMs: 30_000, savepointTimeoutMs: 30_000, deleteTimeoutMs: 30_000, ...extra });
  opened.push(o);
  return o;
}

/** An API client with the token of ServiceAccount `sa`. */
async function apiAs(sa: string): Promise<K8sApi> {
  const api = new K8sApi({ server: plane.server, ca: fs.readFileSync(plane.caFile, 'utf8'), token: await serviceAccountToken(admin, NS, sa) });
  opened.push(api);
  return api;
}

/** The plain requests `api` makes while `run` runs (watch streams are not requests). */
async function requestsDuring<T>(api: K8sApi, run: () => Promise<T>): Promise<{ result: T; calls: string[] }> {
  const calls: string[] = [];
  const original = api.request.bind(api);
  api.request = (method, p, ...rest) => {
    calls.push(`${method} ${p.split('?')[0]}`);
    return original(method, p, ...rest);
  };
  try {
    return { result: await run(), calls };
  } finally {
    api.request = original;
  }
}

const get = async (p: string) => (await admin.request('GET', p)).body as { items: { metadata: { name: string; ownerReferences?: { kind: string; name: string }[] } }[] };
const fdPath = `/apis/flink.apache.org/v1beta1/namespaces/${NS}/flinkdeployments`;
const flinkDeployment = async (name: string) => {
  const r = await admin.request('GET', `${fdPath}/${name}`);
  return r.status === 200 ? (r.body as FlinkDeploymentObject) : undefined;
};
const leftovers = (name: string) => leftoversOf(admin, NS, name);
const nothingLeft = (name: string) => until(time, `nothing of ${name} left`, async () => ((await leftovers(name)).length === 0 ? true : undefined));
const deletePod = (pod: string) => admin.request('DELETE', `/api/v1/namespaces/${NS}/pods/${pod}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });

beforeAll(async () => {
  plane = await startControlPlane({ dir: path.join(tmp, 'plane'), crdsDir: crdsDir(), ownerPid: process.pid, progress: (l) => console.log(`[k8s] ${l}`) });
  admin = K8sApi.fromKubeconfig(plane.kubeconfig);
  // Khaos runs with the token of its rendered Role.
  khaos = await khaosNamespace(admin, plane, settings);
  opened.push(khaos);
  // The operator double has a client of its own (the admin token: it plays the operator).
  operatorApi = K8sApi.fromKubeconfig(plane.kubeconfig);
  operator = await FlinkOperatorDouble.start(operatorApi, NS);
});

afterAll(async () => {
  for (const o of opened) o.close();
  if (operator?.errors.length) console.log(`[k8s] the operator double's troubles:\n${operator.errors.join('\n')}`);
  await operator?.stop();
  operatorApi?.close();
  admin?.close();
  await stopPlane(plane, tmp);
});

/** Where the contract's cases need Flink itself: kwok pods run no containers, so no JobManager answers here. */
const NEEDS_FLINK = 'needs a running Flink job behind the JobManager route, and kwok pods run no containers; the local stack runs it (test/integration/orchestrator-contract.test.ts)';
const ORCHESTRATOR_SKIPS: SkippedCases = {
  'starts a replica: a handle with its REST URL, the requested interval and live TaskManagers that run its RUNNING job': `checks the job, its checkpoint interval and the TaskManagers' registration through Flink's REST; ${NEEDS_FLINK}. The subject starts the replica itself, and the Kubernetes start is checked below`,
  'refuses a second replica with the same name and leaves the first one as it was': `compares with the first case's handle and checks the job still fully running through Flink's REST; ${NEEDS_FLINK}`,
  'restartDeadTaskManagers: none while all live; after a kill, a new TaskManager in place of the dead one, and the job runs again': `finds the sink's TaskManager and the job's recovery through Flink's REST; ${NEEDS_FLINK}`,
  'stopWithSavepoint, then relaunch from the listed savepoint with a new interval: RUNNING again at the same REST URL, restored from it': `waits for a completed checkpoint and checks the restore through Flink's REST; ${NEEDS_FLINK}`,
  'reconfigure: savepoint and relaunch in one call, with ordered timings; savepoints are listed newest first': `waits for a completed checkpoint and checks the new interval in use through Flink's REST; ${NEEDS_FLINK}`,
};

/**
 * The contract's subject (test/k8s/subject.ts). The contract's first case, which starts the
 * replica, needs Flink's REST and is skipped: the subject starts it, so that the cases that need
 * only a replica (stopReplica) run.
 */
async function k8sSubject(): Promise<PlatformSubject> {
  const subject = await kubernetesSubject({ o: await orchestrator('contract'), scope: 'contract', namespace: NS, admin, khaos, opened, ...time });
  await subject.orchestrator.startReplica(request(ORCHESTRATOR_CONTRACT_REPLICA, 1500));
  return subject;
}

orchestratorContract('KubernetesOrchestrator on a control plane, with Khaos’s own Role', k8sSubject, ORCHESTRATOR_SKIPS);

describe('KubernetesOrchestrator up to the API boundary: FlinkDeployments, the operator’s status, owner references', () => {
  const NAME = 'orch-k';
  let o: KubernetesOrchestrator;
  let deployment: string;
  let first: ReturnType<KubernetesOrchestrator['replica']>;
  beforeAll(async () => {
    o = await orchestrator('k8s');
    deployment = o.deploymentOf(NAME);
  });
  afterAll(async () => {
    await o?.stopReplica(NAME).catch(() => undefined);
  });

  // Left out (Flink's REST): the job RUNNING with every vertex RUNNING, its checkpoint interval, subtasks on the handle's TaskManagers, their registration.
  it('starts a replica: a FlinkDeployment with the interval, savepoint upgrades and Khaos labels, ready by the watch; a handle with the REST route and running TaskManager pods', async () => {
    const t0 = Date.now();
    const { result, calls } = await requestsDuring(khaos, () => o.startReplica(request(NAME, 1500)));
    first = result;
    console.log(`[k8s] replica RUNNING ${Date.now() - t0} ms after create`);
    // Readiness came from the watch: the only plain request while waiting was the create.
    expect(calls).toEqual([`POST ${fdPath}`]);
    expect(first).toEqual({
      name: NAME, checkpointIntervalMs: 1500,
      restUrl: `${plane.server}/api/v1/namespaces/${NS}/services/${deployment}-rest:8081/proxy`,
      taskManagers: [{ id: `${deployment}-taskmanager-1-1` }, { id: `${deployment}-taskmanager-1-2` }],
    });
    expect(o.replica(NAME)).toEqual(first);
    expect(await o.jobManagerAlive(NAME)).toBe(true);
    expect(await o.savepoints(NAME)).toEqual([]);
    const fd = (await flinkDeployment(deployment))!;
    expect(fd.metadata.labels).toMatchObject({ 'app.kubernetes.io/managed-by': 'khaos', 'khaos.dev/profile': 'k8s', 'khaos.dev/replica': NAME, 'khaos.dev/job': 'iot', 'khaos.dev/checkpoint-interval-ms': '1500' });
    expect(fd.spec).toMatchObject({ mode: 'native', flinkConfiguration: { 'execution.checkpointing.interval': '1500 ms' }, job: { upgradeMode: 'savepoint', state: 'running', parallelism: 2 } });
    expect(fd.status).toMatchObject({ lifecycleState: 'STABLE', jobManagerDeploymentStatus: 'READY', jobStatus: { state: 'RUNNING' } });
    // What the operator and Flink made is owned, directly or through the JobManager Deployment, by the FlinkDeployment.
    const owners = (await get(`/api/v1/namespaces/${NS}/pods?labelSelector=app%3D${deployment}`)).items.map((p) => p.metadata.ownerReferences?.[0]?.kind);
    expect(owners.sort()).toEqual(['Deployment', 'Deployment', 'ReplicaSet']);
    const jm = (await get(`/apis/apps/v1/namespaces/${NS}/deployments?labelSelector=app%3D${deployment}`)).items[0]!;
    expect(jm.metadata.ownerReferences).toMatchObject([{ kind: 'FlinkDeployment', name: deployment }]);
  });

  // Left out (Flink's REST): the job still fully running afterwards.
  it('refuses a second replica with the same name and leaves the first one as it was', async () => {
    const before = await leftovers(deployment);
    await expect(o.startReplica(request(NAME, 3000))).rejects.toMatchObject(khaosError('bad-input'));
    expect(o.replica(NAME)).toEqual(first);
    expect(await leftovers(deployment)).toEqual(before);
    expect((await flinkDeployment(deployment))!.spec.flinkConfiguration).toMatchObject({ 'execution.checkpointing.interval': '1500 ms' });
  });

  // Left out (Flink's REST): the new TaskManager registered and the job running again. Flink's resource manager (here the double) replaces the pod, not Khaos.
  it('restartDeadTaskManagers: none while all live; after a TaskManager pod is killed, the pod that replaced it', async () => {
    expect(await o.restartDeadTaskManagers(NAME)).toEqual([]);
    const killed = `${deployment}-taskmanager-1-1`;
    expect((await deletePod(killed)).status).toBe(200);
    const started = await until(time, 'a TaskManager pod in place of the killed one', async () => {
      const s = await o.restartDeadTaskManagers(NAME);
      return s.length > 0 ? s : undefined;
    });
    expect(started).toEqual([`${deployment}-taskmanager-1-3`]);
    expect(o.replica(NAME).taskManagers.map((t) => t.id)).toEqual([`${deployment}-taskmanager-1-2`, `${deployment}-taskmanager-1-3`]);
    expect(await o.restartDeadTaskManagers(NAME)).toEqual([]);
  });

  // Left out (Flink's REST): the REST unreachable while suspended, the interval in use and the restore from the savepoint (checkpoint stats).
  it('stopWithSavepoint suspends the FlinkDeployment (the operator takes the savepoint); relaunch resumes it with a new interval', async () => {
    const before = Date.now();
    const stop = await o.stopWithSavepoint(NAME);
    expect(stop.savepointPath).toMatch(new RegExp(`^${settings.stateDir}/${deployment}/savepoints/savepoint-`));
    expect(stop.stoppedAtMs).toBeGreaterThanOrEqual(before);
    expect((await flinkDeployment(deployment))!.status).toMatchObject({ lifecycleState: 'SUSPENDED', jobStatus: { upgradeSavepointPath: stop.savepointPath } });
    await until(time, 'the JobManager pod gone after the stop', async () => ((await o.jobManagerAlive(NAME)) ? undefined : true));
    await expect(o.stopWithSavepoint(NAME), 'a second stop, with no job running').rejects.toMatchObject(khaosError('platform'));
    expect((await o.savepoints(NAME)).map((s) => s.path)).toEqual([stop.savepointPath]);

    const { runningAtMs } = await o.relaunch(NAME, stop.savepointPath, 3000);
    expect(runningAtMs).toBeGreaterThanOrEqual(stop.stoppedAtMs);
    expect(o.replica(NAME)).toMatchObject({ restUrl: first.restUrl, checkpointIntervalMs: 3000 });
    expect(o.replica(NAME).taskManagers).toHaveLength(2);
    expect(await o.jobManagerAlive(NAME)).toBe(true);
    const fd = (await flinkDeployment(deployment))!;
    expect(fd.spec).toMatchObject({ flinkConfiguration: { 'execution.checkpointing.interval': '3000 ms' }, job: { state: 'running' } });
    // Resumed from the savepoint the operator took: no redeploy nonce needed.
    expect(fd.spec.job?.savepointRedeployNonce).toBeUndefined();
    expect(JSON.parse(fd.status!.reconciliationStatus!.lastReconciledSpec!).spec.flinkConfiguration['execution.checkpointing.interval']).toBe('3000 ms');
  });

  // Left out (Flink's REST): the interval in use and the restore from the savepoint.
  it('reconfigure (the restart actuator): patches the interval, follows the operator’s stop-with-savepoint and redeploy, with ordered timings; savepoints newest first', async () => {
    const before = Date.now();
    const r = await o.reconfigure(NAME, 2000);
    expect(r.savepointPath).toMatch(/savepoint-/);
    expect(before).toBeLessThanOrEqual(r.requestedAtMs);
    expect(r.requestedAtMs).toBeLessThanOrEqual(r.stoppedAtMs);
    expect(r.stoppedAtMs).toBeLessThanOrEqual(r.runningAtMs);
    expect(r.runningAtMs).toBeLessThanOrEqual(Date.now());
    const listed = await o.savepoints(NAME);
    expect(listed).toHaveLength(2);
    expect(listed[0]!.path).toBe(r.savepointPath);
    expect(listed[0]!.completedAtMs).toBeGreaterThanOrEqual(listed[1]!.completedAtMs);
    expect(o.replica(NAME).checkpointIntervalMs).toBe(2000);
    expect((await flinkDeployment(deployment))!.status).toMatchObject({ lifecycleState: 'STABLE', jobStatus: { state: 'RUNNING', upgradeSavepointPath: r.savepointPath } });
  });

  // Left out (Flink's REST): the REST unreachable afterwards.
  it('stopReplica: the replica is unknown afterwards; the operator’s cleanup and the garbage collector (owner references) leave nothing of it', async () => {
    expect((await leftovers(deployment)).length).toBeGreaterThan(4);
    await o.stopReplica(NAME);
    expect(() => o.replica(NAME)).toThrow(expect.objectContaining(khaosError('bad-input')));
    await expect(o.jobManagerAlive(NAME)).rejects.toMatchObject(khaosError('bad-input'));
    // stopReplica waited for the FlinkDeployment and its pods; the ReplicaSet and services follow the JobManager Deployment through their owner references.
    // (The garbage collector would also take that Deployment from the FlinkDeployment, but it notices a CRD created after its start only at its
    // next discovery, up to about 30 s later here, so the double deletes it as the real operator's cleanup does.)
    expect((await leftovers(deployment)).filter((l) => l.startsWith('pod/') || l.startsWith('flinkdeployment/'))).toEqual([]);
    await nothingLeft(deployment);
  });
});

describe('the operator’s bad states', () => {
  let o: KubernetesOrchestrator;
  beforeAll(async () => {
    o = await orchestrator('bad', { startTimeoutMs: 4000, savepointTimeoutMs: 20_000 });
  });

  it('a FlinkDeployment stuck in DEPLOYING: a timeout naming the state, and Khaos deletes what it created', async () => {
    const name = o.deploymentOf('stuck');
    operator!.misbehave(name, 'stuck-deploying');
    await expect(o.startReplica(request('stuck', 1000))).rejects.toMatchObject({
      ...khaosError('timeout'),
      message: expect.stringMatching(/FlinkDeployment khaos-bad-stuck RUNNING .*not within 4 s .*jobManagerDeploymentStatus DEPLOYING.*stuck in DEPLOYING/s),
      hint: expect.stringMatching(/Khaos deleted FlinkDeployment khaos-bad-stuck/),
    });
    expect(() => o.replica('stuck')).toThrow(expect.objectContaining(khaosError('bad-input')));
    await nothingLeft(name);
    operator!.misbehave(name, undefined);
  });

  it('a change of interval the operator rolls back: a clear error naming ROLLING_BACK, the replica left at its last stable interval', async () => {
    const name = o.deploymentOf('rollback');
    await o.startReplica(request('rollback', 1000));
    operator!.misbehave(name, 'roll-back-upgrades');
    await expect(o.reconfigure('rollback', 4000)).rejects.toMatchObject({ ...khaosError('platform'), message: expect.stringMatching(/the operator rolled FlinkDeployment khaos-bad-rollback back \(lifecycleState ROLLING_BACK\).*interval 1000 ms/s), hint: expect.stringMatching(/fix it, then change the interval again/) });
    expect(o.replica('rollback').checkpointIntervalMs).toBe(1000);
    // Once rolled back, another change is refused at once with the same explanation, not left to
    // time out. (Asked until Khaos's own watch has seen ROLLED_BACK: while ROLLING_BACK it is refused the same way, before any patch.)
    const refusal = await until(time, 'Khaos seeing the operator done rolling back', async () => {
      const e = await o.reconfigure('rollback', 4000).then(() => new Error('a change accepted after a rollback'), (x: Error) => x);
      return /lifecycleState ROLLING_BACK/.test(e.message) ? undefined : e;
    });
    expect(refusal).toMatchObject({ ...khaosError('platform'), message: expect.stringMatching(/lifecycleState ROLLED_BACK/) });
    operator!.misbehave(name, undefined);
    await o.stopReplica('rollback');
    await nothingLeft(name);
  });

  it('a change of interval after which the job fails: a clear error naming FAILED and the operator’s error', async () => {
    const name = o.deploymentOf('failing');
    await o.startReplica(request('failing', 1000));
    operator!.misbehave(name, 'fail-upgrades');
    await expect(o.reconfigure('failing', 4000)).rejects.toMatchObject({ ...khaosError('platform'), message: expect.stringMatching(/FlinkDeployment khaos-bad-failing failed \(lifecycleState FAILED, job FAILED\).*NoRestartBackoffTimeStrategy/s) });
    operator!.misbehave(name, undefined);
    await o.stopReplica('failing');
    await nothingLeft(name);
  });

  it('an invalid FlinkDeployment never reaches the API server', async () => {
    const { calls } = await requestsDuring(khaos, async () => {
      await expect(o.startReplica({ ...request('bad-parallelism', 1000), parallelism: 'two' as unknown as number })).rejects.toMatchObject({ ...khaosError('bad-input'), message: expect.stringMatching(/spec\.job\.parallelism: must be an integer/) });
      await expect(o.startReplica(request('Not_A_Name', 1000))).rejects.toMatchObject({ ...khaosError('bad-input'), message: expect.stringMatching(/cannot name a FlinkDeployment/) });
    });
    expect(calls).toEqual([]);
  });
});

describe('Khaos’s Role and the JobManager route', () => {
  it('a Role without watch on pods (the rendered Role has it): open() names the verb and resource, instead of waiting for changes that never come', async () => {
    const weak = { ...settings, serviceAccount: 'khaos-nowatch' };
    const [sa, role, binding] = khaosRbac(weak);
    await admin.create(sa!);
    await admin.create({ ...role!, rules: KHAOS_RULES.map((r) => (r.resources.includes('pods') ? { ...r, verbs: r.verbs.filter((v) => v !== 'watch') } : r)) });
    await admin.create(binding!);
    expect(KHAOS_RULES.find((r) => r.resources.includes('pods'))!.verbs).toContain('watch');
    await expect(orchestrator('nowatch', {}, await apiAs('khaos-nowatch'))).rejects.toMatchObject({ ...khaosError('environment'), message: expect.stringMatching(/^the Role lacks watch on pods in namespace khaos: add it to the Role/) });
  });

  it('k8s.restUrlTemplate routes each JobManager through an ingress or a port-forward; unset, the API server’s service proxy', async () => {
    const routed = resolveConfig({ k8s: { namespace: NS, restUrlTemplate: 'https://{name}.{namespace}.flink.example.com' } }).k8s;
    const o = await orchestrator('route', { settings: routed });
    expect(o.restUrl('khaos-route-a')).toBe('https://khaos-route-a.khaos.flink.example.com');
    expect((await orchestrator('proxy')).restUrl('khaos-proxy-a')).toBe(`${plane.server}/api/v1/namespaces/${NS}/services/khaos-proxy-a-rest:8081/proxy`);
    expect(() => resolveConfig({ k8s: { restUrlTemplate: 'flink.example.com/{namespace}' } })).toThrow(/k8s\.restUrlTemplate: an http\(s\) URL template containing \{name\}/);
  });
});

/** This machine's first non-loopback IPv4 address: the API server refuses to proxy to loopback, and kwok pods have no real IP. */
const hostIp = () => Object.values(os.networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

describe('Flink’s REST through the API server’s service proxy (the default route)', () => {
  it.skipIf(!hostIp())('reaches a JobManager with the API server’s CA and Khaos’s token, GET and POST (the paced actuator’s trigger), and fails clearly without them', async () => {
    // A stand-in JobManager REST on this machine, behind a Service `<deployment>-rest:8081` as the
    // operator makes it. The API server proxies only to an endpoint whose target pod carries that
    // IP, so a pod with no node (kwok leaves it alone) gets the machine's IP in its status.
    const ip = hostIp()!;
    const deployment = 'khaos-proxied-a';
    const seen: string[] = [];
    const fixture = (f: string) => fs.readFileSync(path.join('test/fixtures/flink-2.2.1', f), 'utf8');
    const server = http.createServer((req, res) => {
      seen.push(`${req.method} ${req.url}`);
      res.setHeader('content-type', 'application/json');
      if (req.url === '/overview') return res.end(fixture('overview.json'));
      if (req.method === 'POST' && /^\/jobs\/[0-9a-f]+\/checkpoints$/.test(req.url ?? '')) return res.end(JSON.stringify({ 'request-id': 'r1' }));
      res.statusCode = 404;
      res.end(JSON.stringify({ errors: ['Not found'] }));
    });
    await new Promise<void>((r) => server.listen(0, ip, r));
    const port = (server.address() as { port: number }).port;
    try {
      const created = async (plural: string, obj: object) => expect((await admin.request('POST', `/api/v1/namespaces/${NS}/${plural}`, obj)).status, plural).toBe(201);
      await created('services', { apiVersion: 'v1', kind: 'Service', metadata: { name: `${deployment}-rest`, namespace: NS }, spec: { ports: [{ name: 'rest', port: 8081, targetPort: port }] } });
      const pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: `${deployment}-jobmanager`, namespace: NS }, spec: { nodeName: 'not-a-node', containers: [{ name: 'flink-main-container', image: 'flink:2.2.1-java17' }] } };
      await created('pods', pod);
      const podPath = `/api/v1/namespaces/${NS}/pods/${pod.metadata.name}/status`;
      expect((await admin.request('PATCH', podPath, { status: { podIP: ip, podIPs: [{ ip }] } }, 'application/merge-patch+json')).status).toBe(200);
      await created('endpoints', { apiVersion: 'v1', kind: 'Endpoints', metadata: { name: `${deployment}-rest`, namespace: NS }, subsets: [{ addresses: [{ ip, targetRef: { kind: 'Pod', name: pod.metadata.name, namespace: NS } }], ports: [{ name: 'rest', port }] }] });
      const restUrl = (await orchestrator('proxied')).restUrl(deployment);
      const proxied = new RestFlinkEngine(restUrl, { fetch: khaos.fetch });
      await until(time, 'the service proxy answers', async () => ((await proxied.isReachable()) ? true : undefined));
      expect(await proxied.triggerCheckpoint('0123456789abcdef0123456789abcdef')).toBe('r1');
      expect(seen).toEqual(expect.arrayContaining(['GET /overview', 'POST /jobs/0123456789abcdef0123456789abcdef/checkpoints']));
      // Without the CA and the token (the global fetch): refused, and the message names the URL.
      await expect(new RestFlinkEngine(restUrl, { requestTimeoutMs: 5000 }).listJobs()).rejects.toMatchObject({ message: expect.stringContaining(`Flink REST GET ${restUrl}/jobs/overview failed`) });
      // With a token whose Role lacks services/proxy: the API server's 403, named.
      const none = new K8sApi({ server: plane.server, ca: fs.readFileSync(plane.caFile, 'utf8'), token: 'not-a-token' });
      opened.push(none);
      await expect(new RestFlinkEngine(restUrl, { fetch: none.fetch }).listJobs()).rejects.toMatchObject({ message: expect.stringMatching(/answered 401/) });
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('no cluster to talk to', () => {
  it('no kubeconfig: a clear error saying where Khaos looked', () => {
    expect(() => K8sApi.fromKubeconfig(path.join(tmp, 'no-such-kubeconfig'))).toThrow(expect.objectContaining({ ...khaosError('environment'), message: expect.stringMatching(/no kubeconfig at .*no-such-kubeconfig/) }));
  });

  it('an unreachable API server: a clear error naming it', async () => {
    const api = new K8sApi({ server: 'https://127.0.0.1:1', ca: fs.readFileSync(plane.caFile, 'utf8'), token: 'x' });
    await expect(KubernetesOrchestrator.open({ api, settings, validator: crdValidator(), scope: 'x', flink })).rejects.toMatchObject({ ...khaosError('environment'), message: expect.stringMatching(/API server https:\/\/127\.0\.0\.1:1 unreachable/) });
    api.close();
  });

  // Last: it removes the operator's CRD from this control plane.
  it('the operator not installed (no FlinkDeployment CRD): a clear error saying to install it', async () => {
    const crd = '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/flinkdeployments.flink.apache.org';
    expect((await admin.request('DELETE', crd)).status).toBe(200);
    // The CRD goes once its objects are gone: the operator double, still running, removes its finalizers.
    await until(time, 'the CRD gone', async () => ((await admin.request('GET', crd)).status === 404 ? true : undefined));
    await operator!.stop();
    operator = undefined;
    await until(time, 'flink.apache.org/v1beta1 flinkdeployments no longer served', async () => ((await admin.request('GET', fdPath)).status === 404 ? true : undefined));
    await expect(orchestrator('after')).rejects.toMatchObject({ ...khaosError('environment'), message: expect.stringMatching(/does not serve FlinkDeployments .*404/), hint: expect.stringMatching(/install the Flink Kubernetes Operator/) });
  });
});
