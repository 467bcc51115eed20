import fs from 'node:fs';
import https from 'node:https';
import { KhaosError } from '../../core/errors.js';
import { parseKubeconfig } from './kubeconfig.js';

/**
 * The few Kubernetes API calls Khaos makes, over HTTPS with a bearer token: no client library, so
 * that what is sent is exactly the object Khaos checked. A refusal by the API server becomes a
 * KhaosError naming the fields the server names.
 */

/** Where the API server is and how to authenticate. */
export interface ApiEndpoint {
  /** `https://127.0.0.1:6443` */
  server: string;
  /** PEM of the CA that signed the server's certificate. */
  ca: string;
  token: string;
}

export interface ApiResponse {
  status: number;
  body: unknown;
}

/** A Kubernetes `Status` (the body of every refusal). */
interface StatusBody {
  kind?: string;
  code?: number;
  reason?: string;
  message?: string;
  details?: { causes?: { field?: string; message?: string }[] };
}

/** Resource paths of the kinds Khaos creates. */
const PLURALS: Record<string, string> = {
  FlinkDeployment: 'flinkdeployments',
  PodChaos: 'podchaos',
  ServiceAccount: 'serviceaccounts',
  Role: 'roles',
  RoleBinding: 'rolebindings',
  Namespace: 'namespaces',
  Node: 'nodes',
  Pod: 'pods',
  CustomResourceDefinition: 'customresourcedefinitions',
};

/** `/apis/flink.apache.org/v1beta1/namespaces/khaos/flinkdeployments` (core group under /api). */
export function collectionPath(obj: { apiVersion: string; kind: string; metadata?: { namespace?: string } }): string {
  const plural = PLURALS[obj.kind];
  if (!plural) throw new KhaosError('bug', `no resource path known for kind ${obj.kind}`);
  const base = obj.apiVersion.includes('/') ? `/apis/${obj.apiVersion}` : `/api/${obj.apiVersion}`;
  return `${base}${obj.metadata?.namespace ? `/namespaces/${obj.metadata.namespace}` : ''}/${plural}`;
}

/** The refusal in `r` as one line: reason, then each field the server names with its message. */
export function describeRefusal(r: ApiResponse): string {
  const s = (r.body ?? {}) as StatusBody;
  const causes = (s.details?.causes ?? []).map((c) => `${c.field ? `${c.field}: ` : ''}${c.message ?? ''}`);
  return `${r.status} ${s.reason ?? ''}: ${causes.length > 0 ? causes.join('; ') : (s.message ?? JSON.stringify(r.body))}`;
}

/**
 * A 403 as the error a user can act on. The server's message names what was refused
 * (`… cannot list resource "secrets" in API group "" in the namespace "khaos"`); `verb` and
 * `resource` stand in when it does not.
 */
export function forbiddenError(r: ApiResponse, fallback: { verb: string; resource: string; namespace?: string }): KhaosError {
  const message = ((r.body ?? {}) as StatusBody).message ?? '';
  const m = /cannot (\S+) resource "([^"]+)"(?: in API group "([^"]*)")?(?: in the namespace "([^"]+)")?/.exec(message);
  const [verb, resource, group, namespace] = m ? [m[1]!, m[2]!, m[3], m[4]] : [fallback.verb, fallback.resource, undefined, fallback.namespace];
  const where = namespace ? `in namespace ${namespace}` : 'cluster-wide';
  return new KhaosError('environment', `the Role lacks ${verb} on ${resource}${group ? ` (API group ${group})` : ''} ${where}: add it to the Role (khaos k8s render prints it)${message ? ` [${message}]` : ''}`, 'apply the Role, RoleBinding and ServiceAccount that `khaos k8s render` prints, and run Khaos with that ServiceAccount’s token');
}

export class K8sApi {
  private readonly agent: https.Agent;

  constructor(private readonly endpoint: ApiEndpoint) {
    this.agent = new https.Agent({ ca: endpoint.ca, keepAlive: true });
  }

  /** The API server's URL (`https://127.0.0.1:6443`). */
  get server(): string {
    return this.endpoint.server;
  }

  /** An API client from a kubeconfig (its current context, or `context`): see parseKubeconfig for what it must hold. */
  static fromKubeconfig(file: string, context?: string): K8sApi {
    if (!fs.existsSync(file)) throw new KhaosError('environment', `no kubeconfig at ${file}`, 'point KUBECONFIG (or k8s.kubeconfig) at the kubeconfig of the cluster Khaos is to use');
    return new K8sApi(parseKubeconfig(fs.readFileSync(file, 'utf8'), file, context));
  }

  /** One request; any HTTP status resolves (the caller decides), a network failure throws KhaosError('environment'). */
  async request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    let r: { status: number; text: string };
    try {
      r = await this.send(method, new URL(path, this.endpoint.server), payload, contentType);
    } catch (e) {
      throw new KhaosError('environment', `Kubernetes API server ${this.endpoint.server} unreachable: ${(e as Error).message}`, 'is the control plane up? check the kubeconfig’s server', { cause: e });
    }
    let parsed: unknown = r.text;
    try {
      parsed = r.text ? JSON.parse(r.text) : undefined;
    } catch {
      // not JSON (e.g. /readyz's "ok"): keep the text
    }
    return { status: r.status, body: parsed };
  }

  /**
   * A `fetch` that sends requests to this API server with its CA and the bearer token, and any
   * other URL to the global fetch: for Flink's REST through the service proxy
   * (`<server>/api/v1/namespaces/<ns>/services/<name>-rest:8081/proxy`), where Khaos reads metrics
   * and the paced actuator triggers checkpoints. Honours `signal` (a time-out).
   */
  readonly fetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    if (url.origin !== new URL(this.endpoint.server).origin) return fetch(input, init);
    const contentType = new Headers(init.headers).get('content-type') ?? 'application/json';
    const r = await this.send(init.method ?? 'GET', url, typeof init.body === 'string' ? init.body : undefined, contentType, init.signal ?? undefined);
    return new Response(r.text === '' || r.status === 204 ? null : r.text, { status: r.status });
  };

  /** The HTTPS exchange itself: resolves with any status, rejects on a network failure or when `signal` aborts. */
  private send(method: string, url: URL, payload: string | undefined, contentType: string, signal?: AbortSignal): Promise<{ status: number; text: string }> {
    // content-length always: Node sends a DELETE's body neither chunked nor sized, so the server would not read it.
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, agent: this.agent, headers: { authorization: `Bearer ${this.endpoint.token}`, accept: 'application/json', ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      });
      req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
      if (signal?.aborted) req.destroy(signal.reason as Error);
      signal?.addEventListener('abort', () => req.destroy(signal.reason as Error), { once: true });
      req.on('error', reject);
      req.end(payload);
    });
  }

  /**
   * Creates `obj` with strict field validation (an unknown field is refused, not dropped). Throws
   * KhaosError('bad-input') naming the fields when the server refuses it.
   */
  async create<T extends { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } }>(obj: T): Promise<unknown> {
    const r = await this.request('POST', `${collectionPath(obj)}?fieldValidation=Strict`, obj);
    if (r.status >= 200 && r.status < 300) return r.body;
    if (r.status === 403) throw forbiddenError(r, { verb: 'create', resource: PLURALS[obj.kind] ?? obj.kind, namespace: obj.metadata.namespace });
    throw new KhaosError('bad-input', `the API server refused ${obj.kind} ${obj.metadata.name}: ${describeRefusal(r)}`, 'fix the fields named above');
  }

  /** `request`, except that a 403 throws forbiddenError (what the Role lacks); every other status resolves. */
  async call(method: string, path: string, body?: unknown, contentType?: string): Promise<ApiResponse> {
    const r = await this.request(method, path, body, contentType);
    if (r.status === 403) throw forbiddenError(r, { verb: method.toLowerCase(), resource: path });
    return r;
  }

  /**
   * A streaming GET (a watch): `onLine` gets each line of the body as it arrives. Resolves with the
   * status once the response starts; a non-2xx body is handed whole to `onLine`. `abort()` ends it.
   */
  stream(path: string, onLine: (line: string) => void, onEnd: (error?: Error) => void): { abort(): void; status: Promise<number> } {
    const url = new URL(path, this.endpoint.server);
    let buffered = '';
    const req = https.request(url, { method: 'GET', agent: this.agent, headers: { authorization: `Bearer ${this.endpoint.token}`, accept: 'application/json' } });
    const status = new Promise<number>((resolve, reject) => {
      req.on('response', (res) => {
        resolve(res.statusCode ?? 0);
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          buffered += c;
          for (let i = buffered.indexOf('\n'); i >= 0; i = buffered.indexOf('\n')) {
            const line = buffered.slice(0, i).trim();
            buffered = buffered.slice(i + 1);
            if (line) onLine(line);
          }
        });
        res.on('end', () => {
          if (buffered.trim()) onLine(buffered.trim());
          onEnd();
        });
        res.on('error', (e) => onEnd(e));
      });
      req.on('error', (e) => {
        reject(new KhaosError('environment', `Kubernetes API server ${this.endpoint.server} unreachable: ${e.message}`, 'is the control plane up? check the kubeconfig’s server', { cause: e }));
        onEnd(e);
      });
    });
    status.catch(() => undefined);
    req.end();
    return { abort: () => req.destroy(), status };
  }

  close(): void {
    this.agent.destroy();
  }
}
