import { badInput } from '../core/errors.js';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, min: 60_000, h: 3_600_000 };

/** "30s", "1.5 min", "250ms", "2h" → milliseconds; a bare number is milliseconds. */
export function parseDuration(text: string | number, what: string): number {
  if (typeof text === 'number') return text;
  const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|min|h)?\s*$/.exec(text);
  if (!m) throw badInput(`${what}: "${text}" is not a duration`, 'write it like 500ms, 30s, 5min or 2h');
  return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']!);
}
