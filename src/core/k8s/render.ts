import { badInput } from '../errors.js';
import { fillArgs, mergeFlinkConf, type JobDescriptor } from '../jobs.js';
import { intervalProblems, replicaName } from '../profiling/profile-plan.js';
import type { K8sObject } from './validate.js';

/**
 * What Khaos creates on Kubernetes for a profile plan, as plain objects: one FlinkDeployment per
 * replica (Flink Kubernetes Operator), the PodChaos that kills a TaskManager (Chaos Mesh), and
 * Khaos's own least-privilege Role. `khaos k8s render` prints them; the Kubernetes adapters will
 * send the same objects.
 */

/** Where replicas run and with what: the `k8s` config section. */
export interface K8sSettings {
  namespace: string;
  image: string;
  jarURI: string;
  flinkVersion: string;
  kafkaBootstrap: string;
  stateDir: string;
  flinkServiceAccount: string;
  serviceAccount: string;
  jobManagerCpu: number;
  jobManagerMemory: string;
  taskManagerCpu: number;
  taskManagerMemory: string;
  /**
   * How Khaos reaches each JobManager's REST: a URL template with `{name}` (the FlinkDeployment)
   * and `{namespace}`, for an ingress or a port-forward; unset, the API server's service proxy.
   */
  restUrlTemplate?: string;
}

/** A profile plan as far as Kubernetes sees it. */
export interface ProfilePlanK8s {
  /** Profile id: in labels and object names. */
  profile: string;
  /** The job every replica runs (config job.*). */
  job: JobDescriptor;
  intervalsMs: readonly number[];
  parallelism: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  restartDelayMs: number;
  /** Flink web.timeout (see stack.webTimeout); unset keeps Flink's default. */
  webTimeoutMs?: number;
}


/** Labels on everything Khaos creates; `khaos.dev/profile` ties an object to its profile. */
export const LABELS = { managedBy: 'app.kubernetes.io/managed-by', profile: 'khaos.dev/profile', replica: 'khaos.dev/replica', job: 'khaos.dev/job', intervalMs: 'khaos.dev/checkpoint-interval-ms' } as const;

/**
 * Labels the operator's native mode puts on the pods of a FlinkDeployment (Flink's
 * KubernetesUtils: `app` is the cluster id, which is the FlinkDeployment's name).
 */
export const flinkPodLabels = (deployment: string, component: 'jobmanager' | 'taskmanager') => ({ app: deployment, component, type: 'flink-native-kubernetes' });

/** The replica of a checkpoint interval, as the local profile names it. */

/** The FlinkDeployment name of a replica: `khaos-<profile>-ci-<ms>`. */
export const deploymentName = (profile: string, ciMs: number) => `khaos-${profile}-${replicaName(ciMs)}`;

/** Flink's key for the checkpoint interval, in `spec.flinkConfiguration`; its value is written `<ms> ms`. */
export const INTERVAL_KEY = 'execution.checkpointing.interval';

/** One job replica as a FlinkDeployment: what a profile plan renders, and what the Kubernetes orchestrator sends. */
export interface ReplicaK8s {
  /** The FlinkDeployment's name (also the Flink cluster id). */
  name: string;
  profile: string;
  /** The replica's name in Khaos (`khaos.dev/replica`). */
  replica: string;
  /** How the job starts: its args are filled for this replica, its flinkConf merged under Khaos's measurement keys. */
  job: JobDescriptor;
  checkpointIntervalMs: number;
  parallelism: number;
  inputTopic: string;
  outputTopic: string;
  auditTopic: string;
  groupId: string;
  txnPrefix: string;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  restartDelayMs: number;
  /** Flink web.timeout (see stack.webTimeout); unset keeps Flink's default. */
  webTimeoutMs?: number;
  /** How often Flink's REST serves fresh metrics, ms (`metrics.fetcher.update-interval`); unset: 1 s, as on the local stack (Flink's own default, 10 s, would hand a 1 s sampler each value ten times). */
  metricsRefreshMs?: number;
}

function flinkDeployment(k: K8sSettings, plan: ProfilePlanK8s, ciMs: number): K8sObject {
  const topic = `khaos-prof-${plan.profile}`;
  const replica = replicaName(ciMs);
  return replicaDeployment(k, {
    name: deploymentName(plan.profile, ciMs), profile: plan.profile, replica, job: plan.job, checkpointIntervalMs: ciMs, parallelism: plan.parallelism,
    inputTopic: `${topic}-in`, outputTopic: `${topic}-${replica}-out`, auditTopic: `${topic}-${replica}-audit`, groupId: `${topic}-${replica}`, txnPrefix: `${topic}-${replica}`,
    heartbeatIntervalMs: plan.heartbeatIntervalMs, heartbeatTimeoutMs: plan.heartbeatTimeoutMs, restartDelayMs: plan.restartDelayMs, webTimeoutMs: plan.webTimeoutMs,
  });
}

/** The jar of `job` in the image: job.jarURI, else (for a sample job) k8s.jarURI; an own job without job.jarURI is refused. */
function jarUriOf(k: Pick<K8sSettings, 'jarURI'>, job: JobDescriptor): string {
  if (job.jarURI !== undefined) return job.jarURI;
  if (job.name === 'custom') throw badInput('job.jarURI is not set: a replica of an own job on Kubernetes runs the jar at that URI in its image', 'set job.jarURI, e.g. local:///opt/flink/usrlib/my-job.jar');
  return k.jarURI;
}

/** The FlinkDeployment of one replica: native application mode, `upgradeMode: savepoint`, the interval in `flinkConfiguration`. */
export function replicaDeployment(k: K8sSettings, r: ReplicaK8s): K8sObject {
  const { name } = r;
  const labels = { [LABELS.managedBy]: 'khaos', [LABELS.profile]: r.profile, [LABELS.replica]: r.replica, [LABELS.job]: r.job.name, [LABELS.intervalMs]: String(r.checkpointIntervalMs) };
  return {
    apiVersion: 'flink.apache.org/v1beta1',
    kind: 'FlinkDeployment',
    metadata: { name, namespace: k.namespace, labels },
    spec: {
      image: k.image,
      flinkVersion: k.flinkVersion,
      mode: 'native',
      serviceAccount: k.flinkServiceAccount,
      // Flink reads every value as a string; the operator takes them as written.
      flinkConfiguration: mergeFlinkConf({
        [INTERVAL_KEY]: `${r.checkpointIntervalMs} ms`,
        'execution.checkpointing.dir': `${k.stateDir}/${name}/checkpoints`,
        'execution.checkpointing.savepoint-dir': `${k.stateDir}/${name}/savepoints`,
        'execution.checkpointing.externalized-checkpoint-retention': 'RETAIN_ON_CANCELLATION',
        'taskmanager.numberOfTaskSlots': '1',
        'heartbeat.interval': String(r.heartbeatIntervalMs),
        'heartbeat.timeout': String(r.heartbeatTimeoutMs),
        'restart-strategy.type': 'fixed-delay',
        'restart-strategy.fixed-delay.attempts': '1000000',
        'restart-strategy.fixed-delay.delay': `${r.restartDelayMs} ms`,
        ...(r.webTimeoutMs === undefined ? {} : { 'web.timeout': String(r.webTimeoutMs) }),
        'metrics.fetcher.update-interval': String(r.metricsRefreshMs ?? 1000),
      }, r.job.flinkConf),
      // Khaos's labels on the pods too, so that a pod can be traced back to its profile.
      podTemplate: { metadata: { labels } },
      jobManager: { replicas: 1, resource: { cpu: k.jobManagerCpu, memory: k.jobManagerMemory } },
      taskManager: { resource: { cpu: k.taskManagerCpu, memory: k.taskManagerMemory } },
      job: {
        jarURI: jarUriOf(k, r.job),
        entryClass: r.job.entryClass,
        parallelism: r.parallelism,
        upgradeMode: 'savepoint',
        state: 'running',
        args: fillArgs(r.job, { bootstrap: k.kafkaBootstrap, inputTopic: r.inputTopic, outputTopic: r.outputTopic, auditTopic: r.auditTopic, groupId: r.groupId, txnPrefix: r.txnPrefix }),
      },
    },
  };
}

/**
 * A PodChaos that kills a TaskManager of `deployment` at once (grace period 0). Without `pod` it
 * selects one of the deployment's TaskManagers by the operator's labels (a template); with `pod`,
 * that pod alone (Khaos kills the TaskManager running the sink, found through Flink's REST).
 */
export function podKill(k: Pick<K8sSettings, 'namespace'>, profile: string, deployment: string, name: string, pod?: string): K8sObject {
  return {
    apiVersion: 'chaos-mesh.org/v1alpha1',
    kind: 'PodChaos',
    metadata: { name, namespace: k.namespace, labels: { [LABELS.managedBy]: 'khaos', [LABELS.profile]: profile } },
    spec: {
      action: 'pod-kill',
      gracePeriod: 0,
      mode: 'one',
      selector: pod ? { pods: { [k.namespace]: [pod] } } : { namespaces: [k.namespace], labelSelectors: flinkPodLabels(deployment, 'taskmanager') },
    },
  };
}

/**
 * Exactly what Khaos needs in its namespace, and nothing else: its replicas (create, read, change,
 * watch, delete), its chaos objects, the pods it watches (readiness, TaskManagers), finds and kills
 * when Chaos Mesh is absent, and the API server's service proxy to each JobManager's REST.
 */
export const KHAOS_RULES = [
  { apiGroups: ['flink.apache.org'], resources: ['flinkdeployments'], verbs: ['create', 'get', 'list', 'watch', 'patch', 'delete'] },
  { apiGroups: ['chaos-mesh.org'], resources: ['podchaos'], verbs: ['create', 'get', 'delete'] },
  { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'delete'] },
  { apiGroups: [''], resources: ['services/proxy'], verbs: ['get', 'create'] },
  // control --flinkdeployment: each change Khaos applies or fails to apply, as an Event on the FlinkDeployment.
  { apiGroups: [''], resources: ['events'], verbs: ['create'] },
];

/** Khaos's ServiceAccount, its Role (KHAOS_RULES) and the RoleBinding between them. */
export function khaosRbac(k: K8sSettings): K8sObject[] {
  const metadata = { name: k.serviceAccount, namespace: k.namespace, labels: { [LABELS.managedBy]: 'khaos' } };
  return [
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata },
    { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata, rules: KHAOS_RULES },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata,
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: k.serviceAccount },
      subjects: [{ kind: 'ServiceAccount', name: k.serviceAccount, namespace: k.namespace }],
    },
  ];
}

/** Everything Khaos would create for `plan`: RBAC first, then one FlinkDeployment per interval, then the kill template. */
export function renderProfilePlan(k: K8sSettings, plan: ProfilePlanK8s): K8sObject[] {
  // The profile's own check on its intervals: each is a FlinkDeployment named after it.
  const problems = intervalProblems(plan.intervalsMs);
  if (problems.length) throw badInput(`profile.intervals has ${problems.length} problem(s): ${problems.join('; ')}`, 'list distinct durations from 500ms to 10min, e.g. profile.intervals: [2s, 5s, 8s]');
  const deployments = plan.intervalsMs.map((ciMs) => flinkDeployment(k, plan, ciMs));
  return [...khaosRbac(k), ...deployments, podKill(k, plan.profile, deployments[0]!.metadata.name, `khaos-${plan.profile}-kill-template`)];
}
