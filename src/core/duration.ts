import { badInput } from './errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** How to write a duration, for messages. */
export const DURATION_HINT = 'write it like 500ms, 30s, 5min or 2h (a bare number is milliseconds)';

/** "30s" → 30000; a bare number is milliseconds; undefined when the text is not a duration. */
function toMs(text: string | number): number | undefined {
  if (typeof text === 'number') return text;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  return m ? Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!) : undefined;
}

/** "30s", "1.5 min", "250ms", "2h" → milliseconds; a bare number is milliseconds. */
export function parseDuration(text: string | number, what: string): number {
  const ms = toMs(text);
  if (ms === undefined) throw badInput(`${what}: "${text}" is not a duration`, DURATION_HINT);
  return ms;
}

/**
 * What is wrong with a duration option of the config, or undefined when nothing is: it must be a
 * duration parseDuration reads, and more than 0 ms (0 or more with `allowZero`). Negative
 * durations are refused everywhere: "-5s" is reported as negative rather than as unreadable.
 */
export function durationProblem(value: string | number, allowZero: boolean): string | undefined {
  const shown = JSON.stringify(value);
  const want = allowZero ? '0 or more' : 'more than 0';
  const unsigned = typeof value === 'string' ? /^\s*-(.*)$/.exec(value)?.[1] : undefined;
  if (unsigned !== undefined) return toMs(unsigned) === undefined ? `${shown} is not a duration; ${DURATION_HINT}` : `${shown} is negative; a duration here must be ${want}`;
  const ms = toMs(value);
  if (ms === undefined || !Number.isFinite(ms)) return `${shown} is not a duration; ${DURATION_HINT}`;
  if (ms < 0) return `${shown} is negative; a duration here must be ${want}`;
  if (ms === 0 && !allowZero) return `${shown} is 0 ms; a duration here must be ${want}`;
  return undefined;
}
