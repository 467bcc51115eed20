import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { KhaosError } from '../../core/errors.js';

/** What Khaos needs from a kubeconfig: the API server, its CA (PEM) and a bearer token. */
export interface KubeEndpoint {
  server: string;
  ca: string;
  token: string;
}

interface Named<T> {
  name: string;
  [key: string]: unknown;
  cluster?: T;
  user?: T;
  context?: T;
}

type Fields = Record<string, unknown>;

/**
 * The endpoint of a kubeconfig's current context (or `context`): server; CA from
 * `certificate-authority-data` or the file `certificate-authority` (relative to the kubeconfig);
 * token from `token` or `tokenFile`. Khaos authenticates with a bearer token only, the token of
 * the ServiceAccount bound to its rendered Role: client certificates and exec plugins are refused
 * with a message saying how to get a token. Throws KhaosError('bad-input') naming what is missing.
 */
export function parseKubeconfig(text: string, file: string, context?: string): KubeEndpoint {
  const fix = 'give Khaos a kubeconfig with a bearer token: kubectl -n <namespace> create token khaos (the ServiceAccount `khaos k8s render` prints), in a user entry `token: …`';
  let doc: { 'current-context'?: string; contexts?: Named<Fields>[]; clusters?: Named<Fields>[]; users?: Named<Fields>[] };
  try {
    doc = (YAML.parse(text) ?? {}) as typeof doc;
  } catch (e) {
    throw new KhaosError('bad-input', `kubeconfig ${file} is not YAML: ${(e as Error).message}`, fix);
  }
  const wanted = context ?? doc['current-context'];
  if (!wanted) throw new KhaosError('bad-input', `kubeconfig ${file} names no current-context`, 'set one (kubectl config use-context NAME) or name the context in k8s.context');
  const find = (list: Named<Fields>[] | undefined, name: unknown, what: string) => {
    const entry = (list ?? []).find((x) => x.name === name);
    if (!entry) throw new KhaosError('bad-input', `kubeconfig ${file}: ${what} "${String(name)}" is not defined`, `define it, or pick another context (k8s.context)`);
    return entry;
  };
  const ctx = find(doc.contexts, wanted, 'context').context ?? {};
  const cluster = find(doc.clusters, ctx.cluster, 'cluster').cluster ?? {};
  const user = find(doc.users, ctx.user, 'user').user ?? {};
  const server = cluster.server;
  if (typeof server !== 'string' || !/^https:\/\//.test(server)) throw new KhaosError('bad-input', `kubeconfig ${file}: cluster "${String(ctx.cluster)}" has no https server`, 'Khaos talks to the API server over HTTPS');
  const near = (f: string) => path.resolve(path.dirname(file), f);
  const readFile = (f: string, what: string) => {
    try {
      return fs.readFileSync(near(f), 'utf8');
    } catch (e) {
      throw new KhaosError('bad-input', `kubeconfig ${file}: ${what} ${near(f)} cannot be read: ${(e as Error).message}`, fix);
    }
  };
  const ca = typeof cluster['certificate-authority-data'] === 'string' ? Buffer.from(cluster['certificate-authority-data'], 'base64').toString('utf8') : typeof cluster['certificate-authority'] === 'string' ? readFile(cluster['certificate-authority'], 'certificate-authority') : undefined;
  if (!ca) throw new KhaosError('bad-input', `kubeconfig ${file}: cluster "${String(ctx.cluster)}" has no certificate-authority(-data)`, 'Khaos checks the API server’s certificate against the CA given there');
  const token = typeof user.token === 'string' ? user.token : typeof user.tokenFile === 'string' ? readFile(user.tokenFile, 'tokenFile').trim() : undefined;
  if (!token) {
    const other = ['exec', 'client-certificate', 'client-certificate-data', 'auth-provider', 'username'].find((k) => k in user);
    throw new KhaosError('bad-input', `kubeconfig ${file}: user "${String(ctx.user)}" has no token${other ? ` (it authenticates with ${other}, which Khaos does not use)` : ''}`, fix);
  }
  return { server: server.replace(/\/+$/, ''), ca, token };
}

/** The kubeconfig file to read: the one given, else $KUBECONFIG's first entry, else ~/.kube/config. */
export function kubeconfigPath(given: string | undefined, env: NodeJS.ProcessEnv = process.env, home = env.HOME ?? ''): string {
  return given ?? env.KUBECONFIG?.split(path.delimiter).find(Boolean) ?? path.join(home, '.kube', 'config');
}
