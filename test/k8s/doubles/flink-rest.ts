import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { builtInJob } from '../../../src/core/jobs.js';
import type { K8sApi } from '../../../src/adapters/k8s/api.js';
import type { FlinkDeploymentObject } from '../../../src/adapters/k8s/orchestrator.js';
import { WatchCache, type KubeObject } from '../../../src/adapters/k8s/watch.js';
import { SystemClock } from '../../../src/adapters/system/clock.js';
import { KhaosError } from '../../../src/core/errors.js';
import { specIntervalMs } from '../../../src/core/k8s/deployment.js';
import { LABELS } from '../../../src/core/k8s/render.js';
import type { JobKind } from '../../../src/core/load/events.js';
import type { JobState } from '../../../src/core/job-state.js';
import type { FlinkEngine } from '../../../src/ports/flink-engine.js';
import type { ReplicaRequest } from '../../../src/ports/orchestrator.js';
import { FakeFlinkPlatform, type FakeFlinkPlatformOptions } from '../../fakes/fake-flink-platform.js';

/**
 * TEST DOUBLE of the JobManager REST API of each FlinkDeployment. kwok pods run no containers, so
 * no JobManager can answer on the test control plane; this one answers over real HTTP on
 * loopback, at `http://127.0.0.1:<port>/<namespace>/<name>` (Khaos's `k8s.restUrlTemplate`
 * `http://127.0.0.1:<port>/{namespace}/{name}`, as an ingress would route it).
 *
 * Each cluster's job is a replica of test/fakes/fake-flink-platform.ts (the fluid simulation of
 * src/core/sim/fluid.ts) on the system clock; this file only follows Kubernetes and speaks HTTP:
 *
 * - a cluster starts when its FlinkDeployment reports the job RUNNING with a running JobManager
 *   pod and one running TaskManager pod per slot of parallelism (the operator double's doing),
 *   and ends when the FlinkDeployment or its JobManager pod goes (a new JobManager pod in its
 *   place starts a fresh job once the operator reports it RUNNING again);
 * - TaskManager ids are the TaskManager pod names, as in native mode: when a pod goes (a PodChaos
 *   kill, a pod delete), its TaskManager dies in the simulation and the job fails over as the
 *   fake's does (detection, restart once slots return, restore, catch-up); when the replacement
 *   pods run, as many new TaskManagers register under their names. There is no spare
 *   TaskManager: the job waits for its replacement, as with Flink's native resource manager;
 * - the answers have Flink 2.2.1's JSON shapes (test/fixtures/flink-2.2.1): /overview,
 *   /jobs/overview, /jobs/:id, /jobs/:id/vertices/:vid, …/subtasks/metrics (names, and
 *   aggregated with `get`), /jobs/:id/metrics, /jobs/:id/checkpoints, …/checkpoints/config,
 *   POST /jobs/:id/checkpoints and its status, /jobs/:id/exceptions, /taskmanagers. A JobManager
 *   that is not up answers 503, as an ingress with no backend does.
 *
 * It does NOT model: a job without checkpointing (no cluster answers for it), stop-with-savepoint, savepoints and cancel over REST (404: on Kubernetes the
 * operator does them, see the operator double), a redeploy restoring state (a new JobManager
 * starts a fresh job), the checkpoint history and summary statistics, checkpoint external paths,
 * stack traces, per-subtask metrics, several TaskManagers lost at once before any replacement
 * registers in a different order than they went, and everything of the fake's own limits (one
 * shared input topic for every cluster, fixed checkpoint and restart times).
 */

type Pod = KubeObject & { status?: { phase?: string } };
type Answer = (flink: FlinkEngine, m: RegExpExecArray, q: URLSearchParams, c: Cluster) => Promise<unknown>;

interface Cluster {
  /** The fake platform's replica (`<namespace>/<name>`). */
  replica: string;
  /** Fake TaskManager id → the pod it runs as. */
  podOf: Map<string, string>;
  /** The JobManager pod it runs in, when known: another one is a new JobManager (a restart). */
  jobManager?: string;
}

const ALL_STATES: JobState[] = ['INITIALIZING', 'CREATED', 'RUNNING', 'FAILING', 'FAILED', 'CANCELLING', 'CANCELED', 'FINISHED', 'RESTARTING', 'SUSPENDED', 'RECONCILING'];

/** `/jobs/:id/...`: the job id is the first group of each route. */
const ROUTES: [method: string, path: RegExp, answer: Answer][] = [
  ['GET', /^\/overview$/, async (f) => {
    const tms = await f.taskManagers();
    const jobs = await f.listJobs();
    return { taskmanagers: tms.length, 'slots-total': tms.length, 'slots-available': tms.reduce((a, t) => a + t.freeSlots, 0), 'jobs-running': jobs.filter((j) => j.state === 'RUNNING').length, 'jobs-finished': 0, 'jobs-cancelled': 0, 'jobs-failed': 0, 'flink-version': '2.2.1', 'flink-commit': '450c63e' };
  }],
  ['GET', /^\/jobs\/overview$/, async (f) => ({
    jobs: (await f.listJobs()).map((j) => ({ jid: j.id, name: j.name, 'start-time': j.startTimeMs, 'end-time': -1, duration: Date.now() - j.startTimeMs, state: j.state, 'last-modification': Date.now() })),
  })],
  ['GET', /^\/jobs\/(\w+)$/, async (f, [, id]) => {
    const j = await f.job(id!);
    const now = Date.now();
    return {
      jid: j.id, name: j.name, isStoppable: false, state: j.state, 'job-type': 'STREAMING', 'start-time': j.startTimeMs, 'end-time': -1, duration: now - j.startTimeMs, maxParallelism: -1, now,
      timestamps: Object.fromEntries(ALL_STATES.map((s) => [s, j.timestamps[s] ?? 0])),
      vertices: j.vertices.map((v) => ({ id: v.id, name: v.name, maxParallelism: 128, parallelism: v.parallelism, status: v.status, 'start-time': j.startTimeMs, 'end-time': -1, duration: now - j.startTimeMs, tasks: { [v.status]: v.parallelism } })),
    };
  }],
  ['GET', /^\/jobs\/(\w+)\/vertices\/(\w+)$/, async (f, [, id, vid], _q, c) => {
    const v = (await f.job(id!)).vertices.find((x) => x.id === vid);
    const subtasks = await f.subtasks(id!, vid!);
    return {
      id: vid, name: v?.name, parallelism: v?.parallelism, maxParallelism: 128, now: Date.now(),
      subtasks: subtasks.map((t) => ({ subtask: t.subtask, status: t.status, attempt: t.attempt, endpoint: `${podOf(c, t.taskManagerId)}:6121`, 'taskmanager-id': podOf(c, t.taskManagerId) })),
    };
  }],
  ['GET', /^\/jobs\/(\w+)\/vertices\/(\w+)\/subtasks\/metrics$/, async (f, [, id, vid], q) => {
    const names = q.get('get');
    if (!names) return (await f.vertexMetricNames(id!, vid!)).map((n) => ({ id: n }));
    return Object.entries(await f.vertexMetrics(id!, vid!, names.split(','))).map(([n, agg]) => ({ id: n, ...agg }));
  }],
  ['GET', /^\/jobs\/(\w+)\/metrics$/, async (f, [, id], q) => Object.entries(await f.jobMetrics(id!, (q.get('get') ?? '').split(','))).map(([n, v]) => ({ id: n, value: String(v) }))],
  ['GET', /^\/jobs\/(\w+)\/checkpoints$/, async (f, [, id]) => {
    const s = await f.checkpoints(id!);
    const c = s.latestCompleted;
    const r = s.latestRestored;
    return {
      counts: { restored: s.counts.restored, total: s.counts.total, in_progress: s.counts.inProgress, completed: s.counts.completed, failed: s.counts.failed },
      latest: {
        completed: c ? { className: 'completed', id: c.id, status: 'COMPLETED', is_savepoint: c.isSavepoint, savepointFormat: null, trigger_timestamp: c.triggerTimestampMs, latest_ack_timestamp: c.latestAckTimestampMs, checkpointed_size: c.checkpointedSizeBytes, state_size: c.stateSizeBytes, end_to_end_duration: c.endToEndDurationMs, checkpoint_type: 'CHECKPOINT', discarded: false } : null,
        savepoint: null,
        failed: null,
        restored: r ? { id: r.id, restore_timestamp: r.restoreTimestampMs, is_savepoint: r.isSavepoint, external_path: r.externalPath } : null,
      },
      history: [],
    };
  }],
  ['GET', /^\/jobs\/(\w+)\/checkpoints\/config$/, async (f, [, id]) => {
    const c = await f.checkpointConfig(id!);
    return { mode: c.mode, interval: c.intervalMs, timeout: c.timeoutMs, min_pause: c.minPauseMs, max_concurrent: 1, tolerable_failed_checkpoints: c.tolerableFailures };
  }],
  ['POST', /^\/jobs\/(\w+)\/checkpoints$/, async (f, [, id]) => ({ 'request-id': await f.triggerCheckpoint(id!) })],
  ['GET', /^\/jobs\/(\w+)\/checkpoints\/(\w+)$/, async (f, [, id, trigger]) => {
    const t = await f.checkpointTriggerStatus(id!, trigger!);
    if (t.state === 'IN_PROGRESS') return { status: { id: 'IN_PROGRESS' }, operation: null };
    if (t.state === 'COMPLETED') return { status: { id: 'COMPLETED' }, operation: { checkpointId: t.checkpointId } };
    return { status: { id: 'COMPLETED' }, operation: { failureCause: { class: 'java.util.concurrent.CompletionException', 'stack-trace': t.cause } } };
  }],
  ['GET', /^\/jobs\/(\w+)\/exceptions$/, async (f, [, id], _q, c) => ({
    exceptionHistory: {
      entries: (await f.exceptions(id!)).map((e) => ({ exceptionName: e.exceptionName, stacktrace: e.exceptionName, timestamp: e.timestampMs, failureLabels: {}, taskName: e.taskName ?? null, taskManagerId: e.taskManagerId ? podOf(c, e.taskManagerId) : null, concurrentExceptions: [] })),
      truncated: false,
    },
  })],
  ['GET', /^\/taskmanagers$/, async (f, _m, _q, c) => ({
    taskmanagers: (await f.taskManagers()).map((t) => ({ id: podOf(c, t.id), path: `pekko.tcp://flink@${podOf(c, t.id)}:6122/user/rpc/taskmanager_0`, dataPort: 6121, jmxPort: -1, timeSinceLastHeartbeat: Date.now(), slotsNumber: t.slots, freeSlots: t.freeSlots })),
  })],
];

const podOf = (c: Cluster, taskManagerId: string) => c.podOf.get(taskManagerId) ?? taskManagerId;

/** The interval as Flink reads it (undefined: checkpointing off), and the value of one `--flag value` job argument. */
const intervalOf = (fd: FlinkDeploymentObject) => specIntervalMs(fd.spec.flinkConfiguration);
const argOf = (fd: FlinkDeploymentObject, flag: string) => {
  const args = (fd.spec.job as { args?: string[] } | undefined)?.args ?? [];
  return args[args.indexOf(flag) + 1] ?? '';
};

export class FlinkRestDouble {
  /** The simulation behind every cluster: its `feedingBus` turns a replay into their input. */
  readonly platform: FakeFlinkPlatform;
  /** What went wrong inside the double (a test may assert it is empty). */
  readonly errors: string[] = [];
  private readonly clusters = new Map<string, Cluster>();
  private watches?: { fds: WatchCache<FlinkDeploymentObject>; pods: WatchCache<Pod> };

  private constructor(
    private readonly server: http.Server,
    options: Omit<FakeFlinkPlatformOptions, 'startupMs' | 'spareTaskManagers'>,
  ) {
    // startupMs 0: a cluster runs as soon as it is deployed (the operator double already waited for its pods).
    this.platform = new FakeFlinkPlatform(new SystemClock(), { ...options, startupMs: 0, spareTaskManagers: 0 });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => void this.answer(req, res));
  }

  /** Listens on a free loopback port. `options`: the simulated job's capacity and timings. */
  static async start(options: Omit<FakeFlinkPlatformOptions, 'startupMs' | 'spareTaskManagers'> = {}): Promise<FlinkRestDouble> {
    const server = http.createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
    return new FlinkRestDouble(server, options);
  }

  /** Khaos's `k8s.restUrlTemplate` for this double. */
  get urlTemplate(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/{namespace}/{name}`;
  }

  /** Clusters that run now, as `<namespace>/<name>`. */
  get running(): string[] {
    return [...this.clusters.keys()];
  }

  /**
   * Follows the FlinkDeployments and Flink pods of namespace `ns` (watches, with `api`'s token):
   * clusters start and end with them, and TaskManagers with their pods.
   */
  async follow(api: K8sApi, ns: string): Promise<void> {
    const kick = () => this.reconcile(ns);
    const trouble = (m: string) => this.errors.push(m);
    if (this.watches) throw new KhaosError('bug', 'the Flink REST double follows one namespace');
    this.watches = {
      fds: new WatchCache(api, `/apis/flink.apache.org/v1beta1/namespaces/${ns}/flinkdeployments`, 'FlinkDeployments', '', kick, trouble),
      pods: new WatchCache(api, `/api/v1/namespaces/${ns}/pods`, 'Flink pods', 'type=flink-native-kubernetes', kick, trouble),
    };
    await this.watches.fds.start();
    await this.watches.pods.start();
  }

  /**
   * Starts the cluster of FlinkDeployment `ns/name` running `request`, its TaskManagers registered
   * as `pods` (one per subtask).
   */
  deploy(ns: string, name: string, request: Omit<ReplicaRequest, 'name'>, pods: string[], jobManager?: string): void {
    const replica = `${ns}/${name}`;
    if (this.clusters.has(replica)) throw new KhaosError('bug', `the Flink REST double already runs ${replica}`);
    // startupMs is 0: startReplica does its work before it first awaits.
    void this.platform.startReplica({ ...request, name: replica }).catch((e: Error) => this.errors.push(`${replica}: ${e.message}`));
    const tms = this.platform.inspect(replica).taskManagers;
    this.clusters.set(replica, { replica, podOf: new Map(tms.map((tm, i) => [tm.id, [...pods].sort()[i]!])), jobManager });
  }

  /** The JobManager of `ns/name` is gone: its REST answers no more. */
  undeploy(ns: string, name: string): void {
    const replica = `${ns}/${name}`;
    if (!this.clusters.delete(replica)) return;
    void this.platform.stopReplica(replica);
  }

  /**
   * The TaskManager pods of `ns/name` that run now: the TaskManager of each pod no longer among
   * them dies; once as many new pods run as TaskManagers died, new TaskManagers register as them.
   */
  taskManagerPods(ns: string, name: string, live: string[]): void {
    const c = this.clusters.get(`${ns}/${name}`);
    if (!c) return;
    const tms = () => this.platform.inspect(c.replica).taskManagers;
    for (const tm of tms()) {
      // The fake's kill acts before it first awaits.
      if (tm.alive && !live.includes(podOf(c, tm.id))) void this.platform.injectorFor(c.replica).inject({ type: 'kill', taskManagerId: tm.id }).catch((e: Error) => this.errors.push(`${c.replica}: ${e.message}`));
    }
    const mapped = new Set(c.podOf.values());
    const fresh = live.filter((p) => !mapped.has(p)).sort();
    const dead = tms().filter((tm) => !tm.alive).length;
    if (dead === 0 || fresh.length < dead) return;
    void this.platform
      .restartDeadTaskManagers(c.replica)
      .then((ids) => ids.forEach((id, i) => c.podOf.set(id, fresh[i]!)))
      .catch((e: Error) => this.errors.push(`${c.replica}: ${e.message}`));
  }

  async stop(): Promise<void> {
    this.watches?.fds.close();
    this.watches?.pods.close();
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** Starts, follows and ends the clusters of namespace `ns` from what the watches show. */
  private reconcile(ns: string): void {
    if (!this.watches) return;
    const { fds, pods } = this.watches;
    const running = (name: string, component: string) =>
      [...pods.objects.values()].filter((p) => p.metadata.labels?.app === name && p.metadata.labels?.component === component && p.status?.phase === 'Running' && !p.metadata.deletionTimestamp).map((p) => p.metadata.name);
    for (const replica of this.running) {
      const name = replica.slice(ns.length + 1);
      const fd = fds.objects.get(name);
      // A JobManager pod other than the cluster's is a new JobManager: the old one's job is gone.
      const jm = this.clusters.get(replica)!.jobManager;
      if (!fd || fd.metadata.deletionTimestamp || running(name, 'jobmanager').length === 0 || (jm && !running(name, 'jobmanager').includes(jm))) this.undeploy(ns, name);
    }
    for (const fd of fds.objects.values()) {
      const name = fd.metadata.name;
      const tms = running(name, 'taskmanager');
      if (this.clusters.has(`${ns}/${name}`)) {
        this.taskManagerPods(ns, name, tms);
        continue;
      }
      const parallelism = fd.spec.job?.parallelism ?? 1;
      // A job without checkpointing is not modelled: no cluster answers for it.
      const intervalMs = intervalOf(fd);
      if (intervalMs === undefined || fd.metadata.deletionTimestamp || fd.status?.jobStatus?.state !== 'RUNNING' || running(name, 'jobmanager').length === 0 || tms.length < parallelism) continue;
      this.deploy(ns, name, {
        job: builtInJob((fd.metadata.labels?.[LABELS.job] ?? 'iot') as JobKind), checkpointIntervalMs: intervalMs, parallelism,
        inputTopic: argOf(fd, '--input-topic'), outputTopic: argOf(fd, '--output-topic'), auditTopic: argOf(fd, '--audit-topic'), groupId: argOf(fd, '--group-id'),
      }, tms.slice(0, parallelism), running(name, 'jobmanager')[0]);
    }
  }

  /** One request: `/<namespace>/<name>/<Flink REST path>`. */
  private async answer(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://double');
    const [, ns, name, ...rest] = url.pathname.split('/');
    const path = `/${rest.join('/')}`;
    const send = (status: number, body: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8' }).end(JSON.stringify(body));
    };
    const c = this.clusters.get(`${ns}/${name}`);
    if (!c) return send(503, { errors: [`no JobManager of FlinkDeployment ${ns}/${name} runs (Flink REST test double)`] });
    const route = ROUTES.map(([method, re, a]) => [method === req.method ? re.exec(path) : null, a] as const).find(([m]) => m);
    if (!route) return send(404, { errors: [`Not found: ${path}`] });
    try {
      const flink = this.platform.flinkAt(this.platform.replica(c.replica).restUrl);
      send(200, await route[1](flink, route[0]!, url.searchParams, c));
    } catch (e) {
      // The fake names Flink's own refusals ("… answered 404: {json}") and a JobManager that is down (ECONNREFUSED).
      const message = (e as Error).message;
      const refused = /answered (\d{3}): (\{.*\})$/.exec(message);
      if (refused) return send(Number(refused[1]), JSON.parse(refused[2]!));
      send(/ECONNREFUSED/.test(message) ? 503 : 500, { errors: [message] });
    }
  }
}
