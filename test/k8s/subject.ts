import fs from 'node:fs';
import { expect } from 'vitest';
import { builtInJob } from '../../src/core/jobs.js';
import { RestFlinkEngine } from '../../src/adapters/flink-rest/rest-flink-engine.js';
import { K8sApi } from '../../src/adapters/k8s/api.js';
import { startControlPlane, stopControlPlane, type ControlPlaneState } from '../../src/adapters/k8s/control-plane.js';
import { isAlive } from '../../src/adapters/system/processes.js';
import { KubernetesFailureInjector } from '../../src/adapters/k8s/failure-injector.js';
import type { KubernetesOrchestrator } from '../../src/adapters/k8s/orchestrator.js';
import { WatchCache, type KubeObject } from '../../src/adapters/k8s/watch.js';
import { SystemClock } from '../../src/adapters/system/clock.js';
import { crdsDir, crdValidator } from '../../src/cli/k8s.js';
import { khaosRbac, LABELS, type K8sSettings } from '../../src/core/k8s/render.js';
import type { ReplicaRequest } from '../../src/ports/orchestrator.js';
import type { PlatformSubject } from '../contract/orchestrator.contract.js';
import { until } from '../contract/until.js';
import { ChaosMeshDouble } from './doubles/chaos-mesh.js';
import { FlinkOperatorDouble } from './doubles/flink-operator.js';
import { FlinkRestDouble } from './doubles/flink-rest.js';

/** What the test files of the `k8s` project share: requests, tokens, leftovers, the contracts' subject. */

/** The replica the contracts and the orchestrator's own tests start: the iot job, parallelism 2. */
export const replicaRequest = (name: string, checkpointIntervalMs: number): ReplicaRequest => ({ name, job: builtInJob('iot'), checkpointIntervalMs, parallelism: 2, inputTopic: 'in', outputTopic: `out-${name}`, auditTopic: `audit-${name}`, groupId: `g-${name}` });

/** A token of ServiceAccount `sa` in `ns` (TokenRequest API), as Khaos would run with. */
export async function serviceAccountToken(admin: K8sApi, ns: string, sa: string): Promise<string> {
  const r = await admin.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts/${sa}/token`, { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: { expirationSeconds: 3600 } });
  expect(r.status, JSON.stringify(r.body)).toBe(201);
  return (r.body as { status: { token: string } }).status.token;
}

/**
 * Namespace `settings.namespace` as a user prepares it: the ServiceAccount Flink's pods run as
 * (the admission plugin needs it), and Khaos's ServiceAccount, Role and RoleBinding as `khaos k8s
 * render` prints them. Returns an API client with that ServiceAccount's token: the Role and
 * nothing else.
 */
export async function khaosNamespace(admin: K8sApi, plane: ControlPlaneState, settings: K8sSettings): Promise<K8sApi> {
  const ns = settings.namespace;
  expect((await admin.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } })).status).toBe(201);
  expect((await admin.request('POST', `/api/v1/namespaces/${ns}/serviceaccounts`, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: settings.flinkServiceAccount } })).status).toBe(201);
  for (const o of khaosRbac(settings)) await admin.create(o);
  return new K8sApi({ server: plane.server, ca: fs.readFileSync(plane.caFile, 'utf8'), token: await serviceAccountToken(admin, ns, settings.serviceAccount) });
}

type Listed = { items: { metadata: { name: string; labels?: Record<string, string> } }[] };

/** Everything of Flink cluster `name` in `ns`: its FlinkDeployment, pods, JobManager Deployment, ReplicaSets and services. */
export async function leftovers(admin: K8sApi, ns: string, name: string): Promise<string[]> {
  const byApp = async (kind: string, path: string) => ((await admin.request('GET', path)).body as Listed).items.filter((i) => i.metadata.labels?.app === name).map((i) => `${kind}/${i.metadata.name}`);
  const fd = await admin.request('GET', `/apis/flink.apache.org/v1beta1/namespaces/${ns}/flinkdeployments/${name}`);
  return [
    ...(fd.status === 200 ? [`flinkdeployment/${name}`] : []),
    ...(await byApp('pod', `/api/v1/namespaces/${ns}/pods`)),
    ...(await byApp('deployment', `/apis/apps/v1/namespaces/${ns}/deployments`)),
    ...(await byApp('replicaset', `/apis/apps/v1/namespaces/${ns}/replicasets`)),
    ...(await byApp('service', `/api/v1/namespaces/${ns}/services`)),
  ];
}

/**
 * The Orchestrator and FailureInjector contracts' subject on a control plane: Khaos's orchestrator
 * `o` and, per replica, its injector with the token of Khaos's own Role (`khaos`). On Kubernetes
 * there are no pids (`pidOf` is 0): a replica's "processes" are its running pods, seen
 * through a watch of their own with the `admin` token (labelled `khaos.dev/replica` from the pod
 * template), and `processRunning` asks whether a TaskManager pod of the replica runs. The watch
 * goes into `opened`, for the caller to close.
 */
export async function kubernetesSubject(s: { o: KubernetesOrchestrator; scope: string; namespace: string; admin: K8sApi; khaos: K8sApi; opened: { close(): void }[]; deadlineMs: number; pollMs: number }): Promise<PlatformSubject> {
  const clock = new SystemClock();
  const pods = new WatchCache<KubeObject & { status?: { phase?: string } }>(s.admin, `/api/v1/namespaces/${s.namespace}/pods`, `pods in namespace ${s.namespace}`, `${LABELS.managedBy}=khaos,${LABELS.profile}=${s.scope}`, () => undefined);
  await pods.start();
  s.opened.push(pods);
  const running = (replica: string, component?: string) =>
    [...pods.objects.values()].filter((p) => p.metadata.labels?.[LABELS.replica] === replica && (!component || p.metadata.labels?.component === component) && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
  return {
    orchestrator: s.o,
    request: replicaRequest,
    flinkAt: (restUrl) => new RestFlinkEngine(restUrl),
    injectorFor: (replica) => new KubernetesFailureInjector(s.khaos, crdValidator(), clock, { namespace: s.namespace, deployment: s.o.deploymentOf(replica), profile: s.scope }),
    now: () => clock.now(),
    pidOf: () => 0,
    processRunning: (replica, pid) => pid === 0 && running(replica, 'taskmanager').length > 0,
    processesOf: (replica) => running(replica).map(() => 0),
    waitMs: (ms) => clock.sleep(ms),
    deadlineMs: s.deadlineMs,
    pollMs: s.pollMs,
  };
}

/** A test file's teardown of its control plane: stopped, no process of it left, its directory removed. */
export async function stopPlane(plane: ControlPlaneState | undefined, tmp: string): Promise<void> {
  if (plane) {
    await stopControlPlane(plane);
    expect(plane.processes.filter((p) => isAlive(p.pid))).toEqual([]);
  }
  fs.rmSync(tmp, { recursive: true, force: true });
}

/**
 * A test file's control plane in `dir`, with namespace `settings.namespace` prepared as a user
 * would (khaosNamespace): `adminApi()` makes an admin client (one per double), `khaos` is a client
 * with Khaos's own token, `khaosToken` that token. Every client goes into `apis`, for the caller to close.
 */
export async function planeWithKhaos(dir: string, settings: K8sSettings, apis: K8sApi[]): Promise<{ plane: ControlPlaneState; admin: K8sApi; adminApi: () => K8sApi; khaos: K8sApi; khaosToken: string }> {
  const plane = await startControlPlane({ dir, crdsDir: crdsDir(), ownerPid: process.pid, progress: (l) => console.log(`[k8s] ${l}`) });
  const adminApi = () => {
    const api = K8sApi.fromKubeconfig(plane.kubeconfig);
    apis.push(api);
    return api;
  };
  const admin = adminApi();
  const khaos = await khaosNamespace(admin, plane, settings);
  apis.push(khaos);
  return { plane, admin, adminApi, khaos, khaosToken: await serviceAccountToken(admin, settings.namespace, settings.serviceAccount) };
}

/** The three doubles of an end-to-end test: the operator, Chaos Mesh and each JobManager's REST. */
export interface Doubles {
  operator: FlinkOperatorDouble;
  chaosMesh: ChaosMeshDouble;
  rest: FlinkRestDouble;
}

/**
 * The doubles on a plane of planeWithKhaos, each with an admin client of its own: the operator of
 * namespace `ns`, Chaos Mesh (once PodChaos is served: a CRD just established may answer 429
 * "storage is (re)initializing" for a while, and the double lists PodChaos once), and the REST of
 * each JobManager (the simulated job: capacity 3000 ev/s, detection 1 s, restart 1 s) following `ns`.
 * Each goes into `into` as it starts, for stopDoubles.
 */
export async function startDoubles(started: Awaited<ReturnType<typeof planeWithKhaos>>, ns: string, into: Partial<Doubles>): Promise<Doubles> {
  const { plane, admin, adminApi } = started;
  into.operator = await FlinkOperatorDouble.start(adminApi(), ns);
  const time = { waitMs: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), deadlineMs: 60_000, pollMs: 250 };
  await until(time, 'PodChaos served', async () => ((await admin.request('GET', '/apis/chaos-mesh.org/v1alpha1/podchaos')).status === 200 ? true : undefined));
  into.chaosMesh = new ChaosMeshDouble({ server: plane.server, ca: fs.readFileSync(plane.caFile, 'utf8'), token: plane.token });
  await into.chaosMesh.start();
  into.rest = await FlinkRestDouble.start({ capacityEps: 3000, detectionDelayMs: 1000, restartDelayMs: 1000 });
  await into.rest.follow(adminApi(), ns);
  return into as Doubles;
}

/** Stops the doubles started, closes `apis` and stops the plane (stopPlane), whatever fails on the way. */
export async function stopDoubles(d: Partial<Doubles>, apis: K8sApi[], plane: ControlPlaneState | undefined, tmp: string): Promise<void> {
  const stops = [() => d.rest?.stop(), () => d.chaosMesh?.stop(), () => d.operator?.stop(), () => apis.forEach((a) => a.close())];
  for (const stop of stops) await Promise.resolve().then(stop).catch((e: Error) => console.log(`[k8s] teardown: ${e.message}`));
  await stopPlane(plane, tmp);
}
