import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { builtInJob } from '../../src/core/jobs.js';
import { K8sApi, type ApiEndpoint } from '../../src/adapters/k8s/api.js';
import { startControlPlane, type ControlPlaneState } from '../../src/adapters/k8s/control-plane.js';
import { KubernetesFailureInjector, type KubernetesInjectorOptions } from '../../src/adapters/k8s/failure-injector.js';
import { KubernetesOrchestrator } from '../../src/adapters/k8s/orchestrator.js';
import { SystemClock } from '../../src/adapters/system/clock.js';
import { crdsDir, crdValidator } from '../../src/cli/k8s.js';
import { resolveConfig } from '../../src/config/schema.js';
import { flinkPodLabels, khaosRbac, KHAOS_RULES, renderProfilePlan, type K8sSettings } from '../../src/core/k8s/render.js';
import type { FlinkEngine } from '../../src/ports/flink-engine.js';
import { failureInjectorContract } from '../contract/failure-injector.contract.js';
import type { PlatformSubject, SkippedCases } from '../contract/orchestrator.contract.js';
import { khaosError, until } from '../contract/until.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';
import { ChaosMeshDouble } from './doubles/chaos-mesh.js';
import { kubernetesSubject, serviceAccountToken, stopPlane } from './subject.js';

// KubernetesFailureInjector on a real control plane (etcd, kube-apiserver with token auth and
// RBAC, controller-manager, scheduler, kwok), running with the token of Khaos's own rendered Role,
// against a test double that plays Chaos Mesh (test/k8s/doubles/chaos-mesh.ts). kwok pods run no
// containers and no Flink runs here: this covers everything up to the API boundary. The
// FailureInjector contract runs first; its cases that need a running Flink job are skipped, each
// with why in its title; they run against the local stack (test/integration).

const NS = 'khaos';
/** A namespace Chaos Mesh (with namespace filtering on) does not target: a PodChaos there selects nothing. */
const UNTARGETED = 'khaos-untargeted';
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const within = { waitMs: sleep, deadlineMs: 20_000, pollMs: 100 };

let plane: ControlPlaneState;
let admin: K8sApi;
let khaos: K8sApi; // Khaos's ServiceAccount token, its Role only
let chaosMesh: ChaosMeshDouble;
let settings: K8sSettings;
let deployment: string;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-k8s-injector-'));
const opened: { close(): void }[] = [];

const endpoint = (token: string): ApiEndpoint => ({ server: plane.server, ca: fs.readFileSync(plane.caFile, 'utf8'), token });

const tokenOf = (ns: string, sa: string) => serviceAccountToken(admin, ns, sa);

function apiAs(token: string): K8sApi {
  const api = new K8sApi(endpoint(token));
  opened.push(api);
  return api;
}

/**
 * A TaskManager pod as the operator's native mode names and labels it (`<deployment>-taskmanager-1-<n>`,
 * app/component/type), bound to the kwok node. The test makes them: no operator runs here.
 */
async function taskManagerPod(ns: string, deploymentName: string, n: number): Promise<string> {
  const name = `${deploymentName}-taskmanager-1-${n}`;
  await admin.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels: flinkPodLabels(deploymentName, 'taskmanager') }, spec: { nodeName: plane.node, containers: [{ name: 'flink-main-container', image: 'flink:2.2.1-java17' }] } });
  return name;
}

const podStatus = async (ns: string, name: string) => (await admin.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`)).status;
const podChaosIn = async (ns: string) => ((await admin.request('GET', `/apis/chaos-mesh.org/v1alpha1/namespaces/${ns}/podchaos`)).body as { items: unknown[] }).items;

function injector(api: K8sApi, opts: Partial<KubernetesInjectorOptions> = {}): KubernetesFailureInjector {
  return new KubernetesFailureInjector(api, crdValidator(), new SystemClock(), { namespace: NS, deployment, profile: 'fi', ...opts });
}

beforeAll(async () => {
  plane = await startControlPlane({ dir: path.join(tmp, 'plane'), crdsDir: crdsDir(), ownerPid: process.pid, progress: (l) => console.log(`[k8s] ${l}`) });
  admin = K8sApi.fromKubeconfig(plane.kubeconfig);
  const c = resolveConfig(YAML.parse(fs.readFileSync('examples/k8s-profile.yaml', 'utf8')));
  settings = { ...c.k8s, namespace: NS };
  // The namespace Chaos Mesh targets carries its annotation (namespace filtering is on in the double).
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: NS, annotations: { 'chaos-mesh.org/inject': 'enabled' } } });
  await admin.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: UNTARGETED } });
  for (const ns of [NS, UNTARGETED]) for (const o of khaosRbac({ ...settings, namespace: ns })) await admin.create(o);
  khaos = apiAs(await tokenOf(NS, settings.serviceAccount));
  const objects = renderProfilePlan(settings, { profile: 'fi', job: c.job.descriptor, intervalsMs: [2000], parallelism: 2, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000 });
  const fd = objects.find((o) => o.kind === 'FlinkDeployment')!;
  deployment = fd.metadata.name;
  await admin.create(fd);
  chaosMesh = new ChaosMeshDouble(endpoint(plane.token), { filterNamespaces: true });
  await chaosMesh.start();
});

afterAll(async () => {
  await chaosMesh?.stop();
  for (const o of opened) o.close();
  admin?.close();
  await stopPlane(plane, tmp);
});

/** Where the contract's cases need Flink itself: kwok pods run no containers, so no JobManager answers here. */
const NEEDS_FLINK = 'needs a running Flink job, and kwok pods run no containers; the local stack runs it (test/integration/orchestrator-contract.test.ts)';
const INJECTOR_SKIPS: SkippedCases = {
  'throws KhaosError("bad-input") for a TaskManager the replica does not have, and touches nothing': `starts its replica and waits for the job RUNNING through Flink's REST; ${NEEDS_FLINK}. The same refusals on TaskManager pods are checked below`,
  'exception: the job fails over once on the marker and runs again; the replayed marker starts no restart loop': `the failover on the marker is Flink's; ${NEEDS_FLINK}`,
  'freeze: stops the TaskManager for the duration, resolves after the thaw, and the TaskManager lives on': `unsupported on Kubernetes, Chaos Mesh has no action that pauses a process (the refusal is checked below); and it ${NEEDS_FLINK}`,
  'kill: the TaskManager is gone at once; the job fails over, and runs again once restartDeadTaskManagers brought it back': `the failover and the new TaskManager's registration are Flink's; ${NEEDS_FLINK}. The kill through a PodChaos is checked below`,
};

/** The contract's subject (test/k8s/subject.ts). No operator plays here, so no replica starts. */
async function k8sSubject(): Promise<PlatformSubject> {
  const scope = 'fi-contract';
  const o = await KubernetesOrchestrator.open({ api: khaos, settings, validator: crdValidator(), scope, flink: { heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000 } });
  opened.push(o);
  return kubernetesSubject({ o, scope, namespace: NS, admin, khaos, opened, ...within });
}

// First: the last describe of this file removes the PodChaos CRD.
failureInjectorContract('KubernetesFailureInjector on a control plane, with Khaos’s own Role', k8sSubject, INJECTOR_SKIPS);

describe('KubernetesFailureInjector: kill through Chaos Mesh, freeze, exception', () => {
  it('throws KhaosError("bad-input") for a TaskManager the replica does not have, and touches nothing', async () => {
    const tms = [await taskManagerPod(NS, deployment, 1), await taskManagerPod(NS, deployment, 2)];
    const stranger = await taskManagerPod(NS, 'another-replica', 1);
    const inj = injector(khaos);
    await expect(inj.inject({ type: 'kill', taskManagerId: 'no-such-taskmanager' })).rejects.toMatchObject(khaosError('bad-input'));
    await expect(inj.inject({ type: 'freeze', taskManagerId: 'no-such-taskmanager', durationMs: 1500 })).rejects.toMatchObject(khaosError('bad-input'));
    await expect(inj.inject({ type: 'kill', taskManagerId: stranger })).rejects.toMatchObject({ ...khaosError('bad-input'), message: expect.stringContaining(`is not a TaskManager of replica ${deployment}`) });
    for (const p of [...tms, stranger]) expect(await podStatus(NS, p), p).toBe(200);
    expect(await podChaosIn(NS)).toEqual([]);
    expect(chaosMesh.seen).toEqual([]);
  });

  it('kill: a PodChaos pod-kill, grace period 0, naming the TaskManager pod; the pod is gone and the PodChaos deleted', async () => {
    const [target, other] = [`${deployment}-taskmanager-1-1`, `${deployment}-taskmanager-1-2`];
    const before = Date.now();
    const f = await injector(khaos).inject({ type: 'kill', taskManagerId: target });
    expect(f).toEqual({ type: 'kill', taskManagerId: target, pid: 0, injectedAtMs: expect.any(Number) });
    expect(f.injectedAtMs).toBeGreaterThanOrEqual(before);
    expect(f.injectedAtMs).toBeLessThanOrEqual(Date.now());
    await until(within, `pod ${target} removed (kwok drops its finalizer)`, async () => ((await podStatus(NS, target)) === 404 ? true : undefined));
    expect(await podStatus(NS, other), 'the other TaskManager lives').toBe(200);
    expect(chaosMesh.seen).toEqual([{ name: expect.stringMatching(new RegExp(`^${deployment}-kill-`)), namespace: NS, action: 'pod-kill', gracePeriod: 0, selector: { pods: { [NS]: [target] } }, killed: [`${NS}/${target}`] }]);
    expect(await podChaosIn(NS), 'cleaned up after the experiment').toEqual([]);
    await expect(injector(khaos).inject({ type: 'kill', taskManagerId: target }), 'a dead TaskManager is no target').rejects.toMatchObject(khaosError('bad-input'));
  });

  it('a kill prepared when its victim is planned is one create at injection time; a pod gone meanwhile is still caught', async () => {
    const target = await taskManagerPod(NS, deployment, 5);
    const sent: string[] = [];
    // Every request the injector makes, in order (create and call both go through request).
    const recorded = new Proxy(khaos, { get: (o, k) => (k === 'request' ? (m: string, p: string, ...rest: unknown[]) => (sent.push(`${m} ${p.split('?')[0]}`), o.request(m, p, ...(rest as []))) : Reflect.get(o, k)) });
    const inj = injector(recorded);
    await inj.prepare('kill', target);
    expect(sent, 'the pod and Chaos Mesh discovery read ahead').toEqual([`GET /api/v1/namespaces/${NS}/pods/${target}`, 'GET /apis/chaos-mesh.org/v1alpha1']);
    sent.length = 0;
    await inj.inject({ type: 'kill', taskManagerId: target });
    // The create goes first, with the pod read again beside it (not before it).
    expect(sent.slice(0, 2), 'the kill starts with the create').toEqual([`POST /apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/podchaos`, `GET /api/v1/namespaces/${NS}/pods/${target}`]);
    await until(within, `pod ${target} removed`, async () => ((await podStatus(NS, target)) === 404 ? true : undefined));
    chaosMesh.seen.length = 0;
    // Prepared, then the pod went before the kill: said clearly, the PodChaos deleted.
    const gone = await taskManagerPod(NS, deployment, 6);
    const inj2 = injector(khaos);
    await inj2.prepare('kill', gone);
    await admin.request('DELETE', `/api/v1/namespaces/${NS}/pods/${gone}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0 });
    await until(within, `pod ${gone} removed`, async () => ((await podStatus(NS, gone)) === 404 ? true : undefined));
    await expect(inj2.inject({ type: 'kill', taskManagerId: gone })).rejects.toMatchObject({ ...khaosError('bad-input'), message: `TaskManager pod ${gone} went away between planning the kill and making it` });
    expect(await podChaosIn(NS), 'cleaned up after the failed experiment').toEqual([]);
    chaosMesh.seen.length = 0;
  });

  it('a prepared kill whose re-read of the pod comes after Chaos Mesh acted on the create: the kill stands (its PodChaos records the pod)', async () => {
    const target = await taskManagerPod(NS, deployment, 7);
    // The re-read beside the create held back until the pod is gone: Chaos Mesh quicker than the read, as on a loaded machine.
    let created = false;
    const late = new Proxy(khaos, {
      get: (o, k) =>
        k === 'request'
          ? async (m: string, p: string, ...rest: unknown[]) => {
              if (m === 'POST' && p.includes('/podchaos')) created = true;
              else if (created && m === 'GET' && p === `/api/v1/namespaces/${NS}/pods/${target}`) await until(within, `pod ${target} killed before the re-read`, () => (chaosMesh.seen.length > 0 ? true : undefined));
              return o.request(m, p, ...(rest as []));
            }
          : Reflect.get(o, k),
    });
    const inj = injector(late);
    await inj.prepare('kill', target);
    await expect(inj.inject({ type: 'kill', taskManagerId: target })).resolves.toMatchObject({ type: 'kill', taskManagerId: target });
    expect(chaosMesh.seen.map((c) => c.killed)).toEqual([[`${NS}/${target}`]]);
    expect(await podChaosIn(NS), 'cleaned up after the experiment').toEqual([]);
    chaosMesh.seen.length = 0;
  });

  it('the Chaos Mesh double writes the status Chaos Mesh writes (records and conditions)', async () => {
    // The rendered template: one TaskManager of the deployment by the operator's labels.
    const template = renderProfilePlan(settings, { profile: 'fi', job: builtInJob('iot'), intervalsMs: [2000], parallelism: 2, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000 }).find((o) => o.kind === 'PodChaos')!;
    await admin.create(template);
    const at = `/apis/chaos-mesh.org/v1alpha1/namespaces/${NS}/podchaos/${template.metadata.name}`;
    const status = await until(within, 'the double’s status on the template', async () => ((await admin.request('GET', at)).body as { status?: { conditions?: unknown[] } }).status ?? undefined);
    const survivor = `${deployment}-taskmanager-1-2`;
    expect(status).toMatchObject({
      experiment: { desiredPhase: 'Run', containerRecords: [{ id: `${NS}/${survivor}`, selectorKey: '.', phase: 'Injected', injectedCount: 1, recoveredCount: 0, events: [{ type: 'Succeeded', operation: 'Apply' }] }] },
      conditions: expect.arrayContaining([{ type: 'Selected', status: 'True' }, { type: 'AllInjected', status: 'True' }]),
    });
    await until(within, `pod ${survivor} removed`, async () => ((await podStatus(NS, survivor)) === 404 ? true : undefined));
    expect((await admin.request('DELETE', at)).status).toBe(200);
    chaosMesh.seen.length = 0;
  });

  it('freeze: unsupported on Kubernetes, said clearly, and nothing is created', async () => {
    const tm = await taskManagerPod(NS, deployment, 3);
    await expect(injector(khaos).inject({ type: 'freeze', taskManagerId: tm, durationMs: 1500 })).rejects.toMatchObject({ ...khaosError('bad-input'), message: expect.stringMatching(/freeze is not supported on Kubernetes: Chaos Mesh has no action that pauses a process/) });
    expect(await podStatus(NS, tm)).toBe(200);
    expect(await podChaosIn(NS)).toEqual([]);
  });

  it('exception: a replica without a FlinkDeployment is named; without the replica’s Flink route and a message bus, says what it needs', async () => {
    await expect(injector(khaos, { deployment: 'no-such-replica' }).inject({ type: 'exception', target: { markerField: 'id', inputTopic: 'in', groupId: 'g' } })).rejects.toMatchObject({ ...khaosError('bad-input'), message: `no FlinkDeployment no-such-replica in namespace ${NS}` });
    await expect(injector(khaos).inject({ type: 'exception', target: { markerField: 'id', inputTopic: 'in', groupId: 'g' } })).rejects.toThrow(/no Flink REST route and message bus: a task exception writes a marker to the replica's input topic/);
  });

  it('exception: with the replica’s Flink REST and its bus, writes the marker to every partition of the input (adapters/shared/task-exception.ts)', async () => {
    // Flink cannot run on kwok: a stub answers the three REST reads a task exception makes.
    const tm = `${deployment}-taskmanager-1-2`;
    const flink = {
      listJobs: async () => [{ id: 'j1', name: 'iot', state: 'RUNNING', startTimeMs: 0 }],
      job: async () => ({ id: 'j1', name: 'iot', state: 'RUNNING', startTimeMs: 0, timestamps: {}, vertices: [{ id: 'v1', name: 'Source: in -> parse -> key', parallelism: 2, status: 'RUNNING' }] }),
      subtasks: async () => [0, 1].map((subtask) => ({ subtask, status: 'RUNNING', taskManagerId: tm, attempt: 2 })),
    } as unknown as FlinkEngine;
    const bus = new MemoryMessageBus();
    await bus.ensureTopic('fi-in', 2);
    const f = await injector(khaos, { taskException: { flink, bus } }).inject({ type: 'exception', target: { markerField: 'id', inputTopic: 'fi-in', groupId: 'fi-g' } });
    expect(f).toMatchObject({ type: 'exception', taskManagerId: tm, pid: 0, failAtAttempt: 2 });
    expect((await bus.readAllCommitted('fi-in')).map((r) => r.partition).sort()).toEqual([0, 1]);
  });

  it('a PodChaos that selects nothing: a clear error within the deadline, the PodChaos deleted, the pod untouched', async () => {
    const d = 'untargeted';
    const tm = await taskManagerPod(UNTARGETED, d, 1);
    const api = apiAs(await tokenOf(UNTARGETED, settings.serviceAccount));
    const started = Date.now();
    await expect(injector(api, { namespace: UNTARGETED, deployment: d, selectDeadlineMs: 2000 }).inject({ type: 'kill', taskManagerId: tm })).rejects.toMatchObject({
      ...khaosError('platform'),
      message: expect.stringMatching(new RegExp(`PodChaos ${d}-kill-\\S+ did not kill TaskManager pod ${tm} within 2 s: Chaos Mesh selected no pod: .*annotate it chaos-mesh.org/inject=enabled`)),
    });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(chaosMesh.seen).toMatchObject([{ namespace: UNTARGETED, killed: [] }]);
    expect(await podChaosIn(UNTARGETED)).toEqual([]);
    expect(await podStatus(UNTARGETED, tm)).toBe(200);
    chaosMesh.seen.length = 0;
  });
});

describe('RBAC: Khaos runs with its rendered Role, which forbids what Khaos does not need', () => {
  it('listing secrets, creating a Deployment in apps, creating a pod, deleting a namespace: 403, each named by verb and resource', async () => {
    await expect(khaos.call('GET', `/api/v1/namespaces/${NS}/secrets`)).rejects.toMatchObject({ ...khaosError('environment'), message: expect.stringMatching(/^the Role lacks list on secrets in namespace khaos: add it to the Role \(khaos k8s render prints it\)/) });
    const deploymentObj = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'x', namespace: NS }, spec: { selector: { matchLabels: { a: 'b' } }, template: { metadata: { labels: { a: 'b' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } } };
    expect((await khaos.request('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deploymentObj)).status).toBe(403);
    await expect(khaos.call('POST', `/apis/apps/v1/namespaces/${NS}/deployments`, deploymentObj)).rejects.toThrow(/^the Role lacks create on deployments \(API group apps\) in namespace khaos/);
    await expect(khaos.create({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'x', namespace: NS }, spec: { containers: [{ name: 'x', image: 'x' }] } })).rejects.toThrow(/^the Role lacks create on pods in namespace khaos/);
    // (for a Namespace, the server names the namespace itself)
    await expect(khaos.call('DELETE', `/api/v1/namespaces/${NS}`)).rejects.toThrow(/^the Role lacks delete on namespaces in namespace khaos/);
    // Replacing a FlinkDeployment whole (update): Khaos only patches it.
    const fdPath = `/apis/flink.apache.org/v1beta1/namespaces/${NS}/flinkdeployments/${deployment}`;
    const fd = (await admin.request('GET', fdPath)).body;
    await expect(khaos.call('PUT', fdPath, fd)).rejects.toThrow(/^the Role lacks update on flinkdeployments \(API group flink.apache.org\) in namespace khaos/);
    // …and what it needs, it may: read its replica, list pods.
    expect((await khaos.request('GET', `/apis/flink.apache.org/v1beta1/namespaces/${NS}/flinkdeployments/${deployment}`)).status).toBe(200);
    expect((await khaos.request('GET', `/api/v1/namespaces/${NS}/pods`)).status).toBe(200);
  });

  it('a Role without a right Khaos needs (create on podchaos): the kill names the verb and resource, and leaves nothing', async () => {
    const weak = { ...settings, serviceAccount: 'khaos-weak' };
    const [sa, role, binding] = khaosRbac(weak);
    await admin.create(sa!);
    await admin.create({ ...role!, rules: KHAOS_RULES.filter((r) => !r.resources.includes('podchaos')) });
    await admin.create(binding!);
    const tm = `${deployment}-taskmanager-1-3`;
    await expect(injector(apiAs(await tokenOf(NS, 'khaos-weak'))).inject({ type: 'kill', taskManagerId: tm })).rejects.toMatchObject({ ...khaosError('environment'), message: expect.stringMatching(/^the Role lacks create on podchaos \(API group chaos-mesh.org\) in namespace khaos: add it to the Role/) });
    expect(await podStatus(NS, tm)).toBe(200);
    expect(await podChaosIn(NS)).toEqual([]);
  });
});

// Last: it deletes the PodChaos CRD for the rest of this file's control plane.
describe('without Chaos Mesh (the PodChaos CRD not installed)', () => {
  it('kill falls back to a plain pod delete with grace period 0', async () => {
    expect((await admin.request('DELETE', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/podchaos.chaos-mesh.org')).status).toBe(200);
    await until(within, 'chaos-mesh.org gone from discovery', async () => ((await khaos.request('GET', '/apis/chaos-mesh.org/v1alpha1')).status === 404 ? true : undefined));
    const tm = `${deployment}-taskmanager-1-3`;
    const before = Date.now();
    const f = await injector(khaos).inject({ type: 'kill', taskManagerId: tm });
    expect(f).toEqual({ type: 'kill', taskManagerId: tm, pid: 0, injectedAtMs: expect.any(Number) });
    expect(f.injectedAtMs).toBeGreaterThanOrEqual(before);
    const pod = (await admin.request('GET', `/api/v1/namespaces/${NS}/pods/${tm}`)).body as { metadata?: { deletionGracePeriodSeconds?: number } };
    expect(pod.metadata?.deletionGracePeriodSeconds ?? 0, 'deleted with grace period 0').toBe(0);
    await until(within, `pod ${tm} removed`, async () => ((await podStatus(NS, tm)) === 404 ? true : undefined));
    expect(chaosMesh.seen).toEqual([]);
  });
});
