import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { crdValidator } from '../../src/cli/k8s.js';
import { resolveConfig } from '../../src/config/schema.js';
import { flinkPodLabels, KHAOS_RULES, podKill, renderProfilePlan } from '../../src/core/k8s/render.js';
import { khaosIn } from '../support/khaos-cli.js';

const c = resolveConfig({ job: { kind: 'iot' }, profile: { intervals: ['2s', '5s'], parallelism: 2 }, k8s: { namespace: 'prof', kafkaBootstrap: 'kafka:9092' } });
const plan = { profile: 'p1', job: c.job.descriptor, intervalsMs: c.profile.intervalsMs, parallelism: 2, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000 };
const objects = renderProfilePlan(c.k8s, plan);
const byKind = (kind: string) => objects.filter((o) => o.kind === kind);
type Spec = Record<string, Record<string, unknown>>;

describe('renderProfilePlan', () => {
  it('renders RBAC, one FlinkDeployment per interval and a PodChaos template, all in the namespace', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual(['ServiceAccount/khaos', 'Role/khaos', 'RoleBinding/khaos', 'FlinkDeployment/khaos-p1-ci-2000', 'FlinkDeployment/khaos-p1-ci-5000', 'PodChaos/khaos-p1-kill-template']);
    expect(new Set(objects.map((o) => o.metadata.namespace))).toEqual(new Set(['prof']));
  });

  it('each FlinkDeployment: application mode, its interval in flinkConfiguration, savepoint upgrades, config values, labels on it and its pods', () => {
    const [d] = byKind('FlinkDeployment');
    const spec = d!.spec as Spec;
    expect(d!.metadata.labels).toEqual({ 'app.kubernetes.io/managed-by': 'khaos', 'khaos.dev/profile': 'p1', 'khaos.dev/replica': 'ci-2000', 'khaos.dev/job': 'iot', 'khaos.dev/checkpoint-interval-ms': '2000' });
    expect(spec.podTemplate).toEqual({ metadata: { labels: d!.metadata.labels } });
    expect(spec.flinkConfiguration!['execution.checkpointing.interval']).toBe('2000 ms');
    // web.timeout only when set: it bounds how long a killed TaskManager can freeze the REST metrics
    expect(spec.flinkConfiguration!['web.timeout']).toBeUndefined();
    // Fresh metrics each second, as on the local stack (Flink's default is 10 s).
    expect(spec.flinkConfiguration!['metrics.fetcher.update-interval']).toBe('1000');
    const bounded = renderProfilePlan(c.k8s, { ...plan, webTimeoutMs: c.stack.webTimeoutMs }).find((o) => o.kind === 'FlinkDeployment')!.spec as Spec;
    expect(bounded.flinkConfiguration!['web.timeout']).toBe('5000');
    expect(spec.job).toMatchObject({ jarURI: c.k8s.jarURI, entryClass: 'dev.khaos.jobs.IotVehiclesJob', parallelism: 2, upgradeMode: 'savepoint', state: 'running' });
    expect((spec.job!.args as string[]).slice(0, 2)).toEqual(['--bootstrap', 'kafka:9092']);
    expect(spec).toMatchObject({ image: c.k8s.image, flinkVersion: 'v2_2', serviceAccount: 'flink', jobManager: { resource: { cpu: 0.5, memory: '1024m' } }, taskManager: { resource: { cpu: 1, memory: '1024m' } } });
    // application mode: a job section and no session cluster reference
    expect(spec.job).toBeDefined();
  });

  it('the PodChaos kills one TaskManager of the first replica at once, selected by the operator’s pod labels', () => {
    const [chaos] = byKind('PodChaos');
    expect(chaos!.spec).toEqual({ action: 'pod-kill', gracePeriod: 0, mode: 'one', selector: { namespaces: ['prof'], labelSelectors: { app: 'khaos-p1-ci-2000', component: 'taskmanager', type: 'flink-native-kubernetes' } } });
    expect(flinkPodLabels('x', 'jobmanager').component).toBe('jobmanager');
    expect((podKill(c.k8s, 'p1', 'khaos-p1-ci-2000', 'k1', 'khaos-p1-ci-2000-taskmanager-1-2').spec as Spec).selector).toEqual({ pods: { prof: ['khaos-p1-ci-2000-taskmanager-1-2'] } });
  });

  it('the Role grants exactly what Khaos needs, bound to its ServiceAccount', () => {
    const [role] = byKind('Role');
    expect(role!.rules).toEqual([
      { apiGroups: ['flink.apache.org'], resources: ['flinkdeployments'], verbs: ['create', 'get', 'list', 'watch', 'patch', 'delete'] },
      { apiGroups: ['chaos-mesh.org'], resources: ['podchaos'], verbs: ['create', 'get', 'delete'] },
      { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
      { apiGroups: [''], resources: ['services/proxy'], verbs: ['get', 'create'] },
      { apiGroups: [''], resources: ['events'], verbs: ['create'] },
    ]);
    expect(role!.rules).toBe(KHAOS_RULES);
    const [binding] = byKind('RoleBinding');
    expect(binding).toMatchObject({ roleRef: { kind: 'Role', name: 'khaos' }, subjects: [{ kind: 'ServiceAccount', name: 'khaos', namespace: 'prof' }] });
  });

  it('every rendered object passes the CRD validation', () => {
    const validator = crdValidator();
    expect(objects.flatMap((o) => validator.problems(o))).toEqual([]);
  }, 30_000);
});

describe('khaos k8s render', () => {
  const khaos = khaosIn('/nonexistent');

  it('prints the objects of examples/k8s-profile.yaml as multi-document YAML and exits 0', { timeout: 30_000 }, async () => {
    const { code, out, err } = await khaos('k8s', 'render', '--config', 'examples/k8s-profile.yaml', '--profile', 'iot1');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const docs = YAML.parseAllDocuments(out).map((d) => d.toJSON() as { kind: string; metadata: { name: string } });
    expect(docs.map((d) => d.kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding', 'FlinkDeployment', 'FlinkDeployment', 'FlinkDeployment', 'PodChaos']);
    expect(out).not.toMatch(/[&*]a\d/); // no YAML anchors: every document stands alone
  });

  it('--rbac prints only Khaos’s ServiceAccount, Role and RoleBinding', { timeout: 30_000 }, async () => {
    const { code, out } = await khaos('k8s', 'render', '--config', 'examples/k8s-profile.yaml', '--rbac');
    expect(code).toBe(0);
    expect(YAML.parseAllDocuments(out).map((d) => (d.toJSON() as { kind: string }).kind)).toEqual(['ServiceAccount', 'Role', 'RoleBinding']);
  });

  it('exits 2 with a clear message on a bad profile id or a bad k8s option', async () => {
    const bad = await khaos('k8s', 'render', '--profile', 'Bad_Id');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain('--profile "Bad_Id" cannot be part of a Kubernetes name');
  });
});
