import fs from 'node:fs';
import https from 'node:https';
import { KhaosError } from '../../core/errors.js';

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

  /** An API client from a kubeconfig Khaos wrote (one cluster with inline CA, one user with a token). */
  static fromKubeconfig(file: string): K8sApi {
    if (!fs.existsSync(file)) throw new KhaosError('environment', `no kubeconfig at ${file}`, 'point KUBECONFIG (or the option that named this file) at the kubeconfig of the cluster Khaos is to use');
    const text = fs.readFileSync(file, 'utf8');
    const field = (name: string) => new RegExp(`${name}: (\\S+)`).exec(text)?.[1];
    const [server, ca, token] = [field('server'), field('certificate-authority-data'), field('token')];
    if (!server || !ca || !token) throw new KhaosError('bad-input', `kubeconfig ${file} lacks a server, an inline CA or a token`, 'use the kubeconfig the control-plane script wrote');
    return new K8sApi({ server, ca: Buffer.from(ca, 'base64').toString('utf8'), token });
  }

  /** One request; any HTTP status resolves (the caller decides), a network failure throws KhaosError('environment'). */
  request(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<ApiResponse> {
    const url = new URL(path, this.endpoint.server);
    const payload = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
    // content-length always: Node sends a DELETE's body neither chunked nor sized, so the server would not read it.
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, agent: this.agent, headers: { authorization: `Bearer ${this.endpoint.token}`, accept: 'application/json', ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}) } }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (text += c));
        res.on('end', () => {
          let parsed: unknown = text;
          try {
            parsed = text ? JSON.parse(text) : undefined;
          } catch {
            // not JSON (e.g. /readyz's "ok"): keep the text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.setTimeout(10_000, () => req.destroy(new Error('no answer within 10 s')));
      req.on('error', (e) => reject(new KhaosError('environment', `Kubernetes API server ${this.endpoint.server} unreachable: ${e.message}`, 'is the control plane up? check the kubeconfig’s server', { cause: e })));
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
