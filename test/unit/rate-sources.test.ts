import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvRateSource } from '../../src/adapters/files/csv-rate-source.js';
import { KafkaTopicRateSource } from '../../src/adapters/kafka/topic-rate-source.js';
import { PrometheusRateSource, type PrometheusRangeQuery } from '../../src/adapters/prometheus/prometheus-rate-source.js';
import { traceFromSamples, traceFromTimestamps } from '../../src/core/load/steady-state.js';
import { parseTraceCsv } from '../../src/core/load/trace.js';
import { MemoryMessageBus } from '../fakes/memory-message-bus.js';

describe('CsvRateSource', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'khaos-rate-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads a CSV trace file', async () => {
    const text = 'timestamp,value\n2020-01-01 00:00:00,10\n2020-01-01 00:05:00,20\n2020-01-01 00:10:00,15\n';
    const file = path.join(dir, 'small.csv');
    fs.writeFileSync(file, text);
    const src = new CsvRateSource(file);
    expect(src.describe()).toContain(file);
    expect(await src.load()).toEqual(parseTraceCsv(text, 'small.csv'));
  });

  it('says when the file is missing, and passes bad rows on from the parser', async () => {
    await expect(new CsvRateSource(path.join(dir, 'absent.csv')).load()).rejects.toMatchObject({ kind: 'bad-input', message: expect.stringMatching(/absent\.csv cannot be read: no such file/) });
    const bad = path.join(dir, 'bad.csv');
    fs.writeFileSync(bad, 'timestamp,value\n2020-01-01 00:00:00,10\n2020-01-01 00:05:00,x\n');
    await expect(new CsvRateSource(bad).load()).rejects.toThrow(/line 3: value "x"/);
  });
});

/** Answers like Prometheus 2.x/3.x: the query string picks a recorded-looking answer. */
function prometheusStub(req: http.IncomingMessage, res: http.ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://stub');
  const json = (status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (url.pathname !== '/api/v1/query_range') return json(404, { status: 'error', errorType: 'not_found', error: 'not found' });
  const q = url.searchParams.get('query') ?? '';
  const start = Number(url.searchParams.get('start'));
  const end = Number(url.searchParams.get('end'));
  const step = Number(url.searchParams.get('step'));
  const values = (f: (t: number) => string) => {
    const out: [number, string][] = [];
    for (let t = start; t <= end; t += step) out.push([t, f(t)]);
    return out;
  };
  const matrix = (result: unknown[]) => json(200, { status: 'success', data: { resultType: 'matrix', result } });
  switch (q) {
    case 'sum(rate(records_in_total[1m]))':
      return matrix([{ metric: {}, values: values((t) => String(100 + (t % 600) / 10)) }]);
    case 'rate(records_in_total[1m])':
      return matrix([
        { metric: { __name__: 'records_in_total', instance: 'tm-1:9249', job: 'flink' }, values: values(() => '50') },
        { metric: { __name__: 'records_in_total', instance: 'tm-2:9249', job: 'flink' }, values: values(() => '60') },
      ]);
    case 'sum(rate(absent_total[1m]))':
      return matrix([]);
    case 'sum(rate(records_in_total[1m])) / sum(rate(other_total[1m]))':
      return matrix([{ metric: {}, values: values((t) => (t === start + 2 * step ? 'NaN' : '1.5')) }]);
    case 'sum(rate(records_in_total[1m]':
      return json(400, { status: 'error', errorType: 'bad_data', error: '1:29: parse error: unclosed left parenthesis' });
    case 'gateway':
      res.writeHead(502, { 'content-type': 'text/html' });
      return void res.end('<html><body><h1>502 Bad Gateway</h1></body></html>');
    default:
      return json(400, { status: 'error', errorType: 'bad_data', error: `unknown query ${q}` });
  }
}

describe('PrometheusRateSource against an in-test HTTP server', () => {
  let server: http.Server;
  let base: string;
  const urls: string[] = [];
  const recordingFetch: typeof fetch = (input, init) => {
    urls.push(String(input));
    return fetch(input, init);
  };
  beforeAll(async () => {
    server = http.createServer(prometheusStub);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
  });
  const range = (query: string, points = 30): PrometheusRangeQuery => ({ url: `${base}/`, query, startSec: 1_767_225_600, endSec: 1_767_225_600 + (points - 1) * 60, stepSec: 60 });

  it('turns one matrix series into a trace, in requests of bounded size', async () => {
    urls.length = 0;
    const src = new PrometheusRateSource(range('sum(rate(records_in_total[1m]))', 25), { fetch: recordingFetch, maxPointsPerRequest: 10 });
    expect(src.describe()).toMatch(/Prometheus http:\/\/127\.0\.0\.1:\d+\/: sum\(rate\(records_in_total\[1m\]\)\) from 2026-01-01T00:00:00\.000Z to .* every 60 s/);
    const t = await src.load();
    expect(urls).toHaveLength(3);
    expect(urls[0]).toMatch(/\/api\/v1\/query_range\?query=sum%28rate%28records_in_total%5B1m%5D%29%29&start=1767225600&end=1767226140&step=60$/);
    expect(t.timesSec).toHaveLength(25);
    expect(t.timesSec[0]).toBe(1_767_225_600);
    expect(t.timesSec[24]).toBe(1_767_225_600 + 24 * 60);
    expect(t.stepSec).toBe(60);
    expect(t.values[1]).toBe(100 + ((1_767_225_600 + 60) % 600) / 10);
  });

  it('refuses two series, naming how many came back and suggesting sum(...)', async () => {
    const err = await new PrometheusRateSource(range('rate(records_in_total[1m])'), { fetch: recordingFetch }).load().catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'bad-input', message: expect.stringMatching(/returned 2 series, expected exactly one: \{__name__="records_in_total", instance="tm-1:9249", job="flink"\}/), hint: 'aggregate them into one rate, e.g. sum(rate(records_in_total[1m]))' });
  });

  it('says when no series came back', async () => {
    await expect(new PrometheusRateSource(range('sum(rate(absent_total[1m]))')).load()).rejects.toMatchObject({ kind: 'bad-input', message: expect.stringMatching(/returned no series/) });
  });

  it('reports NaN samples with their time instead of dropping them', async () => {
    await expect(new PrometheusRateSource(range('sum(rate(records_in_total[1m])) / sum(rate(other_total[1m]))')).load()).rejects.toMatchObject({
      kind: 'bad-input',
      message: expect.stringMatching(/1 of 30 samples are unusable:\n {2}sample 2 at 2026-01-01T00:02:00\.000Z: value is NaN/),
    });
  });

  it('passes on an error status with Prometheus\'s own message', async () => {
    await expect(new PrometheusRateSource(range('sum(rate(records_in_total[1m]')).load()).rejects.toMatchObject({
      kind: 'bad-input',
      message: expect.stringMatching(/HTTP 400, bad_data\): 1:29: parse error: unclosed left parenthesis/),
      hint: 'check the PromQL, the range and the step',
    });
  });

  it('says when the answer is not JSON (a proxy page, a wrong URL)', async () => {
    await expect(new PrometheusRateSource(range('gateway')).load()).rejects.toMatchObject({ kind: 'platform', message: expect.stringMatching(/answered HTTP 502 with non-JSON: <html><body><h1>502 Bad Gateway/) });
  });

  it('says when Prometheus cannot be reached', async () => {
    const refused: typeof fetch = async () => {
      throw new TypeError('fetch failed');
    };
    await expect(new PrometheusRateSource(range('sum(rate(records_in_total[1m]))'), { fetch: refused }).load()).rejects.toMatchObject({ kind: 'platform', hint: expect.stringMatching(/is Prometheus running at http:\/\/127\.0\.0\.1:\d+\?/) });
  });

  it('checks the range before asking', async () => {
    await expect(new PrometheusRateSource({ ...range('q'), endSec: 0, stepSec: 0 }).load()).rejects.toThrow(/end after its start.*step must be > 0/);
  });
});

describe('KafkaTopicRateSource', () => {
  it('counts records per second of their timestamps, empty seconds included', async () => {
    const bus = new MemoryMessageBus();
    await bus.ensureTopic('in', 2);
    const base = 1_700_000_000_000;
    const stamps = [base, base + 100, base + 999, base + 3000, base + 3999, base + 4500];
    await bus.produce('in', stamps.map((t, i) => ({ key: `k${i}`, value: 'v', timestampMs: t })));
    const src = new KafkaTopicRateSource(bus, 'in');
    expect(src.describe()).toContain('Kafka topic in');
    const t = await src.load();
    expect(t.timesSec).toEqual([1_700_000_000, 1_700_000_001, 1_700_000_002, 1_700_000_003, 1_700_000_004]);
    expect(t.values).toEqual([3, 0, 0, 2, 1]);
    expect(t.stepSec).toBe(1);
  });

  it('refuses an empty topic', async () => {
    const bus = new MemoryMessageBus();
    await bus.ensureTopic('empty', 1);
    await expect(new KafkaTopicRateSource(bus, 'empty').load()).rejects.toMatchObject({ kind: 'bad-input', message: expect.stringMatching(/topic empty: no records/) });
  });
});

describe('traceFromTimestamps and traceFromSamples', () => {
  it('needs records over more than one second', () => {
    expect(() => traceFromTimestamps([5000, 5500], 't')).toThrow(/every record falls in one second/);
  });

  it('reports every unusable sample at once', () => {
    expect(() => traceFromSamples('p', [0, 60, 60, 180], [1, -2, 3, Number.POSITIVE_INFINITY])).toThrow(/3 of 4 samples are unusable:\n.*value -2.*\n.*time does not increase.*\n.*value Infinity/);
    expect(traceFromSamples('p', [0, 60, 180], [1, 2, 3])).toEqual({ name: 'p', timesSec: [0, 60, 180], values: [1, 2, 3], stepSec: 120 });
  });
});
