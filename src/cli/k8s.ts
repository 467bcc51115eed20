import type { Command } from 'commander';
import YAML from 'yaml';
import { crdsDir, crdValidator } from '../compose.js';
import { badInput } from '../core/errors.js';
import { renderProfilePlan } from '../core/k8s/render.js';
import { act, configFrom, withConfigOptions, type CliIo, type ConfigFlags } from './common.js';

export { crdsDir, crdValidator } from '../compose.js';

/** Profile ids become part of object names (`khaos-<id>-ci-<ms>`, with `-rest` after it a 63-character DNS label). */
const PROFILE_ID = /^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/;

const RBAC_KINDS = ['ServiceAccount', 'Role', 'RoleBinding'];

async function render(flags: ConfigFlags & { profile: string; rbac?: boolean }, io: CliIo): Promise<number> {
  if (!PROFILE_ID.test(flags.profile)) throw badInput(`--profile "${flags.profile}" cannot be part of a Kubernetes name`, 'use up to 24 lowercase letters, digits and dashes, starting with a letter');
  const c = configFrom(flags);
  const objects = renderProfilePlan(c.k8s, {
    profile: flags.profile, job: c.job.descriptor, intervalsMs: c.profile.intervalsMs, parallelism: c.profile.parallelism,
    heartbeatIntervalMs: c.stack.heartbeatIntervalMs, heartbeatTimeoutMs: c.stack.heartbeatTimeoutMs, restartDelayMs: c.stack.restartDelayMs, webTimeoutMs: c.stack.webTimeoutMs,
  });
  crdValidator().check(objects);
  const shown = flags.rbac ? objects.filter((o) => RBAC_KINDS.includes(o.kind)) : objects;
  const what = flags.rbac ? 'Khaos’s ServiceAccount, Role and RoleBinding (apply them before `khaos profile` with platform: kubernetes)' : `profile ${flags.profile}, ${c.profile.intervalsMs.length} replica(s)`;
  io.out(`# khaos k8s render: ${what}, namespace ${c.k8s.namespace}; checked against ${crdsDir()}\n`);
  io.out(shown.map((o) => YAML.stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n'));
  return 0;
}

export function addK8sCommand(program: Command, io: CliIo): void {
  const k8s = program.command('k8s').description('Kubernetes: what Khaos creates there (Flink operator, Chaos Mesh)');
  const cmd = withConfigOptions(k8s.command('render').description('print, as YAML, the objects Khaos would create for a profile plan, checked against the CRDs'), ['config', 'job'])
    .option('--profile <id>', 'profile id in the objects’ names and labels', 'plan')
    .option('--rbac', 'only Khaos’s ServiceAccount, Role and RoleBinding: what to apply before `khaos profile` runs there (it creates the rest itself)');
  act<ConfigFlags & { profile: string; rbac?: boolean }>(cmd, (flags) => render(flags, io));
}
