import { KhaosError } from '../../core/errors.js';
import { byFailureType, type PerFailureType } from '../../core/failure-types.js';
import { flinkPodLabels, podKill } from '../../core/k8s/render.js';
import type { CrdValidator } from '../../core/k8s/validate.js';
import type { Clock } from '../../ports/clock.js';
import type { FailureInjector, FailureSpec, FailureType, InjectedFailure, TaskExceptionTarget } from '../../ports/failure-injector.js';
import type { FlinkEngine } from '../../ports/flink-engine.js';
import type { MessageBus } from '../../ports/message-bus.js';
import { injectTaskException } from '../shared/task-exception.js';
import { describeRefusal, type K8sApi } from './api.js';

/**
 * Breaks a replica that runs as a FlinkDeployment (Flink Kubernetes Operator, native mode).
 *
 * - kill: a Chaos Mesh PodChaos (`pod-kill`, grace period 0) naming the TaskManager's pod. In
 *   native mode a TaskManager's Flink resource id is its pod name, so the id the caller found
 *   through Flink's REST (the sink's TaskManager) is the pod to kill. The PodChaos is deleted once
 *   the pod is gone, and on any error. When Chaos Mesh is not installed (no PodChaos resource in
 *   discovery), a plain pod DELETE with grace period 0.
 * - freeze: unsupported. Chaos Mesh has no action that stops a process and resumes it: the
 *   nearest, `pod-failure`, swaps the container's image for a pause image, so the TaskManager
 *   process and its state are lost and it restarts afterwards. That is a kill with a slower
 *   restart; recording it as a freeze would mislabel the measurement.
 * - exception: the marker record of adapters/shared/task-exception.ts, given the replica's Flink
 *   REST route and the bus its input is on.
 *
 * There are no pids on Kubernetes: `pid` is 0 in every InjectedFailure.
 */

export interface KubernetesInjectorOptions {
  namespace: string;
  /** The replica's FlinkDeployment (its pods carry `app=<deployment>`). */
  deployment: string;
  /** Profile id, in the labels of the PodChaos objects. */
  profile: string;
  /** How long Chaos Mesh may take to remove the pod before its PodChaos counts as selecting nothing, ms (default 15 000). */
  selectDeadlineMs?: number;
  /** Between two looks at the pod, ms (default 100). */
  pollMs?: number;
  /** For `exception`: the replica's Flink REST (through its route) and the bus its input topic is on. */
  taskException?: { flink: FlinkEngine; bus: MessageBus };
}

interface Pod {
  metadata: { name: string; uid: string; labels?: Record<string, string>; deletionTimestamp?: string };
}

interface PodChaosStatus {
  conditions?: { type: string; status: string }[];
  experiment?: { desiredPhase?: string; containerRecords?: { id: string; phase: string }[] };
}

export class KubernetesFailureInjector implements FailureInjector {
  private readonly ns: string;
  private seq = 0;
  private prepared: { pod: Pod; chaosMesh: boolean } | undefined;

  constructor(
    private readonly api: K8sApi,
    private readonly validator: CrdValidator,
    private readonly clock: Clock,
    private readonly opts: KubernetesInjectorOptions,
  ) {
    this.ns = opts.namespace;
  }

  private readonly ways: PerFailureType<Promise<InjectedFailure>> = {
    kill: (s) => this.kill(s.taskManagerId),
    freeze: (s) => this.freeze(s.taskManagerId),
    exception: (s) => this.exception(s.target),
  };

  async inject(spec: FailureSpec): Promise<InjectedFailure> {
    return byFailureType(this.ways, spec);
  }

  /**
   * For a kill: the pod and whether Chaos Mesh is installed, read when the victim is planned, so
   * the kill itself is one create (reading both at kill time made kills land 180–1050 ms late).
   * A pod gone meanwhile is still caught: the kill reads it again alongside the create (a pod
   * found gone there counts as killed only when the PodChaos's records name it), and a plain
   * delete carries the pod's uid as a precondition.
   */
  async prepare(type: FailureType, taskManagerId: string): Promise<void> {
    if (type !== 'kill') return;
    const pod = await this.taskManagerPod(taskManagerId);
    this.prepared = { pod, chaosMesh: await this.chaosMeshInstalled() };
  }

  private async kill(taskManagerId: string): Promise<InjectedFailure> {
    const ready = this.prepared?.pod.metadata.name === taskManagerId ? this.prepared : undefined;
    this.prepared = undefined;
    const pod = ready?.pod ?? (await this.taskManagerPod(taskManagerId));
    const chaosMesh = ready?.chaosMesh ?? (await this.chaosMeshInstalled());
    const injectedAtMs = chaosMesh ? await this.killThroughPodChaos(pod, ready !== undefined) : await this.deletePod(pod);
    return { type: 'kill', taskManagerId, pid: 0, injectedAtMs };
  }

  private async freeze(taskManagerId: string): Promise<InjectedFailure> {
    await this.taskManagerPod(taskManagerId); // an unknown TaskManager is named as such first
    throw new KhaosError(
      'bad-input',
      'a freeze is not supported on Kubernetes: Chaos Mesh has no action that pauses a process and resumes it (pod-failure replaces the container with a pause image, which kills the TaskManager and its state)',
      'use failure type kill or exception on Kubernetes; freezes run on the local stack',
    );
  }

  private async exception(target: TaskExceptionTarget): Promise<InjectedFailure> {
    const path = `/apis/flink.apache.org/v1beta1/namespaces/${this.ns}/flinkdeployments/${this.opts.deployment}`;
    const r = await this.api.call('GET', path);
    if (r.status === 404) throw new KhaosError('bad-input', `no FlinkDeployment ${this.opts.deployment} in namespace ${this.ns}`, 'inject into a replica Khaos started (khaos k8s render lists them)');
    if (r.status !== 200) throw new KhaosError('platform', `reading FlinkDeployment ${this.opts.deployment}: ${describeRefusal(r)}`);
    if (!this.opts.taskException) {
      throw new KhaosError('bug', `this injector for ${this.opts.deployment} has no Flink REST route and message bus: a task exception writes a marker to the replica's input topic`, 'compose KubernetesFailureInjector with taskException: { flink, bus } (the JobManager route and the Kafka bus)');
    }
    return injectTaskException(this.opts.taskException.flink, this.opts.taskException.bus, this.clock, target);
  }

  /** The live pod of TaskManager `id` of this replica; KhaosError('bad-input') when there is none. */
  private async taskManagerPod(id: string): Promise<Pod> {
    const r = await this.api.call('GET', `/api/v1/namespaces/${this.ns}/pods/${encodeURIComponent(id)}`);
    const hint = `the TaskManager id is its pod name in native mode: kubectl -n ${this.ns} get pods -l app=${this.opts.deployment},component=taskmanager`;
    if (r.status === 404) throw new KhaosError('bad-input', `TaskManager ${id} is not a pod of namespace ${this.ns}`, hint);
    if (r.status !== 200) throw new KhaosError('platform', `reading pod ${id}: ${describeRefusal(r)}`);
    const pod = r.body as Pod;
    const labels = pod.metadata.labels ?? {};
    const wrong = Object.entries(flinkPodLabels(this.opts.deployment, 'taskmanager')).filter(([k, v]) => labels[k] !== v);
    if (wrong.length > 0) throw new KhaosError('bad-input', `pod ${id} is not a TaskManager of replica ${this.opts.deployment} (labels ${wrong.map(([k, v]) => `${k}=${v}`).join(', ')} missing)`, hint);
    if (pod.metadata.deletionTimestamp) throw new KhaosError('bad-input', `TaskManager ${id} is already being deleted`, hint);
    return pod;
  }

  /** Whether the API server serves PodChaos (Chaos Mesh's CRDs are installed). Discovery is open to every authenticated user. */
  private async chaosMeshInstalled(): Promise<boolean> {
    const r = await this.api.call('GET', '/apis/chaos-mesh.org/v1alpha1');
    if (r.status === 404) return false;
    if (r.status !== 200) throw new KhaosError('platform', `discovering Chaos Mesh: ${describeRefusal(r)}`);
    return ((r.body as { resources?: { name: string }[] }).resources ?? []).some((x) => x.name === 'podchaos');
  }

  /** `recheck`: the pod was read ahead (prepare), so it is read again alongside the create. */
  private async killThroughPodChaos(pod: Pod, recheck: boolean): Promise<number> {
    const name = `${this.opts.deployment}-kill-${this.clock.now().toString(36)}-${this.seq++}`;
    const chaos = podKill({ namespace: this.ns }, this.opts.profile, this.opts.deployment, name, pod.metadata.name);
    this.validator.check([chaos]);
    const podPath = `/api/v1/namespaces/${this.ns}/pods/${pod.metadata.name}`;
    // Stamped when Khaos asks, as the local injector stamps before its signal; Chaos Mesh acts a moment later.
    const injectedAtMs = this.clock.now();
    const [, now] = await Promise.all([this.api.create(chaos), recheck ? this.api.call('GET', podPath) : undefined]);
    let failure: unknown;
    try {
      const live = now?.status === 200 && (now.body as Pod).metadata.uid === pod.metadata.uid && !(now.body as Pod).metadata.deletionTimestamp;
      // Gone at the re-read: before the create, or by this very PodChaos if Chaos Mesh was quicker than the read (its records say which).
      if (now && !live && !(await this.killedBy(name, pod))) throw new KhaosError('bad-input', `TaskManager pod ${pod.metadata.name} went away between planning the kill and making it`, 'take the sink’s TaskManager again from Flink’s REST');
      await this.awaitGone(pod, name);
    } catch (e) {
      failure = e;
    }
    // Cleaned up after every experiment, whatever became of it.
    const r = await this.api.call('DELETE', `/apis/chaos-mesh.org/v1alpha1/namespaces/${this.ns}/podchaos/${name}`).catch((e: Error) => ({ status: 0, body: e.message }));
    const left = r.status === 200 || r.status === 202 || r.status === 404 ? '' : `; deleting PodChaos ${name} failed too (${describeRefusal(r)}): kubectl -n ${this.ns} delete podchaos ${name}`;
    if (failure instanceof KhaosError) throw new KhaosError(failure.kind, failure.message + left, failure.hint, { cause: failure.cause });
    if (failure) throw failure;
    if (left) throw new KhaosError('platform', `pod ${pod.metadata.name} was killed${left}`);
    return injectedAtMs;
  }

  /**
   * Whether PodChaos `name` killed `pod`: true once its records name the pod, false once Chaos
   * Mesh says it selected nothing (condition Selected False) or the select deadline has passed.
   */
  private async killedBy(name: string, pod: Pod): Promise<boolean> {
    const until = this.clock.now() + (this.opts.selectDeadlineMs ?? 15_000);
    const id = `${this.ns}/${pod.metadata.name}`;
    while (this.clock.now() < until) {
      const r = await this.api.call('GET', `/apis/chaos-mesh.org/v1alpha1/namespaces/${this.ns}/podchaos/${name}`);
      const status = r.status === 200 ? (r.body as { status?: PodChaosStatus }).status : undefined;
      if (status?.experiment?.containerRecords?.some((x) => x.id === id)) return true;
      if (status?.conditions?.some((c) => c.type === 'Selected' && c.status === 'False')) return false;
      await this.clock.sleep(this.opts.pollMs ?? 100);
    }
    return false;
  }

  /** Waits until the pod is gone or being deleted; past the deadline, throws what Chaos Mesh reports. */
  private async awaitGone(pod: Pod, name: string): Promise<void> {
    const deadlineMs = this.opts.selectDeadlineMs ?? 15_000;
    const until = this.clock.now() + deadlineMs;
    while (this.clock.now() < until) {
      const r = await this.api.call('GET', `/api/v1/namespaces/${this.ns}/pods/${pod.metadata.name}`);
      if (r.status === 404) return;
      const now = r.body as Pod;
      if (r.status === 200 && (now.metadata.uid !== pod.metadata.uid || now.metadata.deletionTimestamp)) return;
      await this.clock.sleep(this.opts.pollMs ?? 100);
    }
    const status = ((await this.api.call('GET', `/apis/chaos-mesh.org/v1alpha1/namespaces/${this.ns}/podchaos/${name}`)).body as { status?: PodChaosStatus }).status;
    const records = status?.experiment?.containerRecords ?? [];
    const why = !status?.experiment?.desiredPhase
      ? 'Chaos Mesh did not act on it (no status): is its controller manager running?'
      : records.length === 0
        ? 'Chaos Mesh selected no pod: the pod may have gone meanwhile, or its namespace is not one Chaos Mesh targets (with namespace filtering on, annotate it chaos-mesh.org/inject=enabled)'
        : `Chaos Mesh reports ${records.map((x) => `${x.id}: ${x.phase}`).join(', ')}, yet the pod is still there`;
    throw new KhaosError('platform', `PodChaos ${name} did not kill TaskManager pod ${pod.metadata.name} within ${deadlineMs / 1000} s: ${why}`, `kubectl -n ${this.ns} get pod ${pod.metadata.name}; check Chaos Mesh's controller manager and its events`);
  }

  private async deletePod(pod: Pod): Promise<number> {
    const injectedAtMs = this.clock.now();
    const options = { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: 0, preconditions: { uid: pod.metadata.uid } };
    const r = await this.api.call('DELETE', `/api/v1/namespaces/${this.ns}/pods/${pod.metadata.name}`, options);
    if (r.status === 404 || r.status === 409) throw new KhaosError('bad-input', `TaskManager pod ${pod.metadata.name} went away before Khaos deleted it`, 'take the sink’s TaskManager again from Flink’s REST');
    if (r.status !== 200 && r.status !== 202) throw new KhaosError('platform', `deleting pod ${pod.metadata.name}: ${describeRefusal(r)}`);
    return injectedAtMs;
  }
}
