import { badInput, KhaosError } from '../errors.js';
import { FLINK_BACKLOG, STATIC, YOUNG_DALY } from './baselines.js';
import { KHAOS } from './khaos.js';
import { KHAOS_PLUS } from './khaos-plus.js';
import type { ActuatorKind, Policy, PolicyEntry, PolicyOptions, PolicySpec } from './policy.js';
import { checkOptions } from './policy-kit.js';

export { staticIntervalLabel } from './baselines.js';

/**
 * The policy registry: every policy is one entry (its file exports it), and the config schema,
 * the CLI, the controller, the simulator and the evaluation read this list; none spells it again.
 * A new policy is one file exporting a PolicyEntry and one line here.
 */
export const POLICY_REGISTRY: readonly PolicyEntry[] = [KHAOS_PLUS, KHAOS, STATIC, YOUNG_DALY, FLINK_BACKLOG];

/** The policy names with one line each, for help text. */
export const POLICY_NAMES: readonly { name: string; description: string }[] = POLICY_REGISTRY.map((e) => ({ name: e.grammar, description: e.description }));

/** "khaos+, khaos, static:<duration>, young-daly or flink-backlog": the names, for messages. */
export function policyNameList(conjunction = 'or'): string {
  const names = POLICY_REGISTRY.map((e) => e.grammar);
  return `${names.slice(0, -1).join(', ')} ${conjunction} ${names.at(-1)}`;
}

/** The entry `name` belongs to and its spec. Throws `bad-input` for an unknown name and for a malformed one (`static:0s`). */
export function parsePolicy(name: string): { entry: PolicyEntry; spec: PolicySpec } {
  for (const entry of POLICY_REGISTRY) {
    const spec = entry.parse(name);
    if (spec) return { entry, spec };
  }
  throw badInput(`unknown policy "${name}"`, `use ${policyNameList()}`);
}

/** The policy `name` (any way its entry accepts: `static:30s` or `static:30000`). Throws `bad-input` for an unknown name or options no policy can work with. */
export function createPolicy(name: string, options: PolicyOptions): Policy {
  checkOptions(options);
  const { entry, spec } = parsePolicy(name);
  return { name, decide: entry.create(spec, options) };
}

/** One policy under evaluation. */
export interface PolicyUnderTest {
  /** As in the JSON: `khaos+`, `khaos+@restart`, `static:30s`, … */
  name: string;
  /** As createPolicy takes it: `khaos+`, `static:30000`, … */
  policy: string;
  /** How its changes reach the job; undefined for a policy that never changes the interval (static). */
  actuator?: ActuatorKind;
  /** A static interval, ms. */
  staticMs?: number;
  /** The simulator's load oracle (core/sim/oracle.ts): SIMULATED only, never a policy of the controller. */
  oracle?: true;
}

/**
 * The policy `policy` with `actuator` (`written` is how it was written, for messages), named as the evaluation names it: `@paced` or `@restart` is
 * appended only when the actuator is not the policy's default. Throws `bad-input` for an unknown
 * or malformed policy and for an actuator given to a policy that never changes the interval.
 */
export function policyUnderTest(policy: string, actuator?: ActuatorKind, written = `${policy}@${actuator}`): PolicyUnderTest {
  const { entry, spec } = parsePolicy(policy);
  const base = entry.defaultActuator;
  if (base === undefined) {
    // Only a fixed interval has no actuator of its own.
    if (actuator !== undefined) throw badInput(`"${written}": a static interval never changes, so it takes no @actuator`, `write ${spec.label} alone`);
    return { name: spec.label, policy: spec.policy, ...(spec.staticMs !== undefined ? { staticMs: spec.staticMs } : {}) };
  }
  const a = actuator ?? base;
  return { name: a === base ? spec.label : `${spec.label}@${a}`, policy: spec.policy, actuator: a };
}

/** `khaos+`, `khaos+@restart`, `static:30s` as the evaluation runs it (split at the last `@`). Throws `bad-input` naming what is wrong. */
export function resolvePolicy(written: string): PolicyUnderTest {
  if (written.trim() === '') throw badInput('an empty policy name', `use ${policyNameList()}`);
  const at = written.lastIndexOf('@');
  if (at < 0) return policyUnderTest(written);
  const actuator = written.slice(at + 1);
  if (actuator !== 'paced' && actuator !== 'restart') {
    parsePolicy(written.slice(0, at));
    throw badInput(`"${written}": unknown actuator "${actuator}"`, "append @paced or @restart, or nothing for the policy's default");
  }
  return policyUnderTest(written.slice(0, at), actuator, written);
}

/** The actuator each policy that changes the interval uses unless its name says otherwise. */
export const DEFAULT_ACTUATOR: Readonly<Record<string, ActuatorKind>> = Object.fromEntries(POLICY_REGISTRY.flatMap((e) => (e.defaultActuator ? [[e.grammar, e.defaultActuator]] : [])));

/** What is wrong with a policy as written (`resolvePolicy` when `withActuator`, else `parsePolicy`), as "problem; what to do", or undefined. */
export function policyProblem(written: string, withActuator: boolean): string | undefined {
  try {
    if (withActuator) resolvePolicy(written);
    else parsePolicy(written);
    return undefined;
  } catch (e) {
    if (!(e instanceof KhaosError) || e.kind !== 'bad-input') throw e;
    return e.hint ? `${e.message}; ${e.hint}` : e.message;
  }
}
