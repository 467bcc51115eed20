import { describe, expect, it } from 'vitest';
import { OutputLatencyLog } from '../../src/core/profiling/output-latency.js';

const record = (windowEnd: number) => JSON.stringify({ id: 'v-1', windowEnd, count: 3, maxTs: windowEnd - 10, latencyMs: 5 });

describe('latency from committed output', () => {
  it('is when each record became visible less its window end, p99 over a window of wall time', () => {
    const log = new OutputLatencyLog(undefined, 'windowEnd');
    // one record a second, each visible 1.2 s after its window ended; three 10 s late
    for (let t = 0; t < 100; t++) log.add(record(t * 1000), t * 1000 + 1200);
    for (const t of [50, 60, 70]) log.add(record(t * 1000), t * 1000 + 10_000);
    expect(log.p99(0, 101_000)).toBe(10_000);
    expect(log.p99(0, 40_000)).toBe(1200);
    expect(log.count(10_000, 20_000)).toBe(10);
    expect(log.p99(200_000, 300_000)).toBeNull(); // nothing committed: no latency, not an old one
  });

  it('ignores values without a window end and forgets what is older than it keeps', () => {
    const log = new OutputLatencyLog(10_000, 'windowEnd');
    log.add('{"key":"a","count":1}', 0);
    expect(log.unreadable).toBe(1);
    for (let t = 0; t <= 60; t++) log.add(record(t * 1000), t * 1000 + 500);
    expect(log.count(0, 30_000)).toBe(0);
    expect(log.count(50_000, 61_000)).toBe(11);
  });

  it('without a field, is when each record became visible less its Kafka timestamp (job.latency output-timestamp on an own job)', () => {
    const log = new OutputLatencyLog();
    for (let t = 0; t < 100; t++) log.add('{"paymentId":"p"}', t * 1000 + 300, t * 1000);
    log.add('{"paymentId":"q"}', 5000);
    expect(log.p99(0, 101_000)).toBe(300);
    expect(log.unreadable).toBe(1);
  });
});
