import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import YAML from 'yaml';
import { repoRoot } from '../compose.js';
import { badInput, KhaosError } from '../core/errors.js';
import { renderProfilePlan } from '../core/k8s/render.js';
import { CrdValidator, crdsOf } from '../core/k8s/validate.js';
import { act, configFrom, withConfigOptions, type CliIo, type ConfigFlags } from './common.js';

/** The CRDs of the Flink operator and Chaos Mesh that objects are checked against (`KHAOS_K8S_CRDS` overrides). */
export const crdsDir = () => process.env.KHAOS_K8S_CRDS ?? path.resolve(repoRoot, '..', 'shared', 'k8s', 'crds');

/** A validator of every CRD in `dir` (each YAML file, any number of documents). */
export function crdValidator(dir = crdsDir()): CrdValidator {
  if (!fs.existsSync(dir)) throw new KhaosError('environment', `CRD folder ${dir} not found`, 'Khaos checks objects against the CRDs in ../shared/k8s/crds/ beside the repository; set KHAOS_K8S_CRDS to another folder');
  const files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f));
  return new CrdValidator(files.flatMap((f) => crdsOf(YAML.parseAllDocuments(fs.readFileSync(path.join(dir, f), 'utf8')).map((d) => d.toJSON()), path.join(dir, f))));
}

/** Profile ids become part of object names (`khaos-<id>-ci-<ms>`, with `-rest` after it a 63-character DNS label). */
const PROFILE_ID = /^[a-z]([a-z0-9-]{0,22}[a-z0-9])?$/;

async function render(flags: ConfigFlags & { profile: string }, io: CliIo): Promise<number> {
  if (!PROFILE_ID.test(flags.profile)) throw badInput(`--profile "${flags.profile}" cannot be part of a Kubernetes name`, 'use up to 24 lowercase letters, digits and dashes, starting with a letter');
  const c = configFrom(flags);
  const objects = renderProfilePlan(c.k8s, {
    profile: flags.profile, job: c.job.kind, intervalsMs: c.profile.intervalsMs, parallelism: c.profile.parallelism,
    heartbeatIntervalMs: c.stack.heartbeatIntervalMs, heartbeatTimeoutMs: c.stack.heartbeatTimeoutMs, restartDelayMs: c.stack.restartDelayMs,
  });
  crdValidator().check(objects);
  io.out(`# khaos k8s render: profile ${flags.profile}, ${c.profile.intervalsMs.length} replica(s), namespace ${c.k8s.namespace}; checked against ${crdsDir()}\n`);
  io.out(objects.map((o) => YAML.stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })).join('---\n'));
  return 0;
}

export function addK8sCommand(program: Command, io: CliIo): void {
  const k8s = program.command('k8s').description('Kubernetes: what Khaos creates there (Flink operator, Chaos Mesh)');
  const cmd = withConfigOptions(k8s.command('render').description('print, as YAML, the objects Khaos would create for a profile plan, checked against the CRDs'), ['config', 'job'])
    .option('--profile <id>', 'profile id in the objects’ names and labels', 'plan');
  act<ConfigFlags & { profile: string }>(cmd, (flags) => render(flags, io));
}
