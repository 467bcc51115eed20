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

export class K8sApi {
  private readonly agent: https.Agent;

  constructor(private readonly endpoint: ApiEndpoint) {
    this.agent = new https.Agent({ ca: endpoint.ca, keepAlive: true });
  }

  /** An API client from a kubeconfig Khaos wrote (one cluster with inline CA, one user with a token). */
  static fromKubeconfig(file: string): K8sApi {
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
    return new Promise((resolve, reject) => {
      const req = https.request(url, { method, agent: this.agent, headers: { authorization: `Bearer ${this.endpoint.token}`, accept: 'application/json', ...(payload ? { 'content-type': contentType } : {}) } }, (res) => {
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
    throw new KhaosError(r.status === 403 ? 'environment' : 'bad-input', `the API server refused ${obj.kind} ${obj.metadata.name}: ${describeRefusal(r)}`, r.status === 403 ? 'Khaos’s Role lacks this right; apply the Role of `khaos k8s render`' : 'fix the fields named above');
  }

  close(): void {
    this.agent.destroy();
  }
}
