import { KhaosError } from '../../core/errors.js';
import { describeRefusal, forbiddenError, type ApiResponse, type K8sApi } from './api.js';

/**
 * A local copy of the objects of one collection, kept current by the Kubernetes watch API: a LIST,
 * then a WATCH (`?watch=1&resourceVersion=…`) from the list's resourceVersion. When the server ends
 * a watch (it does every few minutes) the copy watches again from the last version seen; when that
 * version is too old (410 Gone) it lists again. Callers read `objects` synchronously and learn of
 * every change through `onChange`.
 */

export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata: { name: string; namespace?: string; uid?: string; resourceVersion?: string; generation?: number; labels?: Record<string, string>; deletionTimestamp?: string; finalizers?: string[]; ownerReferences?: { kind: string; name: string; uid: string }[] };
  [field: string]: unknown;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED';

interface WatchLine {
  type: WatchEventType | 'BOOKMARK' | 'ERROR';
  object: KubeObject & { code?: number; message?: string };
}

/** Pause before watching again after a dropped connection (not a poll: a watch runs meanwhile or none can). */
const REWATCH_DELAY_MS = 500;
/** How often a LIST the server answers "busy, come back" (429, 503) is tried again, REWATCH_DELAY_MS apart. */
const BUSY_RETRIES = 20;

/**
 * A GET tried again, REWATCH_DELAY_MS apart and at most BUSY_RETRIES times, while the server
 * answers 429 "storage is (re)initializing" or 503: a resource whose CRD was just established.
 */
export async function getWhenServed(api: K8sApi, path: string): Promise<ApiResponse> {
  let r = await api.call('GET', path);
  for (let tries = 0; (r.status === 429 || r.status === 503) && tries < BUSY_RETRIES; tries++) {
    await new Promise((resolve) => setTimeout(resolve, REWATCH_DELAY_MS));
    r = await api.call('GET', path);
  }
  return r;
}

export class WatchCache<T extends KubeObject> {
  readonly objects = new Map<string, T>();
  private resourceVersion = '';
  private current?: { abort(): void };
  private closed = false;
  private retry?: NodeJS.Timeout;

  /**
   * @param path collection path, e.g. `/apis/flink.apache.org/v1beta1/namespaces/khaos/flinkdeployments`
   * @param what the collection in words, for errors ("FlinkDeployments in namespace khaos")
   * @param labelSelector only objects with these labels (`k=v,k2=v2`)
   */
  constructor(
    private readonly api: K8sApi,
    private readonly path: string,
    private readonly what: string,
    private readonly labelSelector: string,
    private readonly onChange: (type: WatchEventType, obj: T) => void,
    private readonly onTrouble: (message: string) => void = () => undefined,
  ) {}

  /**
   * Lists, then watches. Throws KhaosError('environment') when the API server is unreachable, does
   * not serve the collection (its CRD is not installed: 404) or the token may not list or watch it
   * (403, naming the verb and resource).
   */
  async start(): Promise<void> {
    await this.list();
    // A token that may list but not watch would otherwise wait, silently, for changes that never come.
    if ((await this.watch()) === 403) {
      this.close();
      const namespace = /\/namespaces\/([^/]+)\//.exec(this.path)?.[1];
      throw forbiddenError({ status: 403, body: undefined }, { verb: 'watch', resource: this.path.slice(this.path.lastIndexOf('/') + 1), namespace });
    }
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.retry);
    this.current?.abort();
  }

  private query(extra = ''): string {
    return `${this.path}?labelSelector=${encodeURIComponent(this.labelSelector)}${extra}`;
  }

  private async list(): Promise<void> {
    const r = await getWhenServed(this.api, this.query());
    if (r.status === 404) throw new KhaosError('environment', `the API server does not serve ${this.what} (404 on ${this.path})`, 'its CustomResourceDefinition is not installed: install the Flink Kubernetes Operator 1.15 (or at least its CRDs) in the cluster');
    if (r.status !== 200) throw new KhaosError('platform', `listing ${this.what}: ${describeRefusal(r)}`);
    const body = r.body as { metadata: { resourceVersion: string }; items: T[] };
    const listed = new Set<string>();
    for (const item of body.items) {
      listed.add(item.metadata.name);
      const type = this.objects.has(item.metadata.name) ? 'MODIFIED' : 'ADDED';
      this.objects.set(item.metadata.name, item);
      this.onChange(type, item);
    }
    for (const [name, obj] of this.objects) {
      if (listed.has(name)) continue;
      this.objects.delete(name);
      this.onChange('DELETED', obj);
    }
    this.resourceVersion = body.metadata.resourceVersion;
  }

  /** Starts a watch from the last version seen; resolves with the status the server answered it with (0: no answer). */
  private watch(): Promise<number> {
    if (this.closed) return Promise.resolve(0);
    let gone = false;
    let refused = false;
    const stream = this.api.stream(
      this.query(`&watch=1&allowWatchBookmarks=true&resourceVersion=${this.resourceVersion}`),
      (line) => {
        let event: WatchLine;
        try {
          event = JSON.parse(line) as WatchLine;
        } catch {
          this.onTrouble(`watch of ${this.what}: not JSON: ${line.slice(0, 200)}`);
          return;
        }
        if (event.type === 'ERROR' || !event.object?.metadata) {
          gone ||= event.object?.code === 410;
          if (!gone) this.onTrouble(`watch of ${this.what}: ${event.object?.message ?? line.slice(0, 200)}`);
          return;
        }
        this.resourceVersion = event.object.metadata.resourceVersion ?? this.resourceVersion;
        if (event.type === 'BOOKMARK') return;
        const obj = event.object as T;
        if (event.type === 'DELETED') this.objects.delete(obj.metadata.name);
        else this.objects.set(obj.metadata.name, obj);
        this.onChange(event.type, obj);
      },
      (error) => {
        if (this.closed) return;
        if (error) this.onTrouble(`watch of ${this.what} dropped: ${error.message}`);
        const troubled = error !== undefined || refused;
        this.retry = setTimeout(() => void this.resume(gone || troubled), troubled ? REWATCH_DELAY_MS : 0);
      },
    );
    this.current = stream;
    stream.status.then((status) => {
      refused = status !== 200;
      if (status === 410) gone = true;
      else if (refused) this.onTrouble(`watch of ${this.what}: HTTP ${status}`);
    }, () => undefined);
    return stream.status.catch(() => 0);
  }

  /** After a watch ended: list again when the version was too old or the connection dropped (events may be lost), then watch. */
  private async resume(relist: boolean): Promise<void> {
    if (this.closed) return;
    try {
      if (relist) await this.list();
      void this.watch();
    } catch (e) {
      this.onTrouble(`re-listing ${this.what}: ${(e as Error).message}`);
      this.retry = setTimeout(() => void this.resume(true), REWATCH_DELAY_MS);
    }
  }
}

/**
 * Resolves with what `check` returns once it is defined, re-evaluated each time a member of
 * `waiters` is called (the caller calls them all at every change it sees); rejects with what
 * `check` throws, or with `timedOut()` after `ms`.
 */
export function whenChanged<T>(waiters: Set<() => void>, ms: number, check: () => T | undefined, timedOut: () => Error): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const done = () => {
      clearTimeout(timer);
      waiters.delete(evaluate);
    };
    const evaluate = () => {
      try {
        const v = check();
        if (v === undefined) return;
        done();
        resolve(v);
      } catch (err) {
        done();
        reject(err as Error);
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(timedOut());
    }, ms);
    waiters.add(evaluate);
    evaluate();
  });
}
