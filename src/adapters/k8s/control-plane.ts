import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { KhaosError } from '../../core/errors.js';
import { commandLine, freePort, isAlive, releasePort, spawnDetached, terminate } from '../system/processes.js';
import { K8sApi } from './api.js';

/**
 * A real Kubernetes control plane on loopback for tests: etcd, kube-apiserver (token auth, RBAC),
 * kube-controller-manager (node lifecycle on), kube-scheduler and kwok with one simulated node,
 * with the CRDs of the Flink operator and Chaos Mesh loaded. Binaries come from
 * scripts/k8s/build.sh. kwok pods run no containers: this tests everything up to the API boundary.
 */

/** Where the binaries are: `${KHAOS_K8S_CACHE:-~/.cache/khaos-k8s}` (bin/ and kwok-stages/). */
export const k8sCacheDir = () => process.env.KHAOS_K8S_CACHE ?? path.join(os.homedir(), '.cache', 'khaos-k8s');

export interface ControlPlaneOptions {
  /** Data directory (etcd, certificates, logs, kubeconfig, state.json); created, must not hold a running control plane. */
  dir: string;
  /** Folder of CRD YAML files to load. */
  crdsDir: string;
  cacheDir?: string;
  progress?: (line: string) => void;
  /** Deadline of each wait (a process healthy, a CRD Established, the node Ready). */
  waitMs?: number;
  /** When set, a watchdog stops the control plane once this process is gone (a test killed with -9 leaves nothing). */
  ownerPid?: number;
}

/** What `startControlPlane` leaves in `<dir>/state.json`. */
export interface ControlPlaneState {
  dir: string;
  server: string;
  kubeconfig: string;
  caFile: string;
  /** Admin token (group system:masters). */
  token: string;
  /** In start order; stopped in reverse (the API server before etcd). */
  processes: { name: string; pid: number }[];
  crds: string[];
  node: string;
  /** Seconds since the start, per milestone. */
  timings: Record<string, number>;
  /** The watchdog of `ownerPid`, when one runs. */
  watchdogPid?: number;
}

const COMPONENTS = ['etcd', 'kube-apiserver', 'kube-controller-manager', 'kube-scheduler', 'kwok'] as const;
const NODE = 'kwok-node-0';

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.error || r.status !== 0) throw new KhaosError('environment', `openssl ${args[0]} failed: ${r.error?.message ?? r.stderr}`, 'install openssl (apt-get install openssl)');
}

/** A CA, the API server's certificate for 127.0.0.1 and localhost, and the service-account signing key pair. */
function writeCertificates(dir: string): void {
  openssl(dir, ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '30', '-subj', '/CN=khaos-test-ca']);
  openssl(dir, ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', 'apiserver.key', '-out', 'apiserver.csr', '-subj', '/CN=kube-apiserver']);
  fs.writeFileSync(path.join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc\n');
  openssl(dir, ['x509', '-req', '-in', 'apiserver.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'apiserver.crt', '-days', '30', '-extfile', 'san.ext']);
  const { privateKey, publicKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
  fs.writeFileSync(path.join(dir, 'sa.key'), privateKey, { mode: 0o600 });
  fs.writeFileSync(path.join(dir, 'sa.pub'), publicKey);
}

/** A kubeconfig of one cluster (inline CA) and one user with a bearer token, as Khaos reads it. */
export function kubeconfig(server: string, ca: string, token: string): string {
  const b64 = Buffer.from(ca).toString('base64');
  return [
    'apiVersion: v1', 'kind: Config', 'current-context: khaos',
    'clusters:', '- name: khaos', '  cluster:', `    server: ${server}`, `    certificate-authority-data: ${b64}`,
    'users:', '- name: admin', '  user:', `    token: ${token}`,
    'contexts:', '- name: khaos', '  context:', '    cluster: khaos', '    user: admin', '',
  ].join('\n');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const tail = (file: string, lines = 12) => (fs.existsSync(file) ? fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n') : '(no log)');

/**
 * Polls `check` until it returns true, failing at once if process `pid` has exited, and with
 * KhaosError('timeout') after `ms`, naming what was awaited and the last thing seen.
 */
async function waitFor(what: string, ms: number, check: () => Promise<true | string>, proc?: { pid: number; log: string }): Promise<void> {
  const deadline = Date.now() + ms;
  let last = 'nothing yet';
  while (Date.now() < deadline) {
    if (proc && !isAlive(proc.pid)) throw new KhaosError('environment', `${what}: the process exited; its log ends with:\n${tail(proc.log)}`, `see ${proc.log}`);
    try {
      const r = await check();
      if (r === true) return;
      last = r;
    } catch (e) {
      last = (e as Error).message;
    }
    await sleep(200);
  }
  throw new KhaosError('timeout', `${what}: not within ${ms / 1000} s (last seen: ${last})`, proc ? `see ${proc.log}` : undefined);
}

const condition = (body: unknown, type: string) => ((body as { status?: { conditions?: { type: string; status: string }[] } })?.status?.conditions ?? []).find((c) => c.type === type)?.status;

/** Stops the processes of `state` in reverse start order (API server before etcd) and waits until each is gone. */
export async function stopControlPlane(state: Pick<ControlPlaneState, 'dir' | 'processes' | 'watchdogPid'>): Promise<void> {
  for (const p of [...state.processes].reverse()) {
    // Only a process of this control plane: its command line names the data directory.
    if ((commandLine(p.pid) ?? '').includes(state.dir)) await terminate(p.pid, 10_000);
  }
  if (state.watchdogPid && (commandLine(state.watchdogPid) ?? '').includes(state.dir)) await terminate(state.watchdogPid, 2000);
}

/**
 * A detached watchdog: once `ownerPid` is gone, it stops the processes listed in `<dir>/pids`
 * (newest first: the API server before etcd), each only if its command line names `dir`.
 */
function startWatchdog(dir: string, ownerPid: number): number {
  const script = `
    while kill -0 ${ownerPid} 2>/dev/null; do sleep 1; done
    for sig in TERM KILL; do
      tac "$0/pids" 2>/dev/null | while read -r p; do
        if tr '\\0' ' ' < /proc/$p/cmdline 2>/dev/null | grep -qF -- "$0"; then kill -$sig $p; fi
      done
      sleep 3
    done`;
  return spawnDetached('bash', ['-c', script, dir], { logFile: path.join(dir, 'watchdog.log') });
}

/** Stops the control plane whose state is in `dir` (`khaos`'s script `down`). Returns how many processes it stopped. */
export async function stopControlPlaneIn(dir: string): Promise<number> {
  const file = path.join(dir, 'state.json');
  if (!fs.existsSync(file)) throw new KhaosError('bad-input', `no control plane in ${dir} (no state.json)`, 'give the directory `up` printed');
  const state = JSON.parse(fs.readFileSync(file, 'utf8')) as ControlPlaneState;
  const alive = state.processes.filter((p) => isAlive(p.pid)).length;
  await stopControlPlane(state);
  return alive;
}

/**
 * Starts the control plane in `opts.dir` and waits until the API server is ready, every CRD
 * Established and the kwok node Ready. On any failure it stops what it started and throws.
 * The processes outlive this call (detached); stop them with `stopControlPlane`.
 */
export async function startControlPlane(opts: ControlPlaneOptions): Promise<ControlPlaneState> {
  const t0 = Date.now();
  const cache = opts.cacheDir ?? k8sCacheDir();
  const progress = opts.progress ?? (() => undefined);
  const waitMs = opts.waitMs ?? 60_000;
  const bin = (name: string) => path.join(cache, 'bin', name);
  const missing = COMPONENTS.filter((c) => !fs.existsSync(bin(c)));
  if (missing.length > 0) throw new KhaosError('environment', `Kubernetes binaries missing in ${cache}/bin: ${missing.join(', ')}`, 'build them once with scripts/k8s/build.sh (minutes the first time)');
  const dir = path.resolve(opts.dir);
  if (fs.existsSync(path.join(dir, 'state.json'))) throw new KhaosError('bad-input', `${dir} already holds a control plane`, 'stop it (`down`) and remove the directory, or use another');
  fs.mkdirSync(dir, { recursive: true });

  const state: ControlPlaneState = { dir, server: '', kubeconfig: path.join(dir, 'kubeconfig'), caFile: path.join(dir, 'ca.crt'), token: crypto.randomBytes(24).toString('hex'), processes: [], crds: [], node: NODE, timings: {} };
  const mark = (what: string) => {
    state.timings[what] = (Date.now() - t0) / 1000;
    progress(`${what} (${state.timings[what]!.toFixed(1)} s)`);
  };
  const save = () => fs.writeFileSync(path.join(dir, 'state.json'), JSON.stringify(state, null, 2));
  const start = (name: string, args: string[]) => {
    const log = path.join(dir, `${name}.log`);
    const pid = spawnDetached(bin(name), args, { logFile: log, cwd: dir });
    state.processes.push({ name, pid });
    fs.appendFileSync(path.join(dir, 'pids'), `${pid}\n`);
    save();
    return { pid, log };
  };
  const ports: number[] = [];
  const port = async () => {
    const p = await freePort();
    ports.push(p);
    return p;
  };

  if (opts.ownerPid) state.watchdogPid = startWatchdog(dir, opts.ownerPid);
  try {
    writeCertificates(dir);
    fs.writeFileSync(path.join(dir, 'tokens.csv'), `${state.token},admin,admin,system:masters\n`, { mode: 0o600 });
    const [etcdPort, peerPort, apiPort] = [await port(), await port(), await port()];

    const etcd = start('etcd', [
      '--name', 'khaos', '--data-dir', path.join(dir, 'etcd'),
      '--listen-client-urls', `http://127.0.0.1:${etcdPort}`, '--advertise-client-urls', `http://127.0.0.1:${etcdPort}`,
      '--listen-peer-urls', `http://127.0.0.1:${peerPort}`, '--initial-advertise-peer-urls', `http://127.0.0.1:${peerPort}`,
      '--initial-cluster', `khaos=http://127.0.0.1:${peerPort}`,
    ]);
    await waitFor('etcd healthy', waitMs, async () => {
      const r = await fetch(`http://127.0.0.1:${etcdPort}/health`);
      return ((await r.json()) as { health?: string }).health === 'true' || `health ${r.status}`;
    }, etcd);
    mark('etcd healthy');

    state.server = `https://127.0.0.1:${apiPort}`;
    const apiserver = start('kube-apiserver', [
      `--etcd-servers=http://127.0.0.1:${etcdPort}`, '--bind-address=127.0.0.1', '--advertise-address=127.0.0.1', `--secure-port=${apiPort}`,
      `--cert-dir=${path.join(dir, 'apiserver-certs')}`, `--tls-cert-file=${path.join(dir, 'apiserver.crt')}`, `--tls-private-key-file=${path.join(dir, 'apiserver.key')}`,
      `--token-auth-file=${path.join(dir, 'tokens.csv')}`, '--authorization-mode=Node,RBAC', '--anonymous-auth=false',
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local', `--service-account-key-file=${path.join(dir, 'sa.pub')}`, `--service-account-signing-key-file=${path.join(dir, 'sa.key')}`,
      '--service-cluster-ip-range=10.96.0.0/24', '--enable-priority-and-fairness=false',
      // A loopback advertise address is refused by the endpoint reconciler; nothing here needs the kubernetes Service's endpoints.
      '--endpoint-reconciler-type=none',
    ]);
    const ca = fs.readFileSync(state.caFile, 'utf8');
    fs.writeFileSync(state.kubeconfig, kubeconfig(state.server, ca, state.token), { mode: 0o600 });
    save();
    const api = new K8sApi({ server: state.server, ca, token: state.token });
    try {
      await waitFor('kube-apiserver ready', waitMs, async () => {
        const r = await api.request('GET', '/readyz');
        return (r.status === 200 && r.body === 'ok') || `readyz ${r.status}`;
      }, apiserver);
      mark('kube-apiserver ready');

      const kc = `--kubeconfig=${state.kubeconfig}`;
      start('kube-controller-manager', [kc, '--secure-port=0', '--leader-elect=false', `--service-account-private-key-file=${path.join(dir, 'sa.key')}`, `--root-ca-file=${state.caFile}`, '--use-service-account-credentials=false']);
      start('kube-scheduler', [kc, '--secure-port=0', '--leader-elect=false']);
      const stages = path.join(cache, 'kwok-stages');
      const stageFiles = fs.readdirSync(stages).map((f) => `--config=${path.join(stages, f)}`);
      // --node-port=0: no kwok server, so nothing to collide with another control plane's.
      const kwok = start('kwok', [kc, '--manage-all-nodes=false', '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake', '--node-port=0', '--node-lease-duration-seconds=40', '--cidr=10.244.0.0/16', '--node-ip=10.0.0.1', ...stageFiles]);

      for (const file of fs.readdirSync(opts.crdsDir).filter((f) => /\.ya?ml$/.test(f))) {
        for (const doc of YAML.parseAllDocuments(fs.readFileSync(path.join(opts.crdsDir, file), 'utf8')).map((d) => d.toJSON() as { kind?: string; metadata: { name: string } })) {
          if (doc?.kind !== 'CustomResourceDefinition') continue;
          const r = await api.request('POST', '/apis/apiextensions.k8s.io/v1/customresourcedefinitions', doc);
          if (r.status !== 201) throw new KhaosError('platform', `loading CRD ${doc.metadata.name} from ${file}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
          state.crds.push(doc.metadata.name);
        }
      }
      for (const name of state.crds) {
        await waitFor(`CRD ${name} Established`, waitMs, async () => {
          const r = await api.request('GET', `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${name}`);
          return condition(r.body, 'Established') === 'True' || `Established=${condition(r.body, 'Established') ?? 'absent'}`;
        }, apiserver);
      }
      mark(`${state.crds.length} CRDs Established`);

      const node = { apiVersion: 'v1', kind: 'Node', metadata: { name: NODE, annotations: { 'kwok.x-k8s.io/node': 'fake' }, labels: { type: 'kwok', 'kubernetes.io/hostname': NODE } }, spec: {} };
      const r = await api.request('POST', '/api/v1/nodes', node);
      if (r.status !== 201) throw new KhaosError('platform', `creating node ${NODE}: ${r.status} ${JSON.stringify(r.body).slice(0, 300)}`);
      await waitFor(`node ${NODE} Ready`, waitMs, async () => {
        const n = await api.request('GET', `/api/v1/nodes/${NODE}`);
        return condition(n.body, 'Ready') === 'True' || `Ready=${condition(n.body, 'Ready') ?? 'absent'}`;
      }, kwok);
      mark(`node ${NODE} Ready`);
    } finally {
      api.close();
    }
    save();
    return state;
  } catch (e) {
    progress(`start failed, stopping what was started: ${(e as Error).message.split('\n')[0]}`);
    await stopControlPlane(state);
    throw e;
  } finally {
    // The processes hold their ports now (or are gone): the reservations are no longer needed.
    for (const p of ports) releasePort(p);
  }
}
