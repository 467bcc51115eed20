import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { K8sApi } from '../../src/adapters/k8s/api.js';
import { startControlPlane, type ControlPlaneState } from '../../src/adapters/k8s/control-plane.js';
import { stopPlane } from './subject.js';
import { until } from '../contract/until.js';
import { isAlive } from '../../src/adapters/system/processes.js';
import { crdsDir, crdValidator } from '../../src/cli/k8s.js';
import { resolveConfig } from '../../src/config/schema.js';
import { KHAOS_RULES, renderProfilePlan } from '../../src/core/k8s/render.js';

// A real control plane (etcd, kube-apiserver with token auth and RBAC, controller-manager, scheduler,
// kwok) from scripts/k8s/build.sh's binaries, with the CRDs of ../shared/k8s/crds. kwok pods run no
// containers: this covers Khaos up to the API boundary, not Flink's behaviour.
let plane: ControlPlaneState;
let api: K8sApi;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-k8s-test-'));

beforeAll(async () => {
  plane = await startControlPlane({ dir: path.join(tmp, 'plane'), crdsDir: crdsDir(), ownerPid: process.pid, progress: (l) => console.log(`[k8s] ${l}`) });
  api = K8sApi.fromKubeconfig(plane.kubeconfig);
  expect((await api.request('POST', '/api/v1/namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'khaos' } })).status).toBe(201);
});

afterAll(async () => {
  api?.close();
  await stopPlane(plane, tmp);
});

const handMade = (spec: Record<string, unknown>) => ({
  apiVersion: 'flink.apache.org/v1beta1',
  kind: 'FlinkDeployment',
  metadata: { name: `bad-${Object.keys(spec).join('-').toLowerCase()}`, namespace: 'khaos' },
  spec: { image: 'flink:2.2.1-java17', flinkVersion: 'v2_2', job: { jarURI: 'local:///x.jar', parallelism: 1 }, ...spec },
});

describe('the real API server', () => {
  it('is up with every CRD Established and the kwok node Ready, on loopback with token auth', async () => {
    expect(plane.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    expect(plane.crds.sort()).toEqual(['flinkdeployments.flink.apache.org', 'flinksessionjobs.flink.apache.org', 'flinkstatesnapshots.flink.apache.org', 'podchaos.chaos-mesh.org']);
    const anonymous = new K8sApi({ server: plane.server, ca: fs.readFileSync(plane.caFile, 'utf8'), token: 'not-a-token' });
    expect((await anonymous.request('GET', '/api/v1/namespaces')).status).toBe(401);
    anonymous.close();
    console.log(`[k8s] start-up: ${JSON.stringify(plane.timings)}`);
  });

  it('rejects a hand-made FlinkDeployment with flinkVersion v9_9: 422, naming the field', async () => {
    const r = await api.request('POST', '/apis/flink.apache.org/v1beta1/namespaces/khaos/flinkdeployments', handMade({ flinkVersion: 'v9_9' }));
    expect(r.status).toBe(422);
    expect((r.body as { details: { causes: { field: string }[] } }).details.causes.map((c) => c.field)).toEqual(['spec.flinkVersion']);
    // …and K8sApi.create shows that refusal as a bad-input error naming the field
    await expect(api.create(handMade({ flinkVersion: 'v9_9' }))).rejects.toMatchObject({ kind: 'bad-input', message: expect.stringMatching(/refused FlinkDeployment bad-flinkversion: 422 Invalid: spec\.flinkVersion: Unsupported value: "v9_9"/) });
  });

  it('rejects a string parallelism (422) and, with strict field validation, an unknown field (400), each naming the field', async () => {
    await expect(api.create(handMade({ job: { jarURI: 'local:///x.jar', parallelism: '2' } }))).rejects.toThrow(/422 Invalid: spec\.job\.parallelism: .*must be of type integer/);
    await expect(api.create(handMade({ bogus: 1 }))).rejects.toThrow(/400 BadRequest: .*unknown field "spec\.bogus"/);
  });

  it('Khaos’s own validation refuses the same three objects before any call', () => {
    const v = crdValidator();
    const paths = [handMade({ flinkVersion: 'v9_9' }), handMade({ job: { jarURI: 'local:///x.jar', parallelism: '2' } }), handMade({ bogus: 1 })].map((o) => v.problems(o).map((p) => p.path));
    expect(paths).toEqual([['spec.flinkVersion'], ['spec.job.parallelism'], ['spec.bogus']]);
  });

  it('accepts every object `khaos k8s render` prints for examples/k8s-profile.yaml', async () => {
    const c = resolveConfig(YAML.parse(fs.readFileSync('examples/k8s-profile.yaml', 'utf8')));
    const objects = renderProfilePlan(c.k8s, { profile: 'it', job: c.job.descriptor, intervalsMs: c.profile.intervalsMs, parallelism: c.profile.parallelism, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000 });
    crdValidator().check(objects);
    for (const o of objects) await api.create(o);
    const listed = await api.request('GET', '/apis/flink.apache.org/v1beta1/namespaces/khaos/flinkdeployments?labelSelector=khaos.dev%2Fprofile%3Dit');
    expect((listed.body as { items: { metadata: { name: string } }[] }).items.map((i) => i.metadata.name)).toEqual(['khaos-it-ci-2000', 'khaos-it-ci-5000', 'khaos-it-ci-8000']);
    const role = await api.request('GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/khaos/roles/khaos');
    expect((role.body as { rules: unknown[] }).rules).toEqual(KHAOS_RULES);
  });
});

describe('a start that fails half way', () => {
  it('stops every process it had started', async () => {
    const bad = path.join(tmp, 'bad-crds');
    fs.mkdirSync(bad);
    fs.writeFileSync(path.join(bad, 'broken.yaml'), 'apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata: {name: broken.example.com}\nspec: {}\n');
    const dir = path.join(tmp, 'half');
    await expect(startControlPlane({ dir, crdsDir: bad })).rejects.toThrow(/loading CRD broken.example.com from broken.yaml: 422/);
    const state = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as ControlPlaneState;
    expect(state.processes.map((p) => p.name)).toEqual(['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok']);
    expect(state.processes.filter((p) => isAlive(p.pid))).toEqual([]);
  });
});

describe('an owner that dies without stopping its control plane (a test process killed with -9)', () => {
  it('the watchdog stops every process of the control plane, then itself', { timeout: 120_000 }, async () => {
    const owner = spawn('sleep', ['600'], { stdio: 'ignore' });
    const dir = path.join(tmp, 'orphan');
    const state = await startControlPlane({ dir, crdsDir: crdsDir(), ownerPid: owner.pid! });
    expect(state.watchdogPid).toBeGreaterThan(0);
    expect(state.processes.filter((p) => isAlive(p.pid))).toHaveLength(5);
    owner.kill('SIGKILL');
    const time = { waitMs: (ms: number) => new Promise<void>((r) => setTimeout(r, ms)), deadlineMs: 60_000, pollMs: 250 };
    await until(time, 'no process of the orphaned control plane left', () => ([...state.processes.map((p) => p.pid), state.watchdogPid!].some(isAlive) ? undefined : true));
  });
});
