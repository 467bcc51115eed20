import { badInput } from '../../core/errors.js';
import { parseDuration } from '../../core/duration.js';
import type { OperatorCommand } from '../../core/control/records.js';

const KINDS = 'pause | resume | dry-run (with on: true|false) | override (with intervalMs and for, e.g. "10min")';

/**
 * A person's command as the dashboard's POST body gives it: `{kind: 'pause'}`, `{kind: 'resume'}`,
 * `{kind: 'dry-run', on}`, `{kind: 'override', intervalMs, for}` (a duration: the override expires
 * then). Throws KhaosError('bad-input') naming the problem.
 */
export function parseOperatorCommand(body: unknown, nowMs: number): OperatorCommand {
  const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  switch (b.kind) {
    case 'pause':
    case 'resume':
      return { kind: b.kind };
    case 'dry-run':
      if (typeof b.on !== 'boolean') throw badInput('dry-run needs on: true or false', KINDS);
      return { kind: 'dry-run', on: b.on };
    case 'override': {
      const intervalMs = b.intervalMs;
      if (typeof intervalMs !== 'number' || !Number.isInteger(intervalMs) || intervalMs <= 0) throw badInput(`override: intervalMs must be a whole number of ms above 0, got ${JSON.stringify(intervalMs)}`, KINDS);
      if (typeof b.for !== 'string' && typeof b.for !== 'number') throw badInput('override needs for: how long it holds (e.g. "10min"), after which the policy decides again', KINDS);
      const forMs = parseDuration(b.for, 'override for');
      if (forMs <= 0) throw badInput(`override for must be more than 0, got ${JSON.stringify(b.for)}`, KINDS);
      return { kind: 'override', intervalMs, untilMs: nowMs + forMs };
    }
    default:
      throw badInput(`unknown command ${JSON.stringify(b.kind)}`, KINDS);
  }
}
