import crypto from 'node:crypto';
import type { K8sApi } from '../../../src/adapters/k8s/api.js';
import { mergePatch, type FlinkDeploymentObject, type FlinkDeploymentStatus } from '../../../src/adapters/k8s/orchestrator.js';
import { WatchCache, type KubeObject } from '../../../src/adapters/k8s/watch.js';
import { flinkPodLabels } from '../../../src/core/k8s/render.js';

/**
 * TEST DOUBLE of the Flink Kubernetes Operator (1.15) and, for pods, of Flink's native
 * Kubernetes resource manager. kwok pods run no containers, so no real operator or Flink can run
 * on the test control plane; this plays them against the real API server, keeping their
 * conventions (checked against the operator's sources and the CRD in ../shared/k8s/crds/):
 *
 * - a finalizer (`flinkdeployments.flink.apache.org/finalizer`) on each FlinkDeployment; on deletion,
 *   the JobManager Deployment deleted and the finalizer removed once its pod is gone (the
 *   operator's cleanup), the TaskManager pods and services left to the garbage collector;
 * - the JobManager as an apps/v1 Deployment named like the FlinkDeployment, owned by it (the
 *   controller-manager then makes its ReplicaSet and pod, `<name>-<hash>-<hash>`), and the services
 *   `<name>-rest` (port 8081) and `<name>` owned by that Deployment;
 * - TaskManager pods `<name>-taskmanager-<attempt>-<index>` owned by the JobManager Deployment, one
 *   per slot of parallelism, and a new one (next index) in place of one deleted;
 * - every pod labelled `app=<name>`, `component=jobmanager|taskmanager`, `type=flink-native-kubernetes`
 *   plus the labels of `spec.podTemplate`;
 * - `status`: `reconciliationStatus` (`lastReconciledSpec` as `{"spec":…,"resource_metadata":…}`,
 *   `lastStableSpec`, state), `observedGeneration`, `jobManagerDeploymentStatus`, `jobStatus` and
 *   `lifecycleState` computed as the operator's CommonStatus.getLifecycleState does;
 * - a spec change on a running job: stop-with-savepoint (UPGRADING, the savepoint in
 *   `jobStatus.upgradeSavepointPath` and `savepointInfo`), cluster removed, redeploy from it;
 *   `job.state: suspended` suspends the same way, `running` resumes from `upgradeSavepointPath`,
 *   or from `initialSavepointPath` when `savepointRedeployNonce` changed.
 *
 * Where each status transition comes from in the operator's sources (apache/flink-kubernetes-operator,
 * paths under flink-kubernetes-operator/src/main/java/org/apache/flink/kubernetes/operator/; the
 * lifecycle state from flink-kubernetes-operator-api/…/api/status/CommonStatus.java getLifecycleState):
 * - finalizer added, cleanup on deletion: controller/FlinkDeploymentController.java (cleanup) and
 *   reconciler/deployment/AbstractFlinkResourceReconciler.java (cleanup → deleteClusterDeployment);
 * - first deploy and every redeploy: reconciliationStatus DEPLOYED with the new lastReconciledSpec,
 *   jobManagerDeploymentStatus DEPLOYING, jobStatus RECONCILING: reconciler/ReconciliationUtils.java
 *   (updateStatusForDeployedSpec; updateStatusBeforeDeploymentAttempt marks UPGRADING first) and
 *   reconciler/deployment/ApplicationReconciler.java (deploy:
 *   the JobManager Deployment, `upgradeSavepointPath` set to the savepoint it restores from);
 * - JobManager READY, then the job RUNNING, lastStableSpec = lastReconciledSpec:
 *   observer/deployment/AbstractFlinkDeploymentObserver.java (observeJmDeployment: DEPLOYING,
 *   then DEPLOYED_NOT_READY once the Deployment is available and the port answers, then READY at
 *   the next observe; the double goes from DEPLOYING to READY in one step),
 *   observer/JobStatusObserver.java, and the api's status/ReconciliationStatus.java
 *   (markReconciledSpecAsStable, which the operator calls once the deployment is stable);
 * - a spec change on a RUNNING job with upgradeMode savepoint: reconciliationStatus UPGRADING, the
 *   lastReconciledSpec recorded with job.state suspended, the job stopped with a savepoint
 *   (jobStatus FINISHED, `upgradeSavepointPath` and savepointInfo), then the cluster deleted and
 *   the new spec deployed from that savepoint: reconciler/deployment/AbstractJobReconciler.java
 *   (reconcileSpecChange, getJobUpgrade, cancelJob) and service/AbstractFlinkService.java (cancelJob);
 * - job.state suspended: the same stop with a savepoint, lifecycle SUSPENDED, JobManager MISSING;
 *   running again from upgradeSavepointPath (AbstractJobReconciler.java, restoreJob);
 * - savepointRedeployNonce changed: cancel without savepoint, redeploy from initialSavepointPath
 *   (AbstractJobReconciler.java, redeployWithSavepoint);
 * - a TaskManager pod deleted (a PodChaos kill, a pod delete): a new pod
 *   `<name>-taskmanager-<attempt>-<next id>` in its place, as Flink's native resource manager does
 *   (apache/flink, flink-kubernetes/src/main/java/org/apache/flink/kubernetes/KubernetesResourceManagerDriver.java:
 *   onDeleted → onWorkerTerminated, after which the resource manager requests a worker again;
 *   pod names from TASK_MANAGER_POD_FORMAT), not the operator;
 * - the JobManager pod of a running job lost or replaced: job RECONCILING for about one observe
 *   round (6 s here: RECONCILING_MS), then RUNNING once a JobManager pod runs (observer/JobStatusObserver.java,
 *   ifRunningMoveToReconciling: the REST no longer answers);
 * - rollback: ROLLING_BACK then ROLLED_BACK with status.error: AbstractFlinkResourceReconciler.java
 *   (shouldRollBack, rollback) and ReconciliationUtils.java (updateStatusForDeployedSpec on rollback).
 *
 * It does NOT model: upgradeMode last-state (ApplicationReconciler.java marks it with the
 * upgradeSavepointPath KUBERNETES_OPERATOR_LAST_STATE and restores from HA metadata; here every
 * stateful upgrade takes a savepoint) nor stateless, Flink itself (no REST, no checkpoints; a savepoint is a made-up path), the
 * operator's validation and events, FlinkStateSnapshot resources, HA metadata, session mode,
 * scaling, the stability/readiness timers (a job is stable as soon as it runs; a rollback skips the
 * failed deploy of the new spec), or high-availability data cleanup on deletion.
 * On request it misbehaves: 'stuck-deploying' (the JobManager never gets ready),
 * 'roll-back-upgrades' (an upgrade rolls back to the last stable spec) and 'fail-upgrades' (the
 * upgraded job fails).
 */

export type Misbehaviour = 'stuck-deploying' | 'roll-back-upgrades' | 'fail-upgrades';

const FINALIZER = 'flinkdeployments.flink.apache.org/finalizer';
type Spec = FlinkDeploymentObject['spec'] & { image?: string; serviceAccount?: string; podTemplate?: { metadata?: { labels?: Record<string, string> } } };
type Pod = KubeObject & { status?: { phase?: string } };
type Phase = 'deploying' | 'running' | 'suspending' | 'suspended' | 'upgrading' | 'redeploying';

interface Tracked {
  phase: Phase;
  /** The status as this double last wrote it (the watch may lag behind). */
  status: FlinkDeploymentStatus;
  jobManagerUid?: string;
  nextTaskManager: number;
  rollingBack?: boolean;
  upgraded?: boolean;
  nonce?: number;
  /** The JobManager pod of the running job; RECONCILING until `reconcilingUntilMs` after another replaces it. */
  jobManager?: string;
  reconcilingUntilMs?: number;
}

/**
 * How long the double keeps a job RECONCILING after its JobManager pod was replaced: a few of the
 * operator's observe rounds (a real JobManager pod takes longer: scheduling, a JVM start, the job's
 * recovery). 2 s was shorter than one controller tick through the API server's proxy next to two CPU
 * hogs in CI, and the controller never sampled the outage (the controller samples the job; an outage shorter than its sampling is not seen).
 */
const RECONCILING_MS = 6000;

/** The operator's ResourceLifecycleState of a status (CommonStatus.getLifecycleState). */
function lifecycleOf(s: FlinkDeploymentStatus): string {
  const r = s.reconciliationStatus ?? {};
  if (!r.lastReconciledSpec) return s.error ? 'FAILED' : 'CREATED';
  if (r.state === 'UPGRADING' || r.state === 'ROLLING_BACK') return r.state;
  if ((JSON.parse(r.lastReconciledSpec) as { spec: Spec }).spec.job?.state === 'suspended') return 'SUSPENDED';
  if (s.jobStatus?.state === 'FAILED') return 'FAILED';
  if (r.state === 'ROLLED_BACK') return 'ROLLED_BACK';
  return r.lastReconciledSpec === r.lastStableSpec ? 'STABLE' : 'DEPLOYED';
}

const specWithMeta = (spec: Spec, generation: number, firstDeployment: boolean) => JSON.stringify({ spec, resource_metadata: { apiVersion: 'flink.apache.org/v1beta1', metadata: { generation }, firstDeployment } });

export class FlinkOperatorDouble {
  private readonly tracked = new Map<string, Tracked>();
  private readonly misbehaviours = new Map<string, Misbehaviour>();
  /** What went wrong inside the double (a test may assert it is empty). */
  readonly errors: string[] = [];
  private loop?: Promise<void>;
  private again = false;
  private stopped = false;
  private fds!: WatchCache<FlinkDeploymentObject>;
  private pods!: WatchCache<Pod>;

  private constructor(
    private readonly api: K8sApi,
    private readonly ns: string,
  ) {}

  /** Starts playing the operator for every FlinkDeployment of namespace `ns`. */
  static async start(api: K8sApi, ns: string): Promise<FlinkOperatorDouble> {
    const d = new FlinkOperatorDouble(api, ns);
    const kick = () => d.kick();
    const trouble = (m: string) => d.errors.push(m);
    d.fds = new WatchCache(api, `/apis/flink.apache.org/v1beta1/namespaces/${ns}/flinkdeployments`, 'FlinkDeployments', '', kick, trouble);
    d.pods = new WatchCache(api, `/api/v1/namespaces/${ns}/pods`, 'Flink pods', 'type=flink-native-kubernetes', kick, trouble);
    await d.fds.start();
    await d.pods.start();
    d.kick();
    return d;
  }

  /** From now on, FlinkDeployment `name` misbehaves so. */
  misbehave(name: string, how: Misbehaviour | undefined): void {
    if (how) this.misbehaviours.set(name, how);
    else this.misbehaviours.delete(name);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.fds.close();
    this.pods.close();
    await this.loop;
  }

  /** Reconciles every FlinkDeployment, one at a time; changes seen meanwhile make another round. */
  private kick(): void {
    if (this.stopped) return;
    if (this.loop) {
      this.again = true;
      return;
    }
    this.loop = (async () => {
      await Promise.resolve(); // so that `this.loop` is set before the round can end
      do {
        this.again = false;
        for (const fd of [...this.fds.objects.values()]) {
          await this.reconcile(fd).catch((e: Error) => {
            this.errors.push(`${fd.metadata.name}: ${e.message}`);
            this.again = true;
          });
        }
      } while (this.again && !this.stopped);
      this.loop = undefined;
    })();
  }

  private podsOf(name: string, component?: 'jobmanager' | 'taskmanager') {
    return [...this.pods.objects.values()].filter((p) => p.metadata.labels?.app === name && (!component || p.metadata.labels?.component === component));
  }

  private async call(method: string, path: string, body?: unknown, ok: number[] = [200, 201]): Promise<KubeObject> {
    const r = await this.api.request(method, path, body, method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
    if (!ok.includes(r.status)) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
    return r.body as KubeObject;
  }

  private fdPath(name: string) {
    return `/apis/flink.apache.org/v1beta1/namespaces/${this.ns}/flinkdeployments/${name}`;
  }

  /** Merge-patches the status, with the lifecycle state the operator would compute for it. */
  private async writeStatus(name: string, t: Tracked, patch: FlinkDeploymentStatus): Promise<void> {
    const merged = mergePatch(t.status, patch) as FlinkDeploymentStatus;
    t.status = { ...merged, lifecycleState: lifecycleOf(merged) };
    await this.call('PATCH', `${this.fdPath(name)}/status`, { status: { ...patch, lifecycleState: t.status.lifecycleState } });
  }

  private async reconcile(fd: FlinkDeploymentObject): Promise<void> {
    const name = fd.metadata.name;
    const finalizers = fd.metadata.finalizers ?? [];
    if (fd.metadata.deletionTimestamp) {
      // As the operator's cleanup: delete the cluster, and let the FlinkDeployment go once its pods are gone.
      if (this.podsOf(name, 'jobmanager').length > 0) {
        await this.call('DELETE', `/apis/apps/v1/namespaces/${this.ns}/deployments/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' }, [200, 202, 404]);
        return;
      }
      if (finalizers.includes(FINALIZER)) await this.call('PATCH', this.fdPath(name), { metadata: { finalizers: finalizers.filter((f) => f !== FINALIZER) } }, [200, 404]);
      this.tracked.delete(name);
      return;
    }
    let t = this.tracked.get(name);
    if (!t) {
      if (!finalizers.includes(FINALIZER)) await this.call('PATCH', this.fdPath(name), { metadata: { finalizers: [...finalizers, FINALIZER] } });
      t = { phase: 'deploying', status: fd.status ?? {}, nextTaskManager: 1, nonce: fd.spec.job?.savepointRedeployNonce };
      this.tracked.set(name, t);
      await this.deploy(fd, t, fd.spec as Spec, undefined, true);
      return;
    }
    const generation = fd.metadata.generation ?? 0;
    const spec = fd.spec as Spec;
    const gone = this.podsOf(name).length === 0;
    switch (t.phase) {
      case 'deploying':
        return this.toRunning(fd, t);
      case 'running': {
        if (t.status.observedGeneration === generation) {
          // The JobManager's REST gone (its pod lost): a RUNNING job is RECONCILING until it answers
          // again (observer/JobStatusObserver.java, ifRunningMoveToReconciling).
          const jm = this.runningJobManager(name);
          if (t.status.jobStatus?.state === 'RUNNING' && jm !== t.jobManager) {
            t.jobManager = jm;
            t.reconcilingUntilMs = Date.now() + RECONCILING_MS;
            setTimeout(() => this.kick(), RECONCILING_MS + 50);
            return this.writeStatus(name, t, { jobStatus: { state: 'RECONCILING' } });
          }
          if (t.status.jobStatus?.state === 'RECONCILING') {
            if (!jm || Date.now() < (t.reconcilingUntilMs ?? 0)) return;
            t.jobManager = jm;
            await this.writeStatus(name, t, { jobStatus: { state: 'RUNNING' } });
          }
          return this.replaceTaskManagers(fd, t);
        }
        const nonceChanged = (spec.job?.savepointRedeployNonce ?? undefined) !== t.nonce;
        if (nonceChanged) {
          // A redeploy from initialSavepointPath: the running job is cancelled, no savepoint.
          await this.writeStatus(name, t, { observedGeneration: generation, reconciliationStatus: { state: 'UPGRADING', lastReconciledSpec: specWithMeta({ ...spec, job: { ...spec.job, state: 'suspended' } }, generation, false) }, jobStatus: { state: 'CANCELED' } });
          t.phase = 'redeploying';
        } else {
          const suspend = spec.job?.state === 'suspended';
          await this.savepoint(fd, t, generation, suspend ? 'DEPLOYED' : 'UPGRADING');
          t.phase = suspend ? 'suspending' : 'upgrading';
        }
        return this.teardown(name, t);
      }
      case 'suspending':
        if (gone) {
          await this.writeStatus(name, t, { jobManagerDeploymentStatus: 'MISSING' });
          t.phase = 'suspended';
        }
        return;
      case 'suspended': {
        if (t.status.observedGeneration === generation || spec.job?.state !== 'running') return;
        const nonceChanged = (spec.job?.savepointRedeployNonce ?? undefined) !== t.nonce;
        const from = nonceChanged ? spec.job?.initialSavepointPath : t.status.jobStatus?.upgradeSavepointPath;
        t.nonce = spec.job?.savepointRedeployNonce;
        t.phase = 'deploying';
        return this.deploy(fd, t, spec, from, false);
      }
      case 'upgrading':
      case 'redeploying': {
        if (!gone) return;
        const from = t.phase === 'redeploying' ? spec.job?.initialSavepointPath : t.status.jobStatus?.upgradeSavepointPath;
        t.nonce = spec.job?.savepointRedeployNonce;
        t.phase = 'deploying';
        if (this.misbehaviours.get(name) === 'roll-back-upgrades') {
          // The operator's rollback: the last stable spec again, from the upgrade's savepoint.
          t.rollingBack = true;
          const stable = (JSON.parse(t.status.reconciliationStatus!.lastStableSpec!) as { spec: Spec }).spec;
          // (The real operator first deploys the new spec and rolls back when it does not become ready in time; this skips that deploy.)
          await this.writeStatus(name, t, { reconciliationStatus: { state: 'ROLLING_BACK', lastReconciledSpec: specWithMeta(spec, fd.metadata.generation ?? 0, false) }, error: 'Deployment is not ready within the configured timeout, rolling back' });
          return this.deploy(fd, t, stable, from, false, true);
        }
        t.upgraded = true;
        return this.deploy(fd, t, spec, from, false);
      }
    }
  }

  /** The operator's stop-with-savepoint: a made-up savepoint path in the status, as an upgrade's. */
  private async savepoint(fd: FlinkDeploymentObject, t: Tracked, generation: number, state: 'UPGRADING' | 'DEPLOYED'): Promise<void> {
    const spec = fd.spec as Spec;
    const dir = spec.flinkConfiguration?.['execution.checkpointing.savepoint-dir'] ?? 'file:///savepoints';
    const sp = { location: `${dir}/savepoint-${(t.status.jobStatus?.jobId ?? '000000').slice(0, 6)}-${crypto.randomBytes(6).toString('hex')}`, timeStamp: Date.now(), triggerType: 'UPGRADE', formatType: 'CANONICAL' };
    const history = [...(t.status.jobStatus?.savepointInfo?.savepointHistory ?? []), sp];
    await this.writeStatus(fd.metadata.name, t, {
      observedGeneration: generation,
      reconciliationStatus: { state, lastReconciledSpec: specWithMeta({ ...spec, job: { ...spec.job, state: 'suspended' } }, generation, false), reconciliationTimestamp: Date.now() } as FlinkDeploymentStatus['reconciliationStatus'],
      jobStatus: { state: 'FINISHED', upgradeSavepointPath: sp.location, savepointInfo: { lastSavepoint: sp, savepointHistory: history } },
    });
  }

  /** Removes the Flink cluster (the JobManager Deployment; the garbage collector takes its pods and services). */
  private async teardown(name: string, t: Tracked): Promise<void> {
    await this.call('DELETE', `/apis/apps/v1/namespaces/${this.ns}/deployments/${name}`, { apiVersion: 'v1', kind: 'DeleteOptions', propagationPolicy: 'Background' }, [200, 202, 404]);
    for (const p of this.podsOf(name, 'taskmanager')) await this.call('DELETE', `/api/v1/namespaces/${this.ns}/pods/${p.metadata.name}`, undefined, [200, 202, 404]);
    t.jobManagerUid = undefined;
  }

  /** Deploys a Flink cluster for `spec`: the JobManager Deployment (owned by the FlinkDeployment) and its services. */
  private async deploy(fd: FlinkDeploymentObject, t: Tracked, spec: Spec, fromSavepoint: string | undefined, first: boolean, rollback = false): Promise<void> {
    const name = fd.metadata.name;
    const generation = fd.metadata.generation ?? 0;
    const podLabels = { ...(spec.podTemplate?.metadata?.labels ?? {}), ...flinkPodLabels(name, 'jobmanager') };
    const owner = { apiVersion: 'flink.apache.org/v1beta1', kind: 'FlinkDeployment', name, uid: fd.metadata.uid, controller: true, blockOwnerDeletion: true };
    const jm = await this.call('POST', `/apis/apps/v1/namespaces/${this.ns}/deployments`, {
      apiVersion: 'apps/v1', kind: 'Deployment',
      metadata: { name, namespace: this.ns, labels: flinkPodLabels(name, 'jobmanager'), ownerReferences: [owner] },
      spec: {
        replicas: 1, selector: { matchLabels: flinkPodLabels(name, 'jobmanager') },
        template: { metadata: { labels: podLabels }, spec: { serviceAccountName: spec.serviceAccount, containers: [{ name: 'flink-main-container', image: spec.image, args: ['jobmanager', ...(fromSavepoint ? [`-Dexecution.state-recovery.path=${fromSavepoint}`] : [])] }] } },
      },
    });
    t.jobManagerUid = jm.metadata.uid;
    t.nextTaskManager = 1;
    const jmOwner = { apiVersion: 'apps/v1', kind: 'Deployment', name, uid: jm.metadata.uid, controller: true, blockOwnerDeletion: true };
    const service = (svc: string, ports: { name: string; port: number }[], headless: boolean) =>
      this.call('POST', `/api/v1/namespaces/${this.ns}/services`, { apiVersion: 'v1', kind: 'Service', metadata: { name: svc, namespace: this.ns, labels: flinkPodLabels(name, 'jobmanager'), ownerReferences: [jmOwner] }, spec: { selector: flinkPodLabels(name, 'jobmanager'), ports, ...(headless ? { clusterIP: 'None' } : {}) } }, [201, 409]);
    await service(`${name}-rest`, [{ name: 'rest', port: 8081 }], false);
    await service(name, [{ name: 'jobmanager-rpc', port: 6123 }, { name: 'blobserver', port: 6124 }], true);
    const reconciliation = rollback
      ? { state: 'ROLLING_BACK' }
      : { state: 'DEPLOYED', lastReconciledSpec: specWithMeta(spec, generation, first), reconciliationTimestamp: Date.now() };
    await this.writeStatus(name, t, {
      observedGeneration: generation,
      reconciliationStatus: reconciliation as FlinkDeploymentStatus['reconciliationStatus'],
      jobManagerDeploymentStatus: 'DEPLOYING',
      jobStatus: { state: 'RECONCILING', jobId: crypto.randomBytes(16).toString('hex') },
      ...(rollback ? {} : { error: null as unknown as string }),
    });
  }

  private runningJobManager(name: string): string | undefined {
    return this.podsOf(name, 'jobmanager').find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp)?.metadata.name;
  }

  /** Once the JobManager pod runs: the TaskManager pods, then the job RUNNING (or the misbehaviour asked for). */
  private async toRunning(fd: FlinkDeploymentObject, t: Tracked): Promise<void> {
    const name = fd.metadata.name;
    if (this.misbehaviours.get(name) === 'stuck-deploying') return;
    if (!this.podsOf(name, 'jobmanager').some((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp)) return;
    await this.replaceTaskManagers(fd, t);
    t.phase = 'running';
    t.jobManager = this.runningJobManager(name);
    const reconciled = t.status.reconciliationStatus?.lastReconciledSpec;
    if (t.rollingBack) {
      t.rollingBack = false;
      return this.writeStatus(name, t, { jobManagerDeploymentStatus: 'READY', jobStatus: { state: 'RUNNING' }, reconciliationStatus: { state: 'ROLLED_BACK' } });
    }
    if (t.upgraded && this.misbehaviours.get(name) === 'fail-upgrades') {
      t.upgraded = false;
      return this.writeStatus(name, t, { jobManagerDeploymentStatus: 'READY', jobStatus: { state: 'FAILED' }, error: 'org.apache.flink.runtime.JobException: Recovery is suppressed by NoRestartBackoffTimeStrategy (played by the test double)' });
    }
    t.upgraded = false;
    // No stability timer here: a running job is stable at once.
    await this.writeStatus(name, t, { jobManagerDeploymentStatus: 'READY', jobStatus: { state: 'RUNNING', startTime: String(Date.now()) } as FlinkDeploymentStatus['jobStatus'], reconciliationStatus: { lastStableSpec: reconciled } });
  }

  /** Flink's resource manager: one TaskManager pod per slot of parallelism, a new one for each that is gone. */
  private async replaceTaskManagers(fd: FlinkDeploymentObject, t: Tracked): Promise<void> {
    if (!t.jobManagerUid) return;
    const name = fd.metadata.name;
    const spec = fd.spec as Spec;
    const slots = Number(spec.flinkConfiguration?.['taskmanager.numberOfTaskSlots'] ?? '1');
    const wanted = Math.ceil((spec.job?.parallelism ?? 1) / slots);
    const live = this.podsOf(name, 'taskmanager').filter((p) => !p.metadata.deletionTimestamp).length;
    for (let i = live; i < wanted; i++) {
      const pod = `${name}-taskmanager-1-${t.nextTaskManager++}`;
      // Into the local copy at once, so that a round before the watch's event does not start it twice.
      const created = await this.call('POST', `/api/v1/namespaces/${this.ns}/pods`, {
        apiVersion: 'v1', kind: 'Pod',
        metadata: { name: pod, namespace: this.ns, labels: { ...(spec.podTemplate?.metadata?.labels ?? {}), ...flinkPodLabels(name, 'taskmanager') }, ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: t.jobManagerUid, controller: true, blockOwnerDeletion: true }] },
        spec: { serviceAccountName: spec.serviceAccount, restartPolicy: 'Never', containers: [{ name: 'flink-main-container', image: spec.image, args: ['taskmanager'] }] },
      });
      if (!this.pods.objects.has(pod)) this.pods.objects.set(pod, created as Pod);
    }
  }
}
