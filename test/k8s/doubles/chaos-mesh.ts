import https from 'node:https';
import { K8sApi, type ApiEndpoint } from '../../../src/adapters/k8s/api.js';
import { getWhenServed } from '../../../src/adapters/k8s/watch.js';

/**
 * TEST DOUBLE: plays Chaos Mesh's controller manager against a real API server, for PodChaos
 * `pod-kill` only. It watches PodChaos objects in every namespace and, for each new one, does
 * what Chaos Mesh's desiredphase, records and condition controllers do (chaos-mesh/chaos-mesh
 * controllers/common/{records,condition}, pkg/selector/pod):
 *   - selects pods: `selector.pods` (namespace → names; a missing pod is skipped), else
 *     `selector.namespaces` (default: the PodChaos's own) with `labelSelectors`; with
 *     `filterNamespaces` on, only namespaces annotated `chaos-mesh.org/inject=enabled`
 *     (Chaos Mesh's enableFilterNamespace); mode `one` takes the first pod by name (Chaos Mesh
 *     takes one at random), `all` takes every pod;
 *   - deletes each selected pod with the PodChaos's `gracePeriod`;
 *   - writes the status as Chaos Mesh does: `experiment.desiredPhase: Run`, one
 *     `experiment.containerRecords` entry per pod (`id: <ns>/<name>`, `selectorKey: "."`,
 *     `phase: Injected`, an Apply/Succeeded event) and the conditions Selected, AllInjected,
 *     AllRecovered, Paused. When nothing is selected there are no records and Selected is False,
 *     as with Chaos Mesh ("no pod is selected").
 * It does NOT model: actions other than pod-kill (it records a failed Apply event for them),
 * modes fixed/fixed-percent/random-max-percent (taken as `one`), expression/annotation/field/node/phase selectors,
 * Chaos Mesh's admission webhook, finalizers, duration and recovery, Kubernetes Events, cluster
 * scope or a target namespace. kwok pods run no containers, so "killing" a pod removes the object.
 */

interface Pod {
  metadata: { name: string; namespace: string; labels?: Record<string, string>; deletionTimestamp?: string };
}

interface PodChaos {
  metadata: { name: string; namespace: string; uid: string; resourceVersion: string };
  spec: { action: string; mode: string; gracePeriod?: number; selector: { namespaces?: string[]; labelSelectors?: Record<string, string>; pods?: Record<string, string[]> } };
  status?: { experiment?: { containerRecords?: unknown[] } };
}

/** What the double did with one PodChaos: the recorder tests read. */
export interface ChaosSeen {
  name: string;
  namespace: string;
  action: string;
  gracePeriod?: number;
  selector: PodChaos['spec']['selector'];
  /** `<ns>/<name>` of each pod selected (and, for pod-kill, deleted). */
  killed: string[];
}

const PODCHAOS = '/apis/chaos-mesh.org/v1alpha1/podchaos';

export class ChaosMeshDouble {
  readonly seen: ChaosSeen[] = [];
  private readonly api: K8sApi;
  private readonly handled = new Set<string>();
  private work: Promise<void> = Promise.resolve();
  private watchReq?: ReturnType<typeof https.get>;
  private stopped = false;
  private retry?: NodeJS.Timeout;

  constructor(
    private readonly endpoint: ApiEndpoint,
    private readonly opts: { filterNamespaces?: boolean } = {},
  ) {
    this.api = new K8sApi(endpoint);
  }

  /** Lists the PodChaos objects there are, handles them, then watches for new ones. */
  async start(): Promise<void> {
    const r = await getWhenServed(this.api, PODCHAOS);
    if (r.status !== 200) throw new Error(`chaos-mesh double: listing PodChaos: ${r.status} ${JSON.stringify(r.body)}`);
    const list = r.body as { metadata: { resourceVersion: string }; items: PodChaos[] };
    for (const pc of list.items) this.enqueue(pc);
    this.watch(list.metadata.resourceVersion);
  }

  /** Stops watching and waits for the work in hand. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retry);
    this.watchReq?.destroy();
    await this.work;
    this.api.close();
  }

  private watch(resourceVersion: string): void {
    if (this.stopped) return;
    let rv = resourceVersion;
    let ended = false;
    const again = (from: string) => {
      // A watch ends (server time-out, the CRD deleted): start again unless stopped, re-listing when told to.
      if (ended) return;
      ended = true;
      if (!this.stopped) this.retry = setTimeout(() => (from ? this.watch(from) : this.start().catch(() => again(''))), 500);
    };
    const url = new URL(`${PODCHAOS}?watch=1&resourceVersion=${rv}`, this.endpoint.server);
    const req = https.get(url, { ca: this.endpoint.ca, headers: { authorization: `Bearer ${this.endpoint.token}` } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return again(rv);
      }
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).trim();
          buffer = buffer.slice(nl + 1);
          if (!line) continue;
          const event = JSON.parse(line) as { type: string; object: PodChaos & { code?: number } };
          if (event.type === 'ERROR') {
            rv = ''; // 410 Gone: re-list
            continue;
          }
          rv = event.object.metadata.resourceVersion;
          if (event.type === 'ADDED') this.enqueue(event.object);
        }
      });
      res.on('end', () => again(rv));
      res.on('error', () => again(rv));
    });
    req.on('error', () => again(rv));
    this.watchReq = req;
  }

  private enqueue(pc: PodChaos): void {
    if (this.handled.has(pc.metadata.uid) || pc.status?.experiment?.containerRecords) return;
    this.handled.add(pc.metadata.uid);
    this.work = this.work.then(() => this.reconcile(pc)).catch((e: Error) => console.error(`[chaos-mesh double] ${pc.metadata.name}: ${e.message}`));
  }

  private async reconcile(pc: PodChaos): Promise<void> {
    const pods = await this.select(pc);
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
    const records = [];
    for (const p of pods) {
      const id = `${p.metadata.namespace}/${p.metadata.name}`;
      if (pc.spec.action !== 'pod-kill') {
        records.push({ id, selectorKey: '.', phase: 'Not Injected', injectedCount: 0, recoveredCount: 0, events: [{ type: 'Failed', operation: 'Apply', timestamp: now, message: `the Chaos Mesh test double does not model ${pc.spec.action}` }] });
        continue;
      }
      const r = await this.api.request('DELETE', `/api/v1/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`, { apiVersion: 'v1', kind: 'DeleteOptions', gracePeriodSeconds: pc.spec.gracePeriod ?? 0 });
      const ok = r.status === 200 || r.status === 202;
      records.push({ id, selectorKey: '.', phase: ok ? 'Injected' : 'Not Injected', injectedCount: ok ? 1 : 0, recoveredCount: 0, events: [{ type: ok ? 'Succeeded' : 'Failed', operation: 'Apply', timestamp: now, ...(ok ? {} : { message: `delete pod: ${r.status}` }) }] });
    }
    this.seen.push({ name: pc.metadata.name, namespace: pc.metadata.namespace, action: pc.spec.action, gracePeriod: pc.spec.gracePeriod, selector: pc.spec.selector, killed: records.filter((x) => x.phase === 'Injected').map((x) => x.id) });
    const allInjected = records.length > 0 && records.every((x) => x.phase === 'Injected');
    const cond = (type: string, on: boolean) => ({ type, status: on ? 'True' : 'False' });
    const status = {
      experiment: { desiredPhase: 'Run', ...(records.length > 0 ? { containerRecords: records } : {}) },
      conditions: [cond('Selected', records.length > 0), cond('AllInjected', allInjected), cond('AllRecovered', false), cond('Paused', false)],
    };
    // This CRD has no status subresource: the status goes with the object, as Chaos Mesh's client.Update does.
    const r = await this.api.request('PATCH', `/apis/chaos-mesh.org/v1alpha1/namespaces/${pc.metadata.namespace}/podchaos/${pc.metadata.name}`, { status }, 'application/merge-patch+json');
    if (r.status !== 200 && r.status !== 404) throw new Error(`writing the status: ${r.status} ${JSON.stringify(r.body)}`);
  }

  private async select(pc: PodChaos): Promise<Pod[]> {
    const sel = pc.spec.selector ?? {};
    const allowed = async (ns: string) => {
      if (!this.opts.filterNamespaces) return true;
      const r = await this.api.request('GET', `/api/v1/namespaces/${ns}`);
      return (r.body as { metadata?: { annotations?: Record<string, string> } }).metadata?.annotations?.['chaos-mesh.org/inject'] === 'enabled';
    };
    let pods: Pod[] = [];
    if (sel.pods && Object.keys(sel.pods).length > 0) {
      for (const [ns, names] of Object.entries(sel.pods)) {
        if (!(await allowed(ns))) continue;
        for (const name of names) {
          const r = await this.api.request('GET', `/api/v1/namespaces/${ns}/pods/${name}`);
          if (r.status === 200) pods.push(r.body as Pod);
        }
      }
    } else {
      const labels = Object.entries(sel.labelSelectors ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
      for (const ns of sel.namespaces ?? [pc.metadata.namespace]) {
        if (!(await allowed(ns))) continue;
        const r = await this.api.request('GET', `/api/v1/namespaces/${ns}/pods?labelSelector=${encodeURIComponent(labels)}`);
        if (r.status === 200) pods.push(...(r.body as { items: Pod[] }).items);
      }
    }
    pods = pods.filter((p) => !p.metadata.deletionTimestamp).sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
    return pc.spec.mode === 'all' ? pods : pods.slice(0, 1);
  }
}
