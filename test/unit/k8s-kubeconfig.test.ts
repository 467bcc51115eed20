import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { kubeconfigPath, parseKubeconfig } from '../../src/adapters/k8s/kubeconfig.js';
import { SqliteProfileStore } from '../../src/adapters/sqlite/sqlite-profile-store.js';
import { workloadsDir } from '../../src/compose.js';
import { khaosIn } from '../support/khaos-cli.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-kubeconfig-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));
const CA = '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n';

/** A kubeconfig of two contexts, as kubectl writes them. */
function config(user: Record<string, unknown>, cluster: Record<string, unknown> = { server: 'https://10.0.0.1:6443', 'certificate-authority-data': Buffer.from(CA).toString('base64') }) {
  return YAML.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'prod',
    clusters: [{ name: 'c1', cluster }, { name: 'c2', cluster: { server: 'https://10.0.0.2:6443/', 'certificate-authority': 'ca.crt' } }],
    users: [{ name: 'khaos', user }, { name: 'other', user: { tokenFile: 'token' } }],
    contexts: [{ name: 'prod', context: { cluster: 'c1', user: 'khaos' } }, { name: 'lab', context: { cluster: 'c2', user: 'other' } }],
  });
}

describe('parseKubeconfig', () => {
  it('takes the current context’s server, CA and token; another context by name, with CA and token files beside the kubeconfig', () => {
    expect(parseKubeconfig(config({ token: 'abc' }), '/x/kubeconfig')).toEqual({ server: 'https://10.0.0.1:6443', ca: CA, token: 'abc' });
    fs.writeFileSync(path.join(tmp, 'ca.crt'), CA);
    fs.writeFileSync(path.join(tmp, 'token'), 'def\n');
    expect(parseKubeconfig(config({ token: 'abc' }), path.join(tmp, 'kubeconfig'), 'lab')).toEqual({ server: 'https://10.0.0.2:6443', ca: CA, token: 'def' });
  });

  it('refuses, saying what to do: client certificates and exec plugins, no CA, a plain-HTTP server, an unknown context, no YAML', () => {
    expect(() => parseKubeconfig(config({ exec: { command: 'aws' } }), 'k')).toThrow(/user "khaos" has no token \(it authenticates with exec, which Khaos does not use\)/);
    expect(() => parseKubeconfig(config({ 'client-certificate-data': 'x', 'client-key-data': 'y' }), 'k')).toThrow(expect.objectContaining({ kind: 'bad-input', hint: expect.stringMatching(/kubectl -n <namespace> create token khaos/) }));
    expect(() => parseKubeconfig(config({ token: 'a' }, { server: 'https://h:6443' }), 'k')).toThrow(/cluster "c1" has no certificate-authority/);
    expect(() => parseKubeconfig(config({ token: 'a' }, { server: 'http://h:8080', 'certificate-authority-data': 'eA==' }), 'k')).toThrow(/has no https server/);
    expect(() => parseKubeconfig(config({ token: 'a' }), 'k', 'staging')).toThrow(/context "staging" is not defined/);
    expect(() => parseKubeconfig('clusters: [', 'k')).toThrow(/kubeconfig k is not YAML/);
    expect(() => parseKubeconfig(config({ token: 'a' }), path.join(tmp, 'nowhere', 'kubeconfig'), 'lab')).toThrow(/certificate-authority .*ca\.crt cannot be read/);
  });

  it('finds the file: the one given, else $KUBECONFIG’s first entry, else ~/.kube/config', () => {
    expect(kubeconfigPath('/a', { KUBECONFIG: '/b' })).toBe('/a');
    expect(kubeconfigPath(undefined, { KUBECONFIG: `/b${path.delimiter}/c` })).toBe('/b');
    expect(kubeconfigPath(undefined, {}, '/home/u')).toBe('/home/u/.kube/config');
  });
});

describe('khaos profile with platform: kubernetes, bad environment', () => {
  const khaos = khaosIn(workloadsDir());
  const withK8s = (k8s: Record<string, unknown>) => {
    const file = path.join(tmp, `profile-${Object.keys(k8s).join('-')}.yaml`);
    fs.writeFileSync(file, YAML.stringify({ ...YAML.parse(fs.readFileSync('examples/profile-iot.yaml', 'utf8')), platform: 'kubernetes', k8s }));
    return file;
  };

  it('no kubeconfig, or an unreachable API server: a clear error before any replica, and no profile stored', { timeout: 60_000 }, async () => {
    const home = process.env.KHAOS_HOME;
    process.env.KHAOS_HOME = path.join(tmp, 'home');
    try {
      const none = await khaos('profile', '--config', withK8s({ kubeconfig: path.join(tmp, 'no-such-kubeconfig') }));
      expect(none.code).not.toBe(0);
      expect(none.err).toMatch(/no kubeconfig at .*no-such-kubeconfig/);
      const unreachable = path.join(tmp, 'unreachable');
      fs.writeFileSync(unreachable, config({ token: 'a' }, { server: 'https://127.0.0.1:1', 'certificate-authority-data': Buffer.from(CA).toString('base64') }));
      const down = await khaos('profile', '--config', withK8s({ kubeconfig: unreachable }));
      expect(down.code).not.toBe(0);
      expect(down.err).toMatch(/Kubernetes API server https:\/\/127\.0\.0\.1:1 unreachable/);
      const store = new SqliteProfileStore(path.join(tmp, 'home', 'khaos.db'));
      expect(store.listProfiles()).toEqual([]);
      store.close();
    } finally {
      if (home === undefined) delete process.env.KHAOS_HOME;
      else process.env.KHAOS_HOME = home;
    }
  });
});

describe('khaos evaluate with platform: kubernetes, bad environment', () => {
  const khaos = khaosIn(workloadsDir());

  it('no kubeconfig: a clear error before any replica, and no run recorded', { timeout: 60_000 }, async () => {
    const home = process.env.KHAOS_HOME;
    process.env.KHAOS_HOME = path.join(tmp, 'home-evaluate');
    try {
      const file = path.join(tmp, 'evaluate-k8s.yaml');
      fs.writeFileSync(file, YAML.stringify({ ...YAML.parse(fs.readFileSync('examples/evaluate-iot.yaml', 'utf8')), platform: 'kubernetes', k8s: { kubeconfig: path.join(tmp, 'no-such-kubeconfig') } }));
      const out = path.join(tmp, 'evaluate-out');
      const r = await khaos('evaluate', '--config', file, '--policies', 'static:2s', '--out', out);
      expect(r.code).not.toBe(0);
      expect(r.err).toMatch(/no kubeconfig at .*no-such-kubeconfig/);
      expect(fs.existsSync(path.join(out, 'runs.json'))).toBe(false);
    } finally {
      if (home === undefined) delete process.env.KHAOS_HOME;
      else process.env.KHAOS_HOME = home;
    }
  });
});
