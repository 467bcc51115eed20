import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config/schema.js';
import { inputGenerator, recordedGenerator } from '../../src/core/load/input.js';
import { atPath, templateGenerator, templateProblems } from '../../src/core/load/template.js';
import { seededRandom } from '../../src/core/random.js';

const PAYMENT = { paymentId: '${uuid}', seq: '${seq}', account: '${zipf:1000:1.2}', amount: '${float:0.5:900}', items: '${int:1:5}', channel: '${choice:web|app|pos}', at: '${eventTime}', atIso: '${eventTimeIso}', currency: 'EUR', note: 'id-${seq}', flags: [true, null, 3], geo: { region: '${choice:eu|us}', zone: 7 } };

/** n records of `template` with `seed`, event time 1000 × i. */
const records = (template: unknown, seed: number, n: number, key?: string) => {
  const g = templateGenerator(template, seededRandom(seed), key);
  return Array.from({ length: n }, (_, i) => g(1_700_000_000_000 + i * 1000));
};
const values = (template: unknown, seed: number, n: number) => records(template, seed, n).map((r) => JSON.parse(r.value) as Record<string, unknown>);

describe('job.input template generator', () => {
  it('is deterministic: the same template and seed give the same records; another seed others', () => {
    expect(records(PAYMENT, 7, 200)).toEqual(records(PAYMENT, 7, 200));
    expect(records(JSON.stringify(PAYMENT), 7, 200)).toEqual(records(PAYMENT, 7, 200)); // a JSON string is the same template
    expect(records(PAYMENT, 8, 200)).not.toEqual(records(PAYMENT, 7, 200));
  });

  it('replaces each whole generator expression by a typed value and copies everything else', () => {
    const [first, second] = values(PAYMENT, 1, 2);
    expect(first).toMatchObject({ seq: 0, currency: 'EUR', note: 'id-${seq}', flags: [true, null, 3], at: 1_700_000_000_000, atIso: '2023-11-14T22:13:20.000Z', geo: { zone: 7 } });
    expect(second).toMatchObject({ seq: 1, at: 1_700_000_001_000 });
    expect(first!.paymentId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    for (const k of ['account', 'amount', 'items']) expect(typeof first![k]).toBe('number');
  });

  it('keeps every draw in its range, both ends of an int range reached; seq and uuid unique in the run', () => {
    const xs = values(PAYMENT, 3, 5000);
    const items = xs.map((x) => x.items as number);
    expect(Math.min(...items)).toBe(1);
    expect(Math.max(...items)).toBe(5);
    expect(items.every(Number.isInteger)).toBe(true);
    const amounts = xs.map((x) => x.amount as number);
    expect(amounts.every((a) => a >= 0.5 && a < 900)).toBe(true);
    expect(new Set(xs.map((x) => x.channel))).toEqual(new Set(['web', 'app', 'pos']));
    expect(new Set(xs.map((x) => (x.geo as { region: string }).region))).toEqual(new Set(['eu', 'us']));
    expect(new Set(xs.map((x) => x.seq)).size).toBe(5000);
    expect(new Set(xs.map((x) => x.paymentId)).size).toBe(5000);
    const accounts = xs.map((x) => x.account as number);
    expect(accounts.every((a) => Number.isInteger(a) && a >= 1 && a <= 1000)).toBe(true);
  });

  it('draws zipf keys skewed as the exponent says: rank 1 the most frequent, rank 1 / rank 2 ≈ 2^S', () => {
    const n = 40_000;
    const count = (s: number) => {
      const c = new Map<number, number>();
      for (const x of values({ k: `\${zipf:100:${s}}` }, 11, n)) c.set(x.k as number, (c.get(x.k as number) ?? 0) + 1);
      return c;
    };
    const skewed = count(1.5);
    expect(Math.max(...skewed.values())).toBe(skewed.get(1));
    expect(skewed.get(1)! / skewed.get(2)!).toBeGreaterThan(2 ** 1.5 * 0.85);
    expect(skewed.get(1)! / skewed.get(2)!).toBeLessThan(2 ** 1.5 * 1.15);
    // exact share of rank 1: 1 / H(100, 1.5) = 0.4085…
    expect(skewed.get(1)! / n).toBeCloseTo(0.4085, 1);
    const flatter = count(0.5);
    expect(flatter.get(1)! / n).toBeLessThan(skewed.get(1)! / n / 2);
  });

  it('keys each record by a dotted path of it when given, else spreads records over 4,096 keys', () => {
    const keyed = records({ user: { id: '${int:1:3}' } }, 5, 50, 'user.id');
    expect(new Set(keyed.map((r) => r.key))).toEqual(new Set(['1', '2', '3']));
    expect(keyed.every((r) => r.key === String(atPath(JSON.parse(r.value), 'user.id')))).toBe(true);
    expect(records({ a: 1 }, 5, 5000).at(-1)!.key).toBe(String(4999 % 4096));
  });

  it('names every bad template, generator and range with the fix', () => {
    expect(templateProblems('{"a": ')[0]).toMatch(/^not valid JSON \(.*\); write the template as a YAML\/JSON object/);
    expect(templateProblems('[1, 2]')).toEqual(['must be a JSON object (one record), e.g. {"id": "${seq}", "ts": "${eventTime}"}']);
    expect(templateProblems({ a: '${serial}' })[0]).toBe('$.a: unknown generator ${serial}; use ${seq}, ${uuid}, ${int:LO:HI}, ${float:LO:HI}, ${zipf:N:S}, ${choice:a|b|c}, ${eventTime}, ${eventTimeIso}');
    expect(templateProblems({ a: '${int:9:1}' })).toEqual(['$.a: ${int:9:1}: LO 9 is above HI 1; swap them']);
    expect(templateProblems({ a: '${float:2:1}' })).toEqual(['$.a: ${float:2:1}: LO 2 is above HI 1; swap them']);
    expect(templateProblems({ a: '${int:1.5:3}' })).toEqual(['$.a: ${int:1.5:3} needs whole numbers']);
    expect(templateProblems({ b: ['${zipf:0:1}'] })[0]).toMatch(/^\$\.b\[0\]: \$\{zipf:N:S\}: N must be a whole number from 1 to/);
    expect(templateProblems({ c: { d: '${zipf:10:0}' } })).toEqual(['$.c.d: ${zipf:10:0}: the exponent S must be a number above 0, e.g. ${zipf:10:1.1}']);
    expect(templateProblems({ e: '${choice:a||b}' })).toEqual(['$.e: ${choice:a|b|c} needs one or more non-empty options separated by |']);
    expect(templateProblems(PAYMENT)).toEqual([]);
  });

  it('refuses a bad template at config load, every problem at once, with the fix', () => {
    const load = (template: unknown) => () => resolveConfig({ job: { kind: 'iot', input: { template } } });
    expect(load({ a: '${int:5:1}', b: '${nope}' })).toThrow(expect.objectContaining({ kind: 'bad-input', message: expect.stringContaining('config has 2 problem(s)') }));
    expect(load({ a: '${int:5:1}' })).toThrow(/job\.input\.template: \$\.a: \$\{int:5:1\}: LO 5 is above HI 1; swap them; see docs\/config\.md, job\.input/);
    expect(load('{"a": 1')).toThrow(/job\.input\.template: not valid JSON/);
    expect(() => resolveConfig({ job: { kind: 'iot', input: { replayTopic: '' } } })).toThrow(/job\.input/);
    expect(() => resolveConfig({ job: { kind: 'iot', latency: 'p99' } })).toThrow(/job\.latency: output-timestamp, none or metric:<name>/);
    expect(() => resolveConfig({ job: { kind: 'iot', reconcile: 'id-field:' } })).toThrow(/job\.reconcile: count-1to1, none or id-field:<dotted path>/);
  });
});

describe('job input', () => {
  it('a replay topic’s records come in order, looping when the trace needs more', () => {
    const g = recordedGenerator([{ key: 'a', value: '1' }, { key: 'b', value: '2' }]);
    expect([0, 1, 2, 3, 4].map((t) => g(t).value)).toEqual(['1', '2', '1', '2', '1']);
    expect(() => recordedGenerator([])).toThrow(/the replay topic holds no records/);
  });

  it('a template’s own seed wins over the replay seed; a sample job keeps its own generator', () => {
    const template = { kind: 'template' as const, template: { x: '${int:1:1000000}' } };
    const draw = (seed: number, own?: number) => inputGenerator({ ...template, ...(own === undefined ? {} : { seed: own }) }, seed)(0).value;
    expect(draw(1, 9)).toBe(draw(2, 9));
    expect(draw(1)).not.toBe(draw(2));
    expect(JSON.parse(inputGenerator({ kind: 'sample', job: 'ysb', dedup: resolveConfig({}).job.dedup }, 1)(5).value)).toMatchObject({ ts: 5, ad: expect.stringMatching(/^ad-\d{4}$/) });
  });
});
