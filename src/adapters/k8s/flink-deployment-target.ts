import crypto from 'node:crypto';
import { KhaosError } from '../../core/errors.js';
import { specIntervalMs, upgradeModeOf } from '../../core/k8s/deployment.js';
import { INTERVAL_KEY } from '../../core/k8s/render.js';
import type { JobState } from '../../core/job-state.js';
import type { JobSummary } from '../../ports/flink-engine.js';
import type { DeploymentView, ManagedDeployment } from '../../ports/managed-deployment.js';
import { RestFlinkEngine } from '../flink-rest/rest-flink-engine.js';
import { describeRefusal, type K8sApi } from './api.js';
import { describeStatus, type FlinkDeploymentObject } from './orchestrator.js';
import { WatchCache, whenChanged } from './watch.js';

/**
 * A FlinkDeployment Khaos did not create and controls (`khaos control --flinkdeployment NS/NAME`):
 * one watch of the namespace's FlinkDeployments keeps its spec and status current; the interval
 * is a JSON merge patch of `spec.flinkConfiguration`; what Khaos did becomes a core/v1 Event on it,
 * as the operator writes its own (EventUtils.createOrUpdateEvent: involvedObject kind, name,
 * namespace, uid; type Normal|Warning; a reason; source.component).
 */

/** What the token must be allowed, checked at open: [verb, API group, resource, subresource, why]. */
const NEEDED: [string, string, string, string, string][] = [
  ['get', 'flink.apache.org', 'flinkdeployments', '', 'read its spec and status'],
  ['list', 'flink.apache.org', 'flinkdeployments', '', 'follow its status (a watch starts with a list)'],
  ['watch', 'flink.apache.org', 'flinkdeployments', '', 'follow its status'],
  ['patch', 'flink.apache.org', 'flinkdeployments', '', 'change its checkpoint interval'],
  ['create', '', 'events', '', 'record each change on it'],
  ['get', '', 'services', 'proxy', 'read Flink’s REST through the API server'],
  ['create', '', 'services', 'proxy', 'trigger checkpoints through the API server'],
];

/** The view of a FlinkDeployment object (see DeploymentView). */
export function viewOf(fd: FlinkDeploymentObject): DeploymentView {
  const s = fd.status ?? {};
  let reconciled: FlinkDeploymentObject['spec'] | undefined;
  try {
    reconciled = s.reconciliationStatus?.lastReconciledSpec ? (JSON.parse(s.reconciliationStatus.lastReconciledSpec) as { spec: FlinkDeploymentObject['spec'] }).spec : undefined;
  } catch {
    reconciled = undefined;
  }
  return {
    generation: fd.metadata.generation ?? 0,
    observedGeneration: s.observedGeneration,
    specIntervalMs: specIntervalMs(fd.spec.flinkConfiguration),
    reconciledIntervalMs: specIntervalMs(reconciled?.flinkConfiguration),
    upgradeMode: upgradeModeOf(fd.spec.job as { upgradeMode?: string } | undefined),
    lifecycleState: s.lifecycleState,
    reconciliationState: s.reconciliationStatus?.state,
    jobManagerStatus: s.jobManagerDeploymentStatus,
    jobState: s.jobStatus?.state,
    jobId: s.jobStatus?.jobId,
    upgradeSavepointPath: s.jobStatus?.upgradeSavepointPath,
    lastSavepoint: s.jobStatus?.savepointInfo?.lastSavepoint?.location,
    error: s.error ?? undefined,
    flinkConfiguration: fd.spec.flinkConfiguration ?? {},
    deleting: !!fd.metadata.deletionTimestamp,
  };
}

export interface FlinkDeploymentTargetOptions {
  api: K8sApi;
  namespace: string;
  name: string;
  /** `k8s.restUrlTemplate` (`{name}`, `{namespace}`); unset: the API server's service proxy to `<name>-rest:8081`. */
  restUrlTemplate?: string;
  log?: (line: string) => void;
}

export class FlinkDeploymentTarget implements ManagedDeployment {
  readonly ref: string;
  readonly restUrl: string;
  private readonly path: string;
  private readonly waiters = new Set<() => void>();
  private readonly watch: WatchCache<FlinkDeploymentObject>;

  private constructor(private readonly o: FlinkDeploymentTargetOptions) {
    this.ref = `${o.namespace}/${o.name}`;
    this.path = `/apis/flink.apache.org/v1beta1/namespaces/${o.namespace}/flinkdeployments`;
    this.restUrl = o.restUrlTemplate ? o.restUrlTemplate.replaceAll('{name}', o.name).replaceAll('{namespace}', o.namespace) : `${o.api.server}/api/v1/namespaces/${o.namespace}/services/${o.name}-rest:8081/proxy`;
    this.watch = new WatchCache(o.api, this.path, `FlinkDeployments in namespace ${o.namespace}`, '', () => [...this.waiters].forEach((w) => w()), (m) => o.log?.(`k8s: ${m}`));
  }

  /**
   * Checks the token's rights (every missing verb named), finds the FlinkDeployment and starts
   * following it. Throws KhaosError('environment') for missing rights, ('bad-input') when there
   * is no such FlinkDeployment.
   */
  static async open(o: FlinkDeploymentTargetOptions): Promise<FlinkDeploymentTarget> {
    await requireRights(o.api, o.namespace);
    const r = await o.api.call('GET', `/apis/flink.apache.org/v1beta1/namespaces/${o.namespace}/flinkdeployments/${o.name}`);
    if (r.status === 404) {
      const crd = (r.body as { details?: { kind?: string } } | undefined)?.details?.kind === 'flinkdeployments';
      if (!crd) throw new KhaosError('environment', `the API server does not serve FlinkDeployments (404 on ${o.namespace}/${o.name})`, 'install the Flink Kubernetes Operator 1.15 (or at least its CRDs) in the cluster');
      throw new KhaosError('bad-input', `no FlinkDeployment "${o.name}" in namespace "${o.namespace}" (or no such namespace)`, 'give --flinkdeployment NAMESPACE/NAME of one that exists: kubectl get flinkdeployments -A lists them');
    }
    if (r.status !== 200) throw new KhaosError('platform', `reading FlinkDeployment ${o.namespace}/${o.name}: ${describeRefusal(r)}`);
    const self = new FlinkDeploymentTarget(o);
    await self.watch.start();
    return self;
  }

  private object(): FlinkDeploymentObject | undefined {
    return this.watch.objects.get(this.o.name);
  }

  view(): DeploymentView | undefined {
    const fd = this.object();
    return fd ? viewOf(fd) : undefined;
  }

  async setInterval(intervalMs: number): Promise<number> {
    const r = await this.o.api.call('PATCH', `${this.path}/${this.o.name}?fieldValidation=Strict`, { spec: { flinkConfiguration: { [INTERVAL_KEY]: `${intervalMs} ms` } } }, 'application/merge-patch+json');
    if (r.status === 404) throw new KhaosError('platform', `FlinkDeployment ${this.ref} is gone`, 'someone deleted it; nothing left to control');
    if (r.status !== 200) throw new KhaosError('platform', `the API server refused the patch of FlinkDeployment ${this.ref}: ${describeRefusal(r)}`);
    const patched = r.body as FlinkDeploymentObject;
    // Into the local copy at once: the watch's event may come after the next check.
    const seen = this.object();
    if (!seen || Number(seen.metadata.resourceVersion ?? 0) < Number(patched.metadata.resourceVersion ?? 0)) this.watch.objects.set(this.o.name, patched);
    return patched.metadata.generation ?? 0;
  }

  async recordEvent(type: 'Normal' | 'Warning', reason: string, message: string): Promise<void> {
    const fd = this.object();
    const now = new Date().toISOString();
    const event = {
      apiVersion: 'v1', kind: 'Event',
      metadata: { name: `${this.o.name}.khaos.${crypto.randomBytes(6).toString('hex')}`, namespace: this.o.namespace },
      involvedObject: { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name: this.o.name, namespace: this.o.namespace, uid: fd?.metadata.uid },
      type, reason, message: message.slice(0, 1000), count: 1, firstTimestamp: now, lastTimestamp: now, source: { component: 'khaos' }, reportingComponent: 'khaos',
    };
    try {
      const r = await this.o.api.call('POST', `/api/v1/namespaces/${this.o.namespace}/events`, event);
      if (r.status !== 201) this.o.log?.(`k8s: event ${reason} on ${this.ref} not recorded: ${describeRefusal(r)}`);
    } catch (e) {
      this.o.log?.(`k8s: event ${reason} on ${this.ref} not recorded: ${(e as Error).message}`);
    }
  }

  waitFor<T>(what: string, ms: number, check: (v: DeploymentView | undefined) => T | undefined): Promise<T> {
    return whenChanged(this.waiters, ms, () => check(this.view()), () => new KhaosError('timeout', `${what}: not within ${ms / 1000} s (last seen: ${describeStatus(this.object())})`, `see kubectl -n ${this.o.namespace} describe flinkdeployment ${this.o.name}, its events and the operator's log`));
  }

  close(): void {
    this.watch.close();
  }
}

/** Every right of NEEDED the token lacks, as one error naming each verb (SelfSubjectAccessReview: any authenticated user may ask). */
async function requireRights(api: K8sApi, namespace: string): Promise<void> {
  const missing: string[] = [];
  for (const [verb, group, resource, subresource, why] of NEEDED) {
    const r = await api.request('POST', '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews', { apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: { resourceAttributes: { namespace, verb, group, resource, subresource } } });
    if (r.status !== 201) throw new KhaosError('environment', `the API server did not answer the access review: ${describeRefusal(r)}`, 'check the kubeconfig’s token');
    if (!(r.body as { status?: { allowed?: boolean } }).status?.allowed) missing.push(`${verb} on ${resource}${subresource ? `/${subresource}` : ''}${group ? ` (API group ${group})` : ''}, to ${why}`);
  }
  if (missing.length === NEEDED.length) throw new KhaosError('bad-input', `Khaos's token has no right at all in namespace "${namespace}": there is no such namespace, or Khaos's Role is not bound in it`, `check the namespace of --flinkdeployment NAMESPACE/NAME (kubectl get flinkdeployments -A lists them); to control deployments there, apply the Role and RoleBinding of khaos k8s render --rbac in that namespace`);
  if (missing.length) throw new KhaosError('environment', `the Role lacks ${missing.length === 1 ? 'a right' : `${missing.length} rights`} in namespace ${namespace}: ${missing.join('; ')}`, 'add them to the Role (khaos k8s render --rbac prints it) and run Khaos with that ServiceAccount’s token');
}

/**
 * Flink's REST for a FlinkDeployment, completed by its status: while the JobManager does not
 * answer (a JobManager restart, an upgrade), the job is as the operator last observed it
 * (`status.jobStatus`: RECONCILING, FAILED, …), so the controller sees the job leave RUNNING
 * instead of an unreachable address that says nothing. A 503 (the JobManager's service has no
 * ready endpoint) under a status still RUNNING is RECONCILING already: the operator's own rule
 * (JobStatusObserver.ifRunningMoveToReconciling), applied before its next observe round.
 */
export class FlinkDeploymentRestEngine extends RestFlinkEngine {
  constructor(
    restUrl: string,
    private readonly target: Pick<ManagedDeployment, 'view' | 'ref'>,
    options: ConstructorParameters<typeof RestFlinkEngine>[1],
  ) {
    super(restUrl, options);
  }

  /** A stable deployment's job left RUNNING in its status, and the controller has seen it leave. */
  private outageSeen = false;

  override async listJobs(): Promise<JobSummary[]> {
    const v = this.target.view();
    if (v?.jobState === 'RUNNING') this.outageSeen = false;
    let jobs: JobSummary[];
    try {
      jobs = await super.listJobs();
    } catch (e) {
      if (!v?.jobId || !v.jobState) throw e;
      const noJobManager = /answered 503/.test((e as Error).message);
      if (v.jobState === 'RUNNING' && !noJobManager) throw e;
      this.outageSeen = true;
      return [{ id: v.jobId, name: this.target.ref, state: (v.jobState === 'RUNNING' ? 'RECONCILING' : v.jobState) as JobState, startTimeMs: 0 }];
    }
    // A JobManager restart shorter than a tick: its REST answers again, RUNNING, while the status
    // of a STABLE deployment still says the job left RUNNING. Reported once, so the failure is
    // recorded rather than missed between two samples (its recovery is then measured from here).
    if (!this.outageSeen && v?.lifecycleState === 'STABLE' && v.jobState && v.jobState !== 'RUNNING' && jobs.some((j) => j.id === v.jobId)) {
      this.outageSeen = true;
      return jobs.map((j) => (j.id === v.jobId ? { ...j, state: v.jobState as JobState } : j));
    }
    return jobs;
  }
}
