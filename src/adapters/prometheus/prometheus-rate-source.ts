import { z } from 'zod';
import { badInput, KhaosError } from '../../core/errors.js';
import { traceFromSamples } from '../../core/load/steady-state.js';
import type { Trace } from '../../core/load/trace.js';
import type { RateSource } from '../../ports/rate-source.js';

export type Fetch = typeof fetch;

/** A Prometheus range query that yields one rate series. */
export interface PrometheusRangeQuery {
  /** Base URL of the server, e.g. http://localhost:9090 (the API path is appended). */
  url: string;
  /** PromQL that yields exactly one series, e.g. `sum(rate(kafka_server_brokertopicmetrics_messagesin_total{topic="in"}[1m]))`. */
  query: string;
  /** Range start and end, s since the epoch (UTC). */
  startSec: number;
  endSec: number;
  /** Resolution, s. */
  stepSec: number;
}

/** The answer of /api/v1/query_range; only the fields read here are checked. */
const answerSchema = z.discriminatedUnion('status', [
  z.object({
    status: z.literal('success'),
    data: z.object({
      resultType: z.string(),
      result: z.array(z.object({ metric: z.record(z.string(), z.string()).default({}), values: z.array(z.tuple([z.number(), z.string()])).default([]) })),
    }),
  }),
  z.object({ status: z.literal('error'), errorType: z.string().default('unknown'), error: z.string().default('') }),
]);

const labels = (metric: Record<string, string>) => `{${Object.entries(metric).map(([k, v]) => `${k}="${v}"`).join(', ')}}`;

/** Prometheus writes special floats as these strings. */
const toNumber = (s: string) => (s === '+Inf' ? Number.POSITIVE_INFINITY : s === '-Inf' ? Number.NEGATIVE_INFINITY : Number(s));

/**
 * A rate history from a Prometheus range query (`GET {url}/api/v1/query_range`). Long ranges are
 * split into requests of at most `maxPointsPerRequest` steps (Prometheus refuses more than 11,000
 * points per series) and joined. Every answer is validated; the query must yield exactly one
 * series, and NaN, infinite or negative samples are reported, never dropped silently.
 */
export class PrometheusRateSource implements RateSource {
  constructor(
    readonly range: PrometheusRangeQuery,
    private readonly options: { fetch?: Fetch; requestTimeoutMs?: number; maxPointsPerRequest?: number } = {},
  ) {}

  describe(): string {
    const iso = (s: number) => new Date(s * 1000).toISOString();
    return `Prometheus ${this.range.url}: ${this.range.query} from ${iso(this.range.startSec)} to ${iso(this.range.endSec)} every ${this.range.stepSec} s`;
  }

  async load(): Promise<Trace> {
    const { startSec, endSec, stepSec, query } = this.range;
    const problems: string[] = [];
    if (!Number.isFinite(startSec) || !Number.isFinite(endSec) || !(endSec > startSec)) problems.push(`the range must have an end after its start, got ${startSec}–${endSec}`);
    if (!(stepSec > 0)) problems.push(`the step must be > 0 s, got ${stepSec}`);
    if (query.trim() === '') problems.push('the query is empty');
    if (problems.length > 0) throw badInput(`Prometheus range query: ${problems.join('; ')}`);
    const perRequest = this.options.maxPointsPerRequest ?? 10_000;
    const series = new Map<string, { times: number[]; values: number[] }>();
    for (let from = startSec; from <= endSec; from += perRequest * stepSec) {
      const to = Math.min(endSec, from + (perRequest - 1) * stepSec);
      for (const r of await this.request(from, to)) {
        const key = labels(r.metric);
        const s = series.get(key) ?? { times: [], values: [] };
        series.set(key, s);
        for (const [t, v] of r.values) {
          if (s.times.length > 0 && t <= s.times[s.times.length - 1]!) continue;
          s.times.push(t);
          s.values.push(toNumber(v));
        }
      }
    }
    if (series.size === 0) throw badInput(`Prometheus query ${query} returned no series between ${new Date(startSec * 1000).toISOString()} and ${new Date(endSec * 1000).toISOString()}`, 'check the metric name, its labels and the time range (try the query in the Prometheus UI)');
    if (series.size > 1) {
      const names = [...series.keys()];
      throw badInput(
        `Prometheus query ${query} returned ${series.size} series, expected exactly one: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`,
        `aggregate them into one rate, e.g. sum(${query})`,
      );
    }
    const [only] = series.values();
    return traceFromSamples(`prometheus ${query}`, only!.times, only!.values);
  }

  private async request(fromSec: number, toSec: number): Promise<{ metric: Record<string, string>; values: [number, string][] }[]> {
    const base = this.range.url.replace(/\/+$/, '');
    const params = new URLSearchParams({ query: this.range.query, start: String(fromSec), end: String(toSec), step: String(this.range.stepSec) });
    const url = `${base}/api/v1/query_range?${params.toString()}`;
    let res: Response;
    try {
      res = await (this.options.fetch ?? fetch)(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(this.options.requestTimeoutMs ?? 30_000) });
    } catch (e) {
      const timedOut = e instanceof Error && e.name === 'TimeoutError';
      throw new KhaosError(timedOut ? 'timeout' : 'platform', `Prometheus GET ${base}/api/v1/query_range ${timedOut ? 'timed out' : 'failed'}: ${(e as Error).message}`, `is Prometheus running at ${base}?`, { cause: e });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new KhaosError('platform', `Prometheus at ${base} answered HTTP ${res.status} with non-JSON: ${text.slice(0, 200).replace(/\s+/g, ' ')}`, 'is the URL the Prometheus base URL, like http://host:9090?', { cause: e });
    }
    const parsed = answerSchema.safeParse(json);
    if (!parsed.success) {
      throw new KhaosError('platform', `Prometheus at ${base} answered HTTP ${res.status} with an unexpected shape: ${parsed.error.issues.slice(0, 3).map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, 'is the URL the Prometheus base URL, like http://host:9090?');
    }
    const answer = parsed.data;
    if (answer.status === 'error') {
      const what = `Prometheus refused the query ${this.range.query} (HTTP ${res.status}, ${answer.errorType}): ${answer.error}`;
      if (answer.errorType === 'bad_data') throw badInput(what, 'check the PromQL, the range and the step');
      throw new KhaosError(answer.errorType === 'timeout' ? 'timeout' : 'platform', what);
    }
    if (!res.ok) throw new KhaosError('platform', `Prometheus at ${base} answered HTTP ${res.status}`);
    if (answer.data.resultType !== 'matrix') throw new KhaosError('platform', `Prometheus answered a ${answer.data.resultType}, expected a matrix (is this the query_range API?)`);
    return answer.data.result;
  }
}
