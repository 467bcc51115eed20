import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/schema.js';
import { FAILURE_TYPE_REGISTRY, FAILURE_TYPES, failureSpec, failureTypeList, TIMED_FAILURE_TYPES } from '../../src/core/failure-types.js';
import { DEFAULT_FLUID_PARAMS } from '../../src/core/sim/fluid-params.js';

describe('the failure-type registry', () => {
  it('derives the list of types, its wording, and the types that last a given time', () => {
    expect(FAILURE_TYPES).toEqual(Object.keys(FAILURE_TYPE_REGISTRY));
    expect(failureTypeList()).toMatch(/^kill, freeze, exception|^kill, freeze or exception$/);
    expect(failureTypeList()).toMatch(new RegExp(` or ${FAILURE_TYPES.at(-1)}$`));
    expect(TIMED_FAILURE_TYPES).toContain('freeze');
    expect(TIMED_FAILURE_TYPES).toEqual(FAILURE_TYPES.filter((t) => FAILURE_TYPE_REGISTRY[t].hasDuration));
  });

  it('builds each type’s spec from a plan; a task exception needs the replica’s input', () => {
    const plan = { replica: 'r', taskManagerId: 'tm-1', durationMs: 1500 };
    const input = { markerField: 'id', inputTopic: 'in', groupId: 'g' };
    expect(failureSpec('kill', plan)).toEqual({ type: 'kill', taskManagerId: 'tm-1' });
    expect(failureSpec('freeze', plan)).toEqual({ type: 'freeze', taskManagerId: 'tm-1', durationMs: 1500 });
    expect(failureSpec('exception', { ...plan, input })).toEqual({ type: 'exception', target: input });
    expect(() => failureSpec('exception', plan)).toThrow(/replica r has no input on record to write a task-exception marker to/);
    expect(() => failureSpec('nuke' as never, plan)).toThrow(`unknown failure type "nuke"`);
  });

  it('drives the schema: every type is accepted, any other is refused with the registry’s names', () => {
    for (const failure of FAILURE_TYPES) {
      const c = resolveConfig({ chaos: { failure }, evaluate: { failure } });
      expect([c.chaos.failure, c.evaluate.failure]).toEqual([failure, failure]);
    }
    const names = failureTypeList();
    expect(() => resolveConfig({ chaos: { failure: 'nuke' } } as never)).toThrow(`chaos.failure: unknown failure type "nuke"; use ${names}`);
    expect(() => resolveConfig({ evaluate: { failure: 'partition' } } as never)).toThrow(`evaluate.failure: unknown failure type "partition"; use ${names}`);
  });

  it('drives the simulator’s detection overrides: one per type, no other key', () => {
    expect(Object.keys(DEFAULT_FLUID_PARAMS.detectionSec)).toEqual([...FAILURE_TYPES]);
    const detectionSec = Object.fromEntries(FAILURE_TYPES.map((t, i) => [t, i + 1]));
    expect(resolveConfig({ evaluate: { sim: { detectionSec } } } as never).evaluate.sim).toMatchObject({ detectionSec });
    expect(() => resolveConfig({ evaluate: { sim: { detectionSec: { nuke: 3 } } } } as never)).toThrow(/evaluate\.sim\.detectionSec: Unrecognized key: "nuke"/);
  });
});
