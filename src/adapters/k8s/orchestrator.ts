import { KhaosError } from '../../core/errors.js';
import { flinkPodLabels, INTERVAL_KEY, LABELS, replicaDeployment, type K8sSettings } from '../../core/k8s/render.js';
import type { CrdValidator, K8sObject } from '../../core/k8s/validate.js';
import type { Orchestrator, Reconfiguration, ReplicaHandle, ReplicaRequest } from '../../ports/orchestrator.js';
import { describeRefusal, type K8sApi } from './api.js';
import { WatchCache, whenChanged, type KubeObject } from './watch.js';

/**
 * Job replicas on Kubernetes, through the Flink Kubernetes Operator (1.15): each replica is one
 * FlinkDeployment (native application mode, `upgradeMode: savepoint`, the checkpoint interval in
 * `spec.flinkConfiguration`), checked against the CRDs before it is sent. Khaos creates nothing
 * else: the operator creates the JobManager Deployment with an owner reference to the
 * FlinkDeployment, and Flink the TaskManager pods and services owned by that Deployment, so
 * deleting the FlinkDeployment lets the garbage collector remove the rest.
 *
 * Readiness and every later state come from two watches (the scope's FlinkDeployments and their
 * pods), never from polling; the synchronous methods answer from what the watches last saw. A
 * change of interval is a patch of `spec.flinkConfiguration`, after which the operator stops the
 * job with a savepoint and redeploys it; Khaos follows the status until the job runs again with
 * the new interval, and turns the operator's rollback and failure states into clear errors.
 */

interface SavepointStatus {
  location?: string;
  timeStamp?: number;
  triggerType?: string;
}

/** The status fields of a FlinkDeployment that Khaos reads (operator 1.15 CRD). */
export interface FlinkDeploymentStatus {
  lifecycleState?: string;
  jobManagerDeploymentStatus?: string;
  error?: string;
  observedGeneration?: number;
  jobStatus?: { state?: string; jobId?: string; upgradeSavepointPath?: string; savepointInfo?: { lastSavepoint?: SavepointStatus; savepointHistory?: SavepointStatus[] } };
  reconciliationStatus?: { state?: string; lastReconciledSpec?: string; lastStableSpec?: string };
}

export type FlinkDeploymentObject = KubeObject & {
  spec: { flinkConfiguration?: Record<string, string>; job?: { parallelism?: number; state?: string; initialSavepointPath?: string; savepointRedeployNonce?: number } };
  status?: FlinkDeploymentStatus;
};

type PodObject = KubeObject & { status?: { phase?: string } };

export interface KubernetesOrchestratorOptions {
  api: K8sApi;
  /** The `k8s` config section: namespace, image, jar, resources, Kafka bootstrap, the JobManager route (`restUrlTemplate`). */
  settings: K8sSettings;
  /** Checks each FlinkDeployment against the operator's CRD before it is sent. */
  validator: CrdValidator;
  /** Profile id or control-run id: part of each FlinkDeployment's name (`khaos-<scope>-<replica>`) and its `khaos.dev/profile` label. */
  scope: string;
  flink: { heartbeatIntervalMs: number; heartbeatTimeoutMs: number; restartDelayMs: number; webTimeoutMs?: number };
  /** How long a replica may take from creation to a RUNNING job, ms (default 180 000). */
  startTimeoutMs?: number;
  /** How long a stop-with-savepoint or a redeploy may take, ms (default 120 000). */
  savepointTimeoutMs?: number;
  /** How long the deletion of a replica and of everything it owns may take, ms (default 60 000). */
  deleteTimeoutMs?: number;
  /** ms since the epoch (system clock unless a test gives another). */
  now?: () => number;
  log?: (line: string) => void;
}

interface Entry {
  request: ReplicaRequest;
  deployment: string;
  intervalMs: number;
  /** TaskManager pods as Khaos last handed them out. */
  taskManagers: string[];
  savepoints: { path: string; completedAtMs: number }[];
}

/** A FlinkDeployment whose job runs (the operator's lifecycle states for a deployed, possibly not yet stable, spec). */
const DEPLOYED_STATES = ['DEPLOYED', 'STABLE'];
const ROLLBACK_STATES = ['ROLLING_BACK', 'ROLLED_BACK'];

/** `2000 ms` → 2000 (how Khaos writes the interval; Flink's other spellings are not Khaos's). */
const intervalOf = (conf: Record<string, string> | undefined) => {
  const m = /^(\d+)\s*ms$/.exec(conf?.[INTERVAL_KEY] ?? '');
  return m ? Number(m[1]) : undefined;
};

/** The spec the operator last reconciled: `status.reconciliationStatus.lastReconciledSpec` is `{"spec": …, "resource_metadata": …}` as JSON. */
function reconciledSpec(s: FlinkDeploymentStatus | undefined): FlinkDeploymentObject['spec'] | undefined {
  const text = s?.reconciliationStatus?.lastReconciledSpec;
  if (!text) return undefined;
  try {
    return (JSON.parse(text) as { spec?: FlinkDeploymentObject['spec'] }).spec;
  } catch {
    return undefined;
  }
}

/** The status in one line, for errors and logs. */
export function describeStatus(fd: FlinkDeploymentObject | undefined): string {
  if (!fd) return 'no such FlinkDeployment';
  const s = fd.status ?? {};
  const parts = [`lifecycleState ${s.lifecycleState ?? '-'}`, `jobManagerDeploymentStatus ${s.jobManagerDeploymentStatus ?? '-'}`, `job ${s.jobStatus?.state ?? '-'}`];
  if (s.observedGeneration !== fd.metadata.generation) parts.push(`generation ${fd.metadata.generation ?? '-'} not yet observed by the operator (observed ${s.observedGeneration ?? '-'})`);
  if (s.error) parts.push(`error: ${s.error.slice(0, 300)}`);
  return parts.join(', ');
}

export class KubernetesOrchestrator implements Orchestrator {
  private readonly entries = new Map<string, Entry>();
  private readonly waiters = new Set<() => void>();
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly ns: string;
  private readonly deploymentsPath: string;
  private readonly deployments: WatchCache<FlinkDeploymentObject>;
  private readonly pods: WatchCache<PodObject>;

  private constructor(private readonly o: KubernetesOrchestratorOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => undefined);
    this.ns = o.settings.namespace;
    this.deploymentsPath = `/apis/flink.apache.org/v1beta1/namespaces/${this.ns}/flinkdeployments`;
    const selector = `${LABELS.managedBy}=khaos,${LABELS.profile}=${o.scope}`;
    const changed = () => this.changed();
    const trouble = (m: string) => this.log(`k8s: ${m}`);
    this.deployments = new WatchCache(o.api, this.deploymentsPath, `FlinkDeployments (flink.apache.org/v1beta1) in namespace ${this.ns}`, selector, changed, trouble);
    this.pods = new WatchCache(o.api, `/api/v1/namespaces/${this.ns}/pods`, `pods in namespace ${this.ns}`, selector, changed, trouble);
  }

  /**
   * Starts watching the scope's FlinkDeployments and pods. Throws KhaosError('environment') when
   * the API server is unreachable, the operator's CRD is not installed, or the token may not list
   * or watch them (naming the verb and resource).
   */
  static async open(o: KubernetesOrchestratorOptions): Promise<KubernetesOrchestrator> {
    const self = new KubernetesOrchestrator(o);
    try {
      await self.deployments.start();
      await self.pods.start();
    } catch (e) {
      self.close();
      throw e;
    }
    return self;
  }

  /** Stops the watches (the replicas keep running; stop them first). */
  close(): void {
    this.deployments.close();
    this.pods.close();
  }

  /** The FlinkDeployment name of a replica. */
  deploymentOf(replica: string): string {
    return `khaos-${this.o.scope}-${replica}`;
  }

  async startReplica(request: ReplicaRequest): Promise<ReplicaHandle> {
    if (this.entries.has(request.name)) throw new KhaosError('bad-input', `replica "${request.name}" already runs (FlinkDeployment ${this.deploymentOf(request.name)})`, 'stop it first, or pick another name');
    const name = this.deploymentOf(request.name);
    // The REST service is `<name>-rest`, a DNS label of at most 63 characters.
    if (!/^[a-z]([a-z0-9-]{0,56}[a-z0-9])?$/.test(name)) throw new KhaosError('bad-input', `"${name}" cannot name a FlinkDeployment`, 'use a scope and replica name of lowercase letters, digits and dashes, at most 58 characters together with "khaos-"');
    if (this.deployments.objects.has(name)) throw new KhaosError('bad-input', `FlinkDeployment ${name} already exists in namespace ${this.ns}, not started by this Khaos`, `delete it if an earlier run left it (kubectl -n ${this.ns} delete flinkdeployment ${name}), or pick another name`);
    const obj = replicaDeployment(this.o.settings, {
      name, profile: this.o.scope, replica: request.name, job: request.job, checkpointIntervalMs: request.checkpointIntervalMs, parallelism: request.parallelism,
      inputTopic: request.inputTopic, outputTopic: request.outputTopic, auditTopic: request.auditTopic, groupId: request.groupId, txnPrefix: request.groupId, ...this.o.flink,
      ...(request.metricsRefreshMs === undefined ? {} : { metricsRefreshMs: request.metricsRefreshMs }),
    });
    this.o.validator.check([obj]);
    const created = (await this.o.api.create(obj)) as FlinkDeploymentObject;
    // Into the local copy at once: the watch's ADDED event may come after the first check.
    if (!this.deployments.objects.has(name)) this.deployments.objects.set(name, created);
    this.log(`k8s: created FlinkDeployment ${name}`);
    try {
      await this.follow(`FlinkDeployment ${name} RUNNING with ${request.parallelism} TaskManager(s)`, this.o.startTimeoutMs ?? 180_000, name, () => this.running(name, request.checkpointIntervalMs, request.parallelism));
    } catch (e) {
      await this.remove(name).catch((d: Error) => this.log(`k8s: deleting ${name} after a failed start: ${d.message}`));
      const k = e as KhaosError;
      throw new KhaosError(k.kind ?? 'platform', k.message, `Khaos deleted FlinkDeployment ${name} and what it owned. ${k.hint ?? ''}`.trim(), { cause: e });
    }
    const entry: Entry = { request, deployment: name, intervalMs: request.checkpointIntervalMs, taskManagers: this.liveTaskManagers(name), savepoints: [] };
    this.entries.set(request.name, entry);
    this.noteSavepoints(entry);
    return this.replica(request.name);
  }

  replica(name: string): ReplicaHandle {
    const e = this.entry(name);
    return { name, restUrl: this.restUrl(e.deployment), checkpointIntervalMs: e.intervalMs, taskManagers: e.taskManagers.map((id) => ({ id })) };
  }

  /**
   * The JobManager's REST URL: `k8s.restUrlTemplate` with `{name}` and `{namespace}` filled in, or
   * else the API server's service proxy (`<server>/api/v1/namespaces/<ns>/services/<deployment>-rest:8081/proxy`).
   * Over the proxy, a client needs the API server's CA and a token with `services/proxy` rights.
   */
  restUrl(deployment: string): string {
    const template = this.o.settings.restUrlTemplate;
    if (template) return template.replaceAll('{name}', deployment).replaceAll('{namespace}', this.ns);
    return `${this.o.api.server}/api/v1/namespaces/${this.ns}/services/${deployment}-rest:8081/proxy`;
  }

  async reconfigure(name: string, checkpointIntervalMs: number): Promise<Reconfiguration> {
    const e = this.entry(name);
    this.requireRunning(e);
    const requestedAtMs = this.now();
    const before = new Set(e.savepoints.map((s) => s.path));
    await this.patch(e, { spec: { flinkConfiguration: { [INTERVAL_KEY]: `${checkpointIntervalMs} ms` } } });
    const budget = this.o.savepointTimeoutMs ?? 120_000;
    const savepointPath = await this.follow(`the operator's stop-with-savepoint of ${e.deployment} for the interval ${checkpointIntervalMs} ms`, budget, e.deployment, () => this.newSavepoint(e, before, checkpointIntervalMs));
    const stoppedAtMs = this.now();
    await this.follow(`FlinkDeployment ${e.deployment} RUNNING again with the interval ${checkpointIntervalMs} ms`, budget, e.deployment, () => this.running(e.deployment, checkpointIntervalMs, e.request.parallelism));
    const runningAtMs = this.now();
    this.afterRedeploy(e, checkpointIntervalMs);
    return { savepointPath, requestedAtMs, stoppedAtMs, runningAtMs };
  }

  /** Suspends the FlinkDeployment (`job.state: suspended`): the operator stops the job with a savepoint and removes its cluster. */
  async stopWithSavepoint(name: string): Promise<{ savepointPath: string; stoppedAtMs: number }> {
    const e = this.entry(name);
    this.requireRunning(e);
    const before = new Set(e.savepoints.map((s) => s.path));
    await this.patch(e, { spec: { job: { state: 'suspended' } } });
    const savepointPath = await this.follow(`FlinkDeployment ${e.deployment} SUSPENDED with a savepoint`, this.o.savepointTimeoutMs ?? 120_000, e.deployment, () => {
      const fd = this.deployments.objects.get(e.deployment);
      const path = this.newSavepoint(e, before);
      return path && fd?.status?.lifecycleState === 'SUSPENDED' ? path : undefined;
    });
    return { savepointPath, stoppedAtMs: this.now() };
  }

  /**
   * Resumes a suspended FlinkDeployment with a new interval. From the savepoint the operator took
   * when suspending, a plain resume; from any other, `initialSavepointPath` with a new
   * `savepointRedeployNonce` (the operator's way to redeploy from a chosen savepoint).
   */
  async relaunch(name: string, savepointPath: string, checkpointIntervalMs: number): Promise<{ runningAtMs: number }> {
    const e = this.entry(name);
    const fd = this.deployments.objects.get(e.deployment);
    if (fd?.status?.lifecycleState !== 'SUSPENDED') throw new KhaosError('platform', `replica ${name} is not suspended (${describeStatus(fd)})`, 'relaunch follows stopWithSavepoint');
    const own = fd.status.jobStatus?.upgradeSavepointPath === savepointPath;
    const job = own ? { state: 'running' } : { state: 'running', initialSavepointPath: savepointPath, savepointRedeployNonce: (fd.spec.job?.savepointRedeployNonce ?? 0) + 1 };
    await this.patch(e, { spec: { flinkConfiguration: { [INTERVAL_KEY]: `${checkpointIntervalMs} ms` }, job } });
    await this.follow(`FlinkDeployment ${e.deployment} RUNNING from ${savepointPath} with the interval ${checkpointIntervalMs} ms`, this.o.startTimeoutMs ?? 180_000, e.deployment, () => this.running(e.deployment, checkpointIntervalMs, e.request.parallelism));
    this.afterRedeploy(e, checkpointIntervalMs);
    return { runningAtMs: this.now() };
  }

  /** Savepoints the operator reported for the replica (its status), newest first. */
  async savepoints(name: string): Promise<{ path: string; completedAtMs: number }[]> {
    const e = this.entry(name);
    this.noteSavepoints(e);
    return [...e.savepoints];
  }

  /** Whether a JobManager pod of the replica runs (kwok or a kubelet reports it Running). */
  async jobManagerAlive(name: string): Promise<boolean> {
    return this.jobManagerPods(this.entry(name).deployment).length > 0;
  }

  /**
   * On Kubernetes Flink's own resource manager replaces a dead TaskManager pod; this only takes
   * note. Returns the TaskManager pods that run now and were not in the handle (those that
   * replaced dead ones), and drops the dead ones from the handle.
   */
  async restartDeadTaskManagers(name: string): Promise<string[]> {
    const e = this.entry(name);
    const live = this.liveTaskManagers(e.deployment);
    const added = live.filter((p) => !e.taskManagers.includes(p));
    e.taskManagers = live;
    return added;
  }

  /** Deletes the FlinkDeployment and waits until it and every pod it owned are gone. */
  async stopReplica(name: string): Promise<void> {
    const e = this.entry(name);
    await this.remove(e.deployment);
    this.entries.delete(name);
  }

  private entry(name: string): Entry {
    const e = this.entries.get(name);
    if (!e) throw new KhaosError('bad-input', `no replica "${name}" in namespace ${this.ns} (scope ${this.o.scope})`, `replicas: ${[...this.entries.keys()].join(', ') || 'none'}`);
    return e;
  }

  private requireRunning(e: Entry): void {
    const fd = this.deployments.objects.get(e.deployment);
    if (fd) this.throwIfBroken(fd);
    if (fd?.status?.jobStatus?.state !== 'RUNNING' || !DEPLOYED_STATES.includes(fd.status.lifecycleState ?? '')) {
      throw new KhaosError('platform', `replica ${e.request.name} has no RUNNING job (${describeStatus(fd)})`, 'wait until it runs again, then try again');
    }
  }

  /** A JSON merge patch of the replica's FlinkDeployment, checked against the CRD as the object it makes. */
  private async patch(e: Entry, patch: { spec: Record<string, unknown> }): Promise<void> {
    const current = this.deployments.objects.get(e.deployment);
    if (!current) throw new KhaosError('platform', `FlinkDeployment ${e.deployment} is gone`, 'stop the replica and start it again');
    const merged = mergePatch({ apiVersion: current.apiVersion, kind: current.kind, metadata: { name: current.metadata.name, namespace: current.metadata.namespace, labels: current.metadata.labels }, spec: current.spec }, patch) as K8sObject;
    this.o.validator.check([merged]);
    const r = await this.o.api.call('PATCH', `${this.deploymentsPath}/${e.deployment}?fieldValidation=Strict`, patch, 'application/merge-patch+json');
    if (r.status !== 200) throw new KhaosError(r.status === 422 || r.status === 400 ? 'bad-input' : 'platform', `the API server refused the patch of FlinkDeployment ${e.deployment}: ${describeRefusal(r)}`, 'fix the fields named above');
  }

  /**
   * Resolves with what `check` returns once it is defined, re-evaluated at every change the
   * watches see; rejects with what it throws, or with KhaosError('timeout') after `ms`, naming
   * the FlinkDeployment's last status.
   */
  private follow<T>(what: string, ms: number, deployment: string, check: () => T | undefined): Promise<T> {
    return whenChanged(this.waiters, ms, check, () => {
      const fd = this.deployments.objects.get(deployment);
      const stuck = fd?.status?.jobManagerDeploymentStatus === 'DEPLOYING' ? ' The JobManager never became ready (stuck in DEPLOYING): often an image that cannot be pulled, or no node with room for it.' : '';
      return new KhaosError('timeout', `${what}: not within ${ms / 1000} s (last seen: ${describeStatus(fd)}).${stuck}`, `see kubectl -n ${this.ns} describe flinkdeployment ${deployment}, its events and the operator's log`);
    });
  }

  private changed(): void {
    for (const e of this.entries.values()) this.noteSavepoints(e);
    for (const w of [...this.waiters]) w();
  }

  /** Throws KhaosError('platform') for the operator's rollback and failure states of the spec it has observed. */
  private throwIfBroken(fd: FlinkDeploymentObject): void {
    const s = fd.status ?? {};
    if (s.observedGeneration !== fd.metadata.generation) return;
    const name = fd.metadata.name;
    const error = s.error ? ` The operator says: ${s.error.slice(0, 500)}` : '';
    if (ROLLBACK_STATES.includes(s.lifecycleState ?? '')) {
      const stable = intervalOf(reconciledSpecOf(s.reconciliationStatus?.lastStableSpec)?.flinkConfiguration);
      throw new KhaosError('platform', `the operator rolled FlinkDeployment ${name} back (lifecycleState ${s.lifecycleState}): the new spec did not become stable, so it runs its last stable spec${stable ? ` (interval ${stable} ms)` : ''} again.${error}`, `find why the new spec failed (kubectl -n ${this.ns} describe flinkdeployment ${name}, the JobManager's log), fix it, then change the interval again`);
    }
    if (s.lifecycleState === 'FAILED' || s.jobStatus?.state === 'FAILED') {
      throw new KhaosError('platform', `FlinkDeployment ${name} failed (lifecycleState ${s.lifecycleState ?? '-'}, job ${s.jobStatus?.state ?? '-'}).${error}`, `see kubectl -n ${this.ns} describe flinkdeployment ${name} and the JobManager's log; stop the replica and start it again once the cause is fixed`);
    }
  }

  /** True once the operator reports the job RUNNING with `intervalMs` reconciled, the JobManager ready and the TaskManager pods running. */
  private running(deployment: string, intervalMs: number, taskManagers: number): true | undefined {
    const fd = this.deployments.objects.get(deployment);
    if (!fd) throw new KhaosError('platform', `FlinkDeployment ${deployment} was deleted while Khaos waited for it`, 'someone or something else deleted it; start the replica again');
    this.throwIfBroken(fd);
    const s = fd.status ?? {};
    const ready = s.observedGeneration === fd.metadata.generation && DEPLOYED_STATES.includes(s.lifecycleState ?? '') && s.reconciliationStatus?.state === 'DEPLOYED'
      && s.jobManagerDeploymentStatus === 'READY' && s.jobStatus?.state === 'RUNNING' && intervalOf(reconciledSpec(s)?.flinkConfiguration) === intervalMs;
    return ready && this.jobManagerPods(deployment).length > 0 && this.liveTaskManagers(deployment).length >= taskManagers ? true : undefined;
  }

  /** A savepoint the status names that was not in `before` (during an upgrade: once the operator has observed the interval change). */
  private newSavepoint(e: Entry, before: Set<string>, intervalMs?: number): string | undefined {
    const fd = this.deployments.objects.get(e.deployment);
    if (!fd) throw new KhaosError('platform', `FlinkDeployment ${e.deployment} was deleted while Khaos waited for its savepoint`, 'start the replica again');
    this.throwIfBroken(fd);
    if (fd.status?.observedGeneration !== fd.metadata.generation) return undefined;
    if (intervalMs !== undefined && intervalOf(reconciledSpec(fd.status)?.flinkConfiguration) !== intervalMs) return undefined;
    this.noteSavepoints(e);
    return e.savepoints.find((s) => !before.has(s.path))?.path;
  }

  /** Takes note of the savepoints in the replica's status (history, last, upgrade path). */
  private noteSavepoints(e: Entry): void {
    const js = this.deployments.objects.get(e.deployment)?.status?.jobStatus;
    if (!js) return;
    const info = js.savepointInfo;
    const found = [...(info?.savepointHistory ?? []), ...(info?.lastSavepoint ? [info.lastSavepoint] : [])].filter((s): s is Required<SavepointStatus> => !!s.location);
    if (js.upgradeSavepointPath && !found.some((s) => s.location === js.upgradeSavepointPath)) found.push({ location: js.upgradeSavepointPath, timeStamp: this.now(), triggerType: 'UPGRADE' });
    for (const s of found) if (!e.savepoints.some((k) => k.path === s.location)) e.savepoints.push({ path: s.location, completedAtMs: s.timeStamp ?? this.now() });
    e.savepoints.sort((a, b) => b.completedAtMs - a.completedAtMs);
  }

  private afterRedeploy(e: Entry, intervalMs: number): void {
    e.intervalMs = intervalMs;
    e.taskManagers = this.liveTaskManagers(e.deployment);
  }

  private podsOf(deployment: string, component?: 'jobmanager' | 'taskmanager'): PodObject[] {
    // The operator's native mode labels every pod of the cluster `app=<deployment>`, and `component` by role.
    return [...this.pods.objects.values()].filter((p) => p.metadata.labels?.app === deployment && (!component || p.metadata.labels?.component === flinkPodLabels(deployment, component).component));
  }

  private livePods(deployment: string, component: 'jobmanager' | 'taskmanager'): PodObject[] {
    return this.podsOf(deployment, component).filter((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
  }

  private jobManagerPods(deployment: string): string[] {
    return this.livePods(deployment, 'jobmanager').map((p) => p.metadata.name);
  }

  /** Running TaskManager pods by name (a native-mode TaskManager's Flink resource id is its pod name). */
  private liveTaskManagers(deployment: string): string[] {
    return this.livePods(deployment, 'taskmanager').map((p) => p.metadata.name).sort();
  }

  /** Deletes a FlinkDeployment and waits until it and the pods it owned are gone. */
  private async remove(deployment: string): Promise<void> {
    const r = await this.o.api.call('DELETE', `${this.deploymentsPath}/${deployment}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' });
    if (![200, 202, 404].includes(r.status)) throw new KhaosError('platform', `deleting FlinkDeployment ${deployment}: ${describeRefusal(r)}`);
    await this.follow(`FlinkDeployment ${deployment} and its pods deleted`, this.o.deleteTimeoutMs ?? 60_000, deployment, () => {
      if (this.deployments.objects.has(deployment)) return undefined;
      return this.podsOf(deployment).length === 0 ? true : undefined;
    });
    this.log(`k8s: deleted FlinkDeployment ${deployment}`);
  }
}

function reconciledSpecOf(text: string | undefined): FlinkDeploymentObject['spec'] | undefined {
  return reconciledSpec({ reconciliationStatus: { lastReconciledSpec: text } });
}

/** RFC 7386 JSON merge patch of `target` (a copy). */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (patch === null || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target !== null && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}
