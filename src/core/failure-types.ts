import { badInput } from './errors.js';

/**
 * Where a task-exception marker goes: the replica's input topic, read with this consumer group
 * (replicas share an input, each with its own group; only this one throws), the marker in the
 * field of the input record the job's parse operator reads it from (job.failureMarker).
 */
export interface TaskExceptionTarget {
  markerField: string;
  inputTopic: string;
  groupId: string;
}

/** What a caller knows when it injects: the planned victim, the configured duration, the replica's input. */
export interface InjectionPlan {
  /** The replica, for messages. */
  replica: string;
  /** The TaskManager chosen as the victim (Flink resource id). */
  taskManagerId: string;
  /** How long a failure with a duration lasts, ms. */
  durationMs: number;
  /** The replica's input, where a task-exception marker goes. */
  input?: TaskExceptionTarget;
}

/** What every failure type states once; the schema, the simulator, the CLI, the reports and the watches read it. */
interface FailureTypeEntry {
  /** What the failure is, in one line (config docs and CLI help). */
  description: string;
  /** How a report names it ("task exception"). */
  title: string;
  /** What it strikes: a TaskManager the caller chose, or the job's input (a marker record the job's parse operator throws on). */
  strikes: 'task-manager' | 'job-input';
  /**
   * Whether it lasts `durationMs` (its spec carries it): the injection resolves only when it ends,
   * so a watch puts it on record as it starts; and the simulator takes a duration for it only.
   */
  hasDuration: boolean;
  /**
   * Whether the job always restarts after it, so a recovery counts only after the restart
   * (RecoveryOptions.requireRestart); false for one the job may ride out with only a backlog.
   */
  restarts: boolean;
  /** Its parameters, from the plan (the spec without its `type`); throws KhaosError when the plan lacks one. */
  spec(plan: InjectionPlan): object;
}

/**
 * The failure types. A new one is an entry here, each platform's way of injecting it (a
 * `PerFailureType` map in every FailureInjector, which fails to compile until it has one) and its
 * behaviour in the fluid model (src/core/sim/fluid.ts: injectFailure, detectionSec).
 */
export const FAILURE_TYPE_REGISTRY = {
  kill: {
    description: 'a TaskManager killed at once (SIGKILL; on Kubernetes, its pod deleted)',
    title: 'kill',
    strikes: 'task-manager',
    hasDuration: false,
    restarts: true,
    spec: (p) => ({ taskManagerId: p.taskManagerId }),
  },
  freeze: {
    description: 'a TaskManager stopped for a while, then resumed (SIGSTOP … SIGCONT), like a long GC pause',
    title: 'freeze',
    strikes: 'task-manager',
    hasDuration: true,
    restarts: false,
    spec: (p) => ({ taskManagerId: p.taskManagerId, durationMs: p.durationMs }),
  },
  exception: {
    description: 'a task throws once on a marker record in the input, in a job whose parse operator reads markers',
    title: 'task exception',
    strikes: 'job-input',
    hasDuration: false,
    restarts: true,
    spec: (p) => {
      if (!p.input) throw badInput(`replica ${p.replica} has no input on record to write a task-exception marker to`, 'a bug: give the watched replica its input');
      return { target: p.input };
    },
  },
} as const satisfies Record<string, FailureTypeEntry>;

type Registry = typeof FAILURE_TYPE_REGISTRY;

export type FailureType = keyof Registry;

/** The failure types, in the registry's order. */
export const FAILURE_TYPES = Object.keys(FAILURE_TYPE_REGISTRY) as readonly FailureType[];

/** What injecting a failure of type T needs: `{type: 'freeze', taskManagerId, durationMs}` (a union for a union of types). */
export type FailureSpecOf<T extends FailureType> = T extends FailureType ? { type: T } & ReturnType<Registry[T]['spec']> : never;

/** One failure to inject, discriminated by `type`. */
export type FailureSpec = FailureSpecOf<FailureType>;

/** One way of handling each failure type (a platform's injections): a new type fails to compile until it has its own. */
export type PerFailureType<R> = { readonly [T in FailureType]: (spec: FailureSpecOf<T>) => R };

/** Calls the way `ways` has for the spec's type; KhaosError('bad-input') for a type the registry does not have (a spec read from outside). */
export function byFailureType<R>(ways: PerFailureType<R>, spec: FailureSpec): R {
  failureTypeEntry(spec.type);
  return (ways[spec.type] as (s: FailureSpec) => R)(spec);
}

/** The failure types that last a given time (a freeze). */
export const TIMED_FAILURE_TYPES: readonly FailureType[] = FAILURE_TYPES.filter((t) => FAILURE_TYPE_REGISTRY[t].hasDuration);

const isFailureType = (name: unknown): name is FailureType => typeof name === 'string' && Object.hasOwn(FAILURE_TYPE_REGISTRY, name);

/** "kill, freeze or exception". */
export function failureTypeList(conjunction = 'or'): string {
  return FAILURE_TYPES.length === 1 ? FAILURE_TYPES[0]! : `${FAILURE_TYPES.slice(0, -1).join(', ')} ${conjunction} ${FAILURE_TYPES.at(-1)}`;
}

/** The entry of a failure type; KhaosError('bad-input') naming the known ones for any other name. */
function failureTypeEntry(type: string): FailureTypeEntry {
  if (!isFailureType(type)) throw badInput(`unknown failure type "${type}"`, `use ${failureTypeList()}`);
  return FAILURE_TYPE_REGISTRY[type];
}

/** The spec of a failure of `type` from the plan; throws as failureTypeEntry does, or when the plan lacks what the type needs. */
export function failureSpec<T extends FailureType>(type: T, plan: InjectionPlan): FailureSpecOf<T> {
  return { type, ...failureTypeEntry(type).spec(plan) } as FailureSpecOf<T>;
}
