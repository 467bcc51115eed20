import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import YAML from 'yaml';
import { localReplicaSpec, type LocalStackConfig } from '../../src/adapters/local/local-stack.js';
import { planFromConfig } from '../../src/app/profile.js';
import { runDemoFromConfig, startStackReplica } from '../../src/app/demo.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import { configFrom } from '../../src/cli/common.js';
import { resolveConfig } from '../../src/config/schema.js';
import { argsProblems, builtInJob, fillArgs, flinkMemoryMb, KHAOS_FLINK_KEYS, taskHeapMb, mergeFlinkConf, overriddenFlinkKeys, overriddenFlinkKeysMessage, PLACEHOLDERS, type JobDescriptor } from '../../src/core/jobs.js';
import { replicaDeployment, type K8sSettings } from '../../src/core/k8s/render.js';
import { JOB_KINDS, type JobKind } from '../../src/core/load/events.js';
import type { ReplicaRequest } from '../../src/ports/orchestrator.js';
import { khaosIn } from '../support/khaos-cli.js';

const OWN_ARGS = ['--brokers', '{bootstrap}', '--in', '{inputTopic}', '--out={outputTopic}', '--group', '{groupId}', '--txn', '{txnPrefix}'];
const own = (job: Record<string, unknown> = {}) => ({ job: { jar: '/opt/jobs/orders.jar', jarURI: 'local:///opt/flink/usrlib/orders.jar', entryClass: 'com.example.OrdersJob', args: OWN_ARGS, ...job } });
const binding = { bootstrap: 'kafka:9092', inputTopic: 'in', outputTopic: 'out', auditTopic: 'audit', groupId: 'g-1', txnPrefix: 't-1' };

/** The config's problems, or '' when it resolves. */
function problems(input: unknown): string {
  try {
    resolveConfig(input);
    return '';
  } catch (e) {
    expect(e).toMatchObject({ kind: 'bad-input' });
    return (e as Error).message;
  }
}

describe('job descriptor in the config', () => {
  it('a config without job keys runs the iot sample job, through its built-in descriptor', () => {
    const c = resolveConfig({});
    expect(c.job.kind).toBe('iot');
    expect(c.job.descriptor).toEqual(builtInJob('iot'));
  });

  it('job.kind picks a built-in descriptor; dedup carries its settings', () => {
    const c = resolveConfig({ job: { kind: 'dedup', dedupRetention: '2min' } });
    expect(c.job.descriptor).toEqual(builtInJob('dedup', c.job.dedup));
    expect(c.job.descriptor.args.slice(-4)).toEqual(['--retention-ms', '120000', '--state-payload-bytes', '300']);
  });

  it('an own job: jar, jarURI, entryClass and args without kind are job.kind custom', () => {
    const c = resolveConfig(own({ flinkConf: { 'state.backend.type': 'hashmap', 'taskmanager.memory.managed.size': '128m', 'pipeline.max-parallelism': 128 } }));
    expect(c.job.kind).toBe('custom');
    expect(c.job.descriptor).toEqual({
      name: 'custom', jar: '/opt/jobs/orders.jar', jarURI: 'local:///opt/flink/usrlib/orders.jar', entryClass: 'com.example.OrdersJob', args: OWN_ARGS,
      flinkConf: { 'state.backend.type': 'hashmap', 'taskmanager.memory.managed.size': '128m', 'pipeline.max-parallelism': '128' },
      latency: { kind: 'output-timestamp' }, reconcile: { kind: 'none' },
    });
    expect(c.job.flinkConfOverridden).toEqual([]);
    expect(resolveConfig(own({ kind: 'custom' })).job.descriptor).toEqual({ ...c.job.descriptor, flinkConf: {} });
  });

  it('refuses an unknown placeholder, naming it and listing the known ones', () => {
    const message = problems(own({ args: [...OWN_ARGS, '--region', '{region}'] }));
    expect(message).toContain('job.args: unknown placeholder {region}');
    expect(message).toContain(`the known ones are ${PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`);
  });

  it('refuses args without {groupId} or {txnPrefix}, saying what two replicas would share', () => {
    const message = problems(own({ args: ['--brokers', '{bootstrap}', '--in', '{inputTopic}'] }));
    expect(message).toContain('config has 2 problem(s)');
    expect(message).toMatch(/job\.args: no \{groupId\} in the args: two replicas would read the input with one consumer group/);
    expect(message).toMatch(/job\.args: no \{txnPrefix\} in the args: two replicas would write with one transactional id prefix/);
  });

  it('refuses an own job without entry class, args or any jar, and own-job keys on a sample job', () => {
    const missing = problems({ job: { kind: 'custom' } });
    expect(missing).toContain('job.entryClass: an own job (job.kind: custom) needs its main class');
    expect(missing).toContain('job.args: an own job (job.kind: custom) needs its args');
    expect(missing).toContain('job.jar: an own job needs job.jar (its jar on this machine) or job.jarURI');
    expect(problems(own({ kind: 'ysb' }))).toContain('job.entryClass: describes an own job, but job.kind is the sample job ysb; drop job.kind (or set it to custom)');
    expect(problems(own({ jar: undefined }))).toBe(''); // jarURI alone: a Kubernetes-only own job
  });

  it('names every job.flinkConf key whose value Khaos replaces with its own', () => {
    const c = resolveConfig(own({ flinkConf: { 'execution.checkpointing.interval': '1 min', 'restart-strategy.fixed-delay.attempts': 3, 'heartbeat.timeout': '50 s', 'state.backend.type': 'hashmap' } }));
    expect(c.job.flinkConfOverridden).toEqual(['execution.checkpointing.interval', 'restart-strategy.fixed-delay.attempts', 'heartbeat.timeout']);
    expect(overriddenFlinkKeysMessage(c.job.flinkConfOverridden)).toBe(
      'job.flinkConf: Khaos sets execution.checkpointing.interval, restart-strategy.fixed-delay.attempts, heartbeat.timeout itself (its measurements depend on them); the values given there are not used',
    );
    expect(overriddenFlinkKeysMessage(['web.timeout'])).toBe('job.flinkConf: Khaos sets web.timeout itself (its measurements depend on it); the value given there is not used');
  });
});

describe('the task heap job.flinkConf gives', () => {
  it('reads Flink memory sizes in MiB, and nothing else', () => {
    expect(['3000m', '3g', '3 GB', '3072 mebibytes', '1048576', '2048kb'].map(flinkMemoryMb)).toEqual([3000, 3072, 3072, 3072, 1, 2]);
    expect(['', 'lots', '3.5g', '-1m', '3 apples'].map(flinkMemoryMb)).toEqual([undefined, undefined, undefined, undefined, undefined]);
  });

  it('is the local TaskManager JVM’s heap when set (it was 224 MiB whatever it said), else the stack’s', () => {
    expect(taskHeapMb({ 'taskmanager.memory.task.heap.size': '3000m' }, 160)).toBe(3000);
    expect(taskHeapMb({}, 160)).toBe(160);
    expect(taskHeapMb(undefined, 160)).toBe(160);
  });

  it('refuses a task heap that is not a memory size, naming the key', () => {
    expect(() => resolveConfig({ job: { flinkConf: { 'taskmanager.memory.task.heap.size': 'lots' } } })).toThrow(/taskmanager\.memory\.task\.heap\.size.*"lots" is not a memory size/);
    expect(resolveConfig({ job: { flinkConf: { 'taskmanager.memory.task.heap.size': '3g' } } }).job.descriptor.flinkConf['taskmanager.memory.task.heap.size']).toBe('3g');
  });
});

describe('the job registry and its placeholders', () => {
  it('fills every placeholder, also inside an argument', () => {
    expect(fillArgs({ args: OWN_ARGS }, binding)).toEqual(['--brokers', 'kafka:9092', '--in', 'in', '--out=out', '--group', 'g-1', '--txn', 't-1']);
  });

  it('each built-in descriptor passes its own check', () => {
    for (const kind of JOB_KINDS) expect(argsProblems(builtInJob(kind).args), kind).toEqual([]);
  });

  it('merges job.flinkConf over Khaos’s options, Khaos’s measurement keys and the platform’s keys winning', () => {
    const khaos = { 'execution.checkpointing.interval': '5000 ms', 'restart-strategy.type': 'fixed-delay', 'state.backend.type': 'rocksdb', 'rest.port': 8081 };
    const job = { 'execution.checkpointing.interval': '1 min', 'restart-strategy.type': 'none', 'state.backend.type': 'hashmap', 'rest.port': '9999', 'pipeline.max-parallelism': '64' };
    expect(mergeFlinkConf(khaos, job, ['rest.'])).toEqual({ 'execution.checkpointing.interval': '5000 ms', 'restart-strategy.type': 'fixed-delay', 'state.backend.type': 'hashmap', 'rest.port': 8081, 'pipeline.max-parallelism': '64' });
    expect(overriddenFlinkKeys(job)).toEqual(['execution.checkpointing.interval', 'restart-strategy.type']);
    expect(KHAOS_FLINK_KEYS).toEqual(expect.arrayContaining(['execution.checkpointing.dir', 'heartbeat.interval', 'metrics.fetcher.update-interval', 'web.timeout']));
  });

  it('refuses to profile an own job without job.input, saying how to give it', () => {
    const c = resolveConfig(own());
    expect(() => planFromConfig(c, { name: 't', rates: [1, 2, 3] } as never, 2, () => {})).toThrow(expect.objectContaining({ kind: 'bad-input', message: expect.stringContaining("`khaos profile` writes the job's input at the trace's rates, but this own job has no job.input") }));
  });

  it('a sample job’s job.flinkConf reaches the replica it starts (khaos demo, stack up)', async () => {
    const started: ReplicaRequest[] = [];
    const stop = new Error('stop after the start request');
    const deps = { log: () => {}, bus: { ensureTopic: async () => {} }, orchestrator: { startReplica: (r: ReplicaRequest) => (started.push(r), Promise.reject(stop)) } } as never;
    const c = resolveConfig({ job: { kind: 'ysb', flinkConf: { 'state.backend.type': 'hashmap' } } });
    await expect(runDemoFromConfig(deps, c, parseTraceCsv('t,v\n2020-01-01 00:00:00,1\n2020-01-01 01:00:00,2\n', 'flat'))).rejects.toBe(stop);
    await expect(startStackReplica(deps, c)).rejects.toBe(stop);
    expect(started.map((r) => r.job)).toEqual([builtInJob('ysb', c.job.dedup, { 'state.backend.type': 'hashmap' }), c.job.descriptor]);
    expect(c.job.descriptor.flinkConf).toEqual({ 'state.backend.type': 'hashmap' });
  });

  it('khaos demo of an own job without job.input is refused before any replica starts', async () => {
    const started: ReplicaRequest[] = [];
    const deps = { orchestrator: { startReplica: (r: ReplicaRequest) => started.push(r) } } as never;
    await expect(runDemoFromConfig(deps, resolveConfig(own()), { name: 't' } as never)).rejects.toMatchObject({ kind: 'bad-input', message: expect.stringContaining('`khaos demo`') });
    expect(started).toEqual([]);
  });
});

const K8S: K8sSettings = {
  namespace: 'ns', image: 'img', jarURI: 'local:///opt/flink/usrlib/khaos-jobs.jar', flinkVersion: 'v2_2', kafkaBootstrap: 'kafka:9092', stateDir: 's3://b', flinkServiceAccount: 'flink', serviceAccount: 'khaos',
  jobManagerCpu: 1, jobManagerMemory: '1g', taskManagerCpu: 1, taskManagerMemory: '1g',
};
const replica = (job: JobDescriptor) => ({
  name: 'khaos-p-ci-5000', profile: 'p', replica: 'ci-5000', job, checkpointIntervalMs: 5000, parallelism: 2, inputTopic: 'in', outputTopic: 'out', auditTopic: 'audit', groupId: 'g', txnPrefix: 't',
  heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000, webTimeoutMs: 5000,
});

describe('replicaDeployment from a descriptor', () => {
  // What main rendered for one replica of each sample job before the descriptors (commit 0ec6aee).
  const before = JSON.parse(fs.readFileSync(path.resolve(__dirname, '..', 'fixtures', 'replica-deployments-before-descriptors.json'), 'utf8')) as Record<string, unknown>;

  // …but the dedup job's own default since: RocksDB's bloom filters (src/core/jobs.ts).
  const since: Partial<Record<JobKind, Record<string, string>>> = { dedup: { 'state.backend.rocksdb.use-bloom-filter': 'true' } };
  it.each(JOB_KINDS)('renders the %s sample job’s FlinkDeployment as before, with only its own Flink defaults added', (kind) => {
    const was = before[kind] as { spec: { flinkConfiguration: Record<string, string> } };
    expect(replicaDeployment(K8S, replica(builtInJob(kind)))).toEqual({ ...was, spec: { ...was.spec, flinkConfiguration: { ...was.spec.flinkConfiguration, ...since[kind] } } });
  });

  it('renders an own job with its jarURI, entry class, filled args and Flink options under Khaos’s', () => {
    const job = resolveConfig(own({ flinkConf: { 'state.backend.type': 'hashmap', 'heartbeat.timeout': '60000' } })).job.descriptor;
    const fd = replicaDeployment(K8S, replica(job)) as unknown as { metadata: { labels: Record<string, string> }; spec: { job: Record<string, unknown>; flinkConfiguration: Record<string, string> } };
    expect(fd.spec.job).toMatchObject({ jarURI: 'local:///opt/flink/usrlib/orders.jar', entryClass: 'com.example.OrdersJob', args: ['--brokers', 'kafka:9092', '--in', 'in', '--out=out', '--group', 'g', '--txn', 't'] });
    expect(fd.spec.flinkConfiguration).toMatchObject({ 'state.backend.type': 'hashmap', 'heartbeat.timeout': '5000', [`execution.checkpointing.interval`]: '5000 ms' });
    expect(fd.metadata.labels['khaos.dev/job']).toBe('custom');
  });

  it('refuses an own job without job.jarURI: k8s.jarURI is the sample jobs’ jar', () => {
    const job = resolveConfig(own({ jarURI: undefined })).job.descriptor;
    expect(() => replicaDeployment(K8S, replica(job))).toThrow(expect.objectContaining({ kind: 'bad-input', message: expect.stringContaining('job.jarURI is not set') }));
  });
});

describe('khaos k8s render of an own job', () => {
  const khaos = khaosIn('/nonexistent');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-own-job-'));
  const write = (name: string, config: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, YAML.stringify(config));
    return file;
  };

  it('prints FlinkDeployments with the job’s jarURI, entry class and every placeholder filled', { timeout: 30_000 }, async () => {
    const file = write('own.yaml', { ...own(), profile: { intervals: ['2s', '5s'], parallelism: 2 }, k8s: { namespace: 'prof', kafkaBootstrap: 'kafka:9092' } });
    const { code, out, err } = await khaos('k8s', 'render', '--config', file, '--profile', 'own1');
    expect({ code, err }).toEqual({ code: 0, err: '' });
    const deployments = YAML.parseAllDocuments(out)
      .map((d) => d.toJSON() as { kind: string; spec: { job: { jarURI: string; entryClass: string; args: string[] } } })
      .filter((d) => d.kind === 'FlinkDeployment');
    expect(deployments.map((d) => d.spec.job)).toEqual([
      expect.objectContaining({ jarURI: 'local:///opt/flink/usrlib/orders.jar', entryClass: 'com.example.OrdersJob', args: ['--brokers', 'kafka:9092', '--in', 'khaos-prof-own1-in', '--out=khaos-prof-own1-ci-2000-out', '--group', 'khaos-prof-own1-ci-2000', '--txn', 'khaos-prof-own1-ci-2000'] }),
      expect.objectContaining({ args: ['--brokers', 'kafka:9092', '--in', 'khaos-prof-own1-in', '--out=khaos-prof-own1-ci-5000-out', '--group', 'khaos-prof-own1-ci-5000', '--txn', 'khaos-prof-own1-ci-5000'] }),
    ]);
    expect(out).not.toMatch(/\{(bootstrap|inputTopic|outputTopic|auditTopic|groupId|txnPrefix)\}/);
  });

  it('warns on stderr about each job.flinkConf key Khaos keeps its own value for', () => {
    const file = write('keys.yaml', own({ flinkConf: { 'web.timeout': '60000', 'state.backend.type': 'hashmap' } }));
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((s) => (written.push(String(s)), true));
    try {
      configFrom({ config: file });
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual(['warning: job.flinkConf: Khaos sets web.timeout itself (its measurements depend on it); the value given there is not used\n']);
  });

  it('exits 2 on an unknown placeholder, naming it', async () => {
    const file = write('bad.yaml', own({ args: [...OWN_ARGS, '{tenant}'] }));
    const r = await khaos('k8s', 'render', '--config', file);
    expect(r.code).toBe(2);
    expect(r.err).toContain('unknown placeholder {tenant}');
  });
});

describe('the local start path', () => {
  const flink: LocalStackConfig['flink'] = { spareTaskManagers: 1, heartbeatIntervalMs: 1000, heartbeatTimeoutMs: 5000, restartDelayMs: 1000, jobManagerHeapMb: 256, taskHeapMb: 160, managedMb: 64, startTimeoutMs: 180_000 };
  const request = (job: JobDescriptor): ReplicaRequest => ({ name: 'own-1', job, checkpointIntervalMs: 5000, parallelism: 2, inputTopic: 'in', outputTopic: 'out', auditTopic: 'audit', groupId: 'khaos-own-1' });

  it('hands flink-replica an own job’s jar, entry class, filled args and Flink options', () => {
    const jar = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-own-jar-')), 'orders.jar');
    fs.writeFileSync(jar, 'PK');
    const job = resolveConfig(own({ jar, flinkConf: { 'state.backend.type': 'hashmap' } })).job.descriptor;
    expect(localReplicaSpec(flink, 'default', '127.0.0.1:9092', request(job))).toEqual({
      ...flink, name: 'own-1', jobClass: 'com.example.OrdersJob', jobJar: jar, flinkConf: { 'state.backend.type': 'hashmap' }, taskManagers: 2, checkpointIntervalMs: 5000,
      jobArgs: ['--brokers', '127.0.0.1:9092', '--in', 'in', '--out=out', '--group', 'khaos-own-1', '--txn', 'khaos-default-own-1'],
    });
  });

  it('hands it a sample job’s entry class and args as before, with the stack’s jobs jar', () => {
    const spec = localReplicaSpec(flink, 'default', '127.0.0.1:9092', request(builtInJob('dedup')));
    expect(spec).toEqual({
      ...flink, name: 'own-1', jobClass: 'dev.khaos.jobs.DedupJob', flinkConf: { 'state.backend.rocksdb.use-bloom-filter': 'true' }, taskManagers: 2, checkpointIntervalMs: 5000,
      jobArgs: ['--bootstrap', '127.0.0.1:9092', '--input-topic', 'in', '--output-topic', 'out', '--audit-topic', 'audit', '--group-id', 'khaos-own-1', '--txn-prefix', 'khaos-default-own-1', '--retention-ms', '60000', '--state-payload-bytes', '300'],
    });
    expect(spec.jobJar).toBeUndefined();
  });

  it('refuses an own job without job.jar, or whose jar is not there', () => {
    const noJar = resolveConfig(own({ jar: undefined })).job.descriptor;
    expect(() => localReplicaSpec(flink, 'default', 'b', request(noJar))).toThrow(expect.objectContaining({ kind: 'bad-input', message: expect.stringContaining('job.jar is not set') }));
    const missing = resolveConfig(own({ jar: '/nonexistent/orders.jar' })).job.descriptor;
    expect(() => localReplicaSpec(flink, 'default', 'b', request(missing))).toThrow(expect.objectContaining({ kind: 'bad-input', message: 'job.jar /nonexistent/orders.jar does not exist' }));
  });
});
