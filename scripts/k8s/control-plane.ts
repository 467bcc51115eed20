// A local Kubernetes control plane for Khaos's Kubernetes tests (see docs/kubernetes.md):
//   npx tsx scripts/k8s/control-plane.ts up [DIR]    start it (default DIR: .khaos/k8s/<time>), print where it is
//   npx tsx scripts/k8s/control-plane.ts down DIR    stop every process of it (API server before etcd)
// Build the binaries first with scripts/k8s/build.sh.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startControlPlane, stopControlPlaneIn } from '../../src/adapters/k8s/control-plane.js';
import { KhaosError } from '../../src/core/errors.js';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const log = (line: string) => console.log(`[k8s] ${line}`);

async function main(argv: string[]): Promise<number> {
  const [cmd, dirArg] = argv;
  if (cmd === 'up') {
    const dir = dirArg ?? path.join(process.env.KHAOS_HOME ?? path.join(repo, '.khaos'), 'k8s', new Date().toISOString().replace(/[-:.]/g, '').slice(0, 15));
    const s = await startControlPlane({ dir, crdsDir: path.join(repo, '..', 'shared', 'k8s', 'crds'), progress: log });
    log(`up: ${s.server}, kubeconfig ${s.kubeconfig}; pids ${s.processes.map((p) => `${p.name}=${p.pid}`).join(' ')}`);
    log(`stop it with: npx tsx scripts/k8s/control-plane.ts down ${s.dir}`);
    return 0;
  }
  if (cmd === 'down' && dirArg) {
    log(`stopped ${await stopControlPlaneIn(path.resolve(dirArg))} process(es)`);
    return 0;
  }
  console.error('usage: control-plane.ts up [DIR] | down DIR');
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    console.error(e instanceof KhaosError ? `[k8s] ${e.message}${e.hint ? `\n  → ${e.hint}` : ''}` : e);
    process.exit(e instanceof KhaosError && e.kind === 'bad-input' ? 2 : 1);
  },
);
