import { beforeAll, describe, expect, it } from 'vitest';
import { crdValidator } from '../../src/cli/k8s.js';
import { crdsOf, CrdValidator } from '../../src/core/k8s/validate.js';

// The real CRDs of ../shared/k8s/crds (operator 1.15.0, Chaos Mesh), compiled once.
const validator = crdValidator();

const deployment = (spec: Record<string, unknown> = {}, job: Record<string, unknown> = {}) => ({
  apiVersion: 'flink.apache.org/v1beta1',
  kind: 'FlinkDeployment',
  metadata: { name: 'd1', namespace: 'khaos', labels: { 'khaos.dev/profile': 'p1' } },
  spec: {
    image: 'flink:2.2.1-java17',
    flinkVersion: 'v2_2',
    flinkConfiguration: { 'execution.checkpointing.interval': '5000 ms', 'any.key': 'is preserved' },
    jobManager: { resource: { cpu: 0.5, memory: '1024m' } },
    taskManager: { resource: { cpu: 1, memory: '1024m' } },
    job: { jarURI: 'local:///opt/flink/usrlib/khaos-jobs.jar', parallelism: 2, upgradeMode: 'savepoint', ...job },
    ...spec,
  },
});

describe('CrdValidator on the real CRDs', () => {
  // Compiling the FlinkDeployment schema (540 kB, three full PodSpecs) takes 1–2 s on this machine.
  beforeAll(() => void validator.problems(deployment()), 30_000);

  it('knows the FlinkDeployment and PodChaos kinds', () => {
    expect(validator.kinds()).toEqual(expect.arrayContaining(['flink.apache.org/v1beta1/FlinkDeployment', 'chaos-mesh.org/v1alpha1/PodChaos']));
  });

  it('passes a valid FlinkDeployment (flinkConfiguration keeps any key)', () => {
    expect(validator.problems(deployment())).toEqual([]);
    expect(() => validator.check([deployment()])).not.toThrow();
  });

  it('refuses flinkVersion v9_9, naming the field and the allowed values', () => {
    expect(validator.problems(deployment({ flinkVersion: 'v9_9' }))).toEqual([{ path: 'spec.flinkVersion', message: expect.stringMatching(/^the string "v9_9" is not allowed; use one of v1_13, .*v2_2$/) }]);
  });

  it('refuses a string parallelism and says to drop the quotes', () => {
    expect(validator.problems(deployment({}, { parallelism: '2' }))).toEqual([{ path: 'spec.job.parallelism', message: 'must be an integer, got the string "2"; write the number without quotes' }]);
  });

  it('refuses an unknown field, naming its path and the known ones', () => {
    const problems = validator.problems(deployment({}, { paralelism: 2 }));
    expect(problems).toEqual([{ path: 'spec.job.paralelism', message: expect.stringContaining('unknown field; remove it or fix its spelling (known here: ') }]);
    expect(problems[0]!.message).toContain('parallelism');
  });

  it('finds unknown fields at any depth, in arrays and maps, but not under x-kubernetes-preserve-unknown-fields', () => {
    const d = deployment({ podTemplate: { spec: { containers: [{ name: 'flink-main-container', imag: 'x' }] } }, logConfiguration: { 'log4j.properties': 'x' } });
    expect(validator.problems(d).map((p) => p.path)).toEqual(['spec.podTemplate.spec.containers[0].imag']);
  });

  it('refuses unknown metadata fields, a missing name and non-string labels', () => {
    const d = { ...deployment(), metadata: { labls: {}, labels: { n: 1 } } };
    expect(validator.problems(d).map((p) => p.path)).toEqual(['metadata.labls', 'metadata.name', 'metadata.labels.n']);
  });

  it('refuses a PodChaos with a bad action, a bad mode and a missing selector', () => {
    const chaos = { apiVersion: 'chaos-mesh.org/v1alpha1', kind: 'PodChaos', metadata: { name: 'c' }, spec: { action: 'pod-explode', mode: 'some' } };
    const problems = validator.problems(chaos);
    expect(problems.map((p) => p.path).sort()).toEqual(['spec.action', 'spec.mode', 'spec.selector']);
    expect(problems.find((p) => p.path === 'spec.selector')!.message).toBe('is required; set it');
  });

  it('refuses a kind it has no CRD for, and lets the built-in kinds Khaos renders through to the API server', () => {
    expect(validator.problems({ apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkCluster', metadata: { name: 'x' } })[0]!.path).toBe('apiVersion');
    expect(validator.problems({ apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: { name: 'x' }, rules: [] })).toEqual([]);
  });

  it('check() names each problem with kind and object name in one bad-input error', () => {
    expect(() => validator.check([deployment({ flinkVersion: 'v9_9' }, { parallelism: '2' })])).toThrow(
      expect.objectContaining({ kind: 'bad-input', message: expect.stringMatching(/2 problem\(s\)[^]*FlinkDeployment d1: spec.flinkVersion: [^]*FlinkDeployment d1: spec.job.parallelism: /) }),
    );
  });

  it('crdsOf refuses documents without a CRD', () => {
    expect(() => crdsOf([{ kind: 'ConfigMap' }], 'x.yaml')).toThrow(/no CustomResourceDefinition in x.yaml/);
    expect(new CrdValidator([]).kinds()).toEqual([]);
  });
});
