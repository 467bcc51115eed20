import { badInput } from '../errors.js';
import type { Random } from '../random.js';
import type { EventGenerator } from './events.js';

/**
 * A JSON record template (job.input.template): every string value that is exactly one generator
 * expression `${…}` becomes a typed value per record; every other value is copied. Seeded and
 * deterministic: the same template and seed give the same records for the same event times.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The generators a template may use, as written, for messages and docs. */
export const TEMPLATE_GENERATORS = ['${seq}', '${uuid}', '${int:LO:HI}', '${float:LO:HI}', '${zipf:N:S}', '${choice:a|b|c}', '${eventTime}', '${eventTimeIso}'] as const;

/** The largest zipf:N: its cumulative distribution is one array of N numbers. */
export const ZIPF_MAX_N = 10_000_000;

const EXPRESSION = /^\$\{([^{}]*)\}$/;

/** One generator, compiled: makes the value of one record. */
type Draw = (ctx: { seq: number; ts: number; rnd: Random }) => Json;

const num = (s: string | undefined) => (s !== undefined && s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : undefined);

/** The zipf draw over 1..n with exponent s: inverse transform on the cumulative weights k^-s. */
function zipf(n: number, s: number): Draw {
  const cdf = new Float64Array(n);
  let sum = 0;
  for (let k = 1; k <= n; k++) cdf[k - 1] = sum += k ** -s;
  return ({ rnd }) => {
    const u = rnd.next() * sum;
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (cdf[mid]! <= u) lo = mid + 1;
      else hi = mid;
    }
    return lo + 1;
  };
}

const hex = (rnd: Random, digits: number) => Array.from({ length: digits }, () => rnd.int(16).toString(16)).join('');

/** A version-4 UUID from the seeded stream. */
const uuid: Draw = ({ rnd }) => `${hex(rnd, 8)}-${hex(rnd, 4)}-4${hex(rnd, 3)}-${'89ab'[rnd.int(4)]}${hex(rnd, 3)}-${hex(rnd, 12)}`;

/** A range generator's bounds, or the problem with them. */
function range(name: string, lo: string | undefined, hi: string | undefined, integers: boolean): { lo: number; hi: number } | string {
  const a = num(lo);
  const b = num(hi);
  if (a === undefined || b === undefined) return `\${${name}:LO:HI} needs two numbers, e.g. \${${name}:1:100}`;
  if (integers && !(Number.isInteger(a) && Number.isInteger(b))) return `\${${name}:${lo}:${hi}} needs whole numbers`;
  if (a > b) return `\${${name}:${lo}:${hi}}: LO ${a} is above HI ${b}; swap them`;
  return { lo: a, hi: b };
}

/** One expression (without `${` `}`) compiled, or the problem with it. */
function compile(expr: string): Draw | string {
  const [name, ...rest] = expr.split(':');
  switch (name) {
    case 'seq':
      return ({ seq }) => seq;
    case 'uuid':
      return uuid;
    case 'eventTime':
      return ({ ts }) => ts;
    case 'eventTimeIso':
      return ({ ts }) => new Date(ts).toISOString();
    case 'int': {
      const r = range('int', rest[0], rest[1], true);
      return typeof r === 'string' ? r : ({ rnd }) => r.lo + rnd.int(r.hi - r.lo + 1);
    }
    case 'float': {
      const r = range('float', rest[0], rest[1], false);
      return typeof r === 'string' ? r : ({ rnd }) => r.lo + rnd.next() * (r.hi - r.lo);
    }
    case 'zipf': {
      const n = num(rest[0]);
      const s = num(rest[1]);
      if (n === undefined || !Number.isInteger(n) || n < 1 || n > ZIPF_MAX_N) return `\${zipf:N:S}: N must be a whole number from 1 to ${ZIPF_MAX_N}, e.g. \${zipf:1000:1.1}`;
      if (s === undefined || s <= 0) return `\${zipf:${rest[0]}:${rest[1] ?? ''}}: the exponent S must be a number above 0, e.g. \${zipf:${n}:1.1}`;
      return zipf(n, s);
    }
    case 'choice': {
      const options = rest.join(':').split('|');
      if (rest.length === 0 || options.some((o) => o === '')) return '${choice:a|b|c} needs one or more non-empty options separated by |';
      return ({ rnd }) => options[rnd.int(options.length)]!;
    }
    default:
      return `unknown generator \${${expr}}; use ${TEMPLATE_GENERATORS.join(', ')}`;
  }
}

/** The template as a tree of values and draws. */
type Compiled = { draw: Draw } | { value: Json } | { array: Compiled[] } | { object: [string, Compiled][] };

function walk(v: Json, at: string, problems: string[]): Compiled {
  if (typeof v === 'string') {
    const m = EXPRESSION.exec(v);
    if (!m) return { value: v };
    const d = compile(m[1]!);
    if (typeof d === 'string') {
      problems.push(`${at}: ${d}`);
      return { value: v };
    }
    return { draw: d };
  }
  if (Array.isArray(v)) return { array: v.map((x, i) => walk(x, `${at}[${i}]`, problems)) };
  if (v !== null && typeof v === 'object') return { object: Object.entries(v).map(([k, x]) => [k, walk(x, `${at}.${k}`, problems)]) };
  return { value: v };
}

function build(c: Compiled, ctx: Parameters<Draw>[0]): Json {
  if ('draw' in c) return c.draw(ctx);
  if ('value' in c) return c.value;
  if ('array' in c) return c.array.map((x) => build(x, ctx));
  return Object.fromEntries(c.object.map(([k, x]) => [k, build(x, ctx)]));
}

/** The template as written (an object, or a JSON string of one) parsed, or why it cannot be. */
function parse(template: unknown): Json | string {
  if (typeof template === 'string') {
    try {
      return parse(JSON.parse(template) as unknown);
    } catch (e) {
      return `not valid JSON (${(e as Error).message}); write the template as a YAML/JSON object, or as a string holding one JSON object`;
    }
  }
  if (template === null || typeof template !== 'object' || Array.isArray(template)) return 'must be a JSON object (one record), e.g. {"id": "${seq}", "ts": "${eventTime}"}';
  return template as Json;
}

/** Every problem of a template, each naming where it is and the fix (empty: it compiles). */
export function templateProblems(template: unknown): string[] {
  const parsed = parse(template);
  if (typeof parsed === 'string') return [parsed];
  const problems: string[] = [];
  walk(parsed, '$', problems);
  return problems;
}

/** A dotted path (`payment.id`) into a JSON value; undefined where it leads nowhere. */
export function atPath(v: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((x, k) => (x !== null && typeof x === 'object' ? (x as Record<string, unknown>)[k] : undefined), v);
}

/** How many distinct Kafka keys a template without job.input.key spreads its records over (round the partitions). */
const KEY_SPREAD = 4096;

/**
 * Records from a template, drawn from `rnd`: `${seq}` counts records from 0. The Kafka key is
 * the value at `keyPath` when given, else the record number modulo 4096 (records spread over the
 * partitions). Throws bad-input for a template templateProblems refuses.
 */
export function templateGenerator(template: unknown, rnd: Random, keyPath?: string): EventGenerator {
  const problems = templateProblems(template);
  if (problems.length > 0) throw badInput(`job.input.template: ${problems.join('; ')}`, 'see docs/config.md, job.input');
  const compiled = walk(parse(template) as Json, '$', []);
  let seq = 0;
  return (ts) => {
    const record = build(compiled, { seq, ts, rnd });
    const key = keyPath === undefined ? String(seq % KEY_SPREAD) : String(atPath(record, keyPath) ?? '');
    seq++;
    return { key, value: JSON.stringify(record) };
  };
}
