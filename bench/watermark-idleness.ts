/**
 * MODELLED, not measured: how long the sample jobs' windows wait for their watermark at low
 * rates, for several idleness settings. Replays the replayer's pattern (10 slices a second,
 * events on 4 partitions by key, 2 source subtasks of 2 partitions each) through Flink's
 * watermark rules: per-partition bounded out-of-orderness (500 ms), Flink's IdlenessTimer on the
 * 200 ms periodic emission, min over non-idle partitions and subtasks, a window [T-1 s, T) firing
 * once the watermark reaches T - 1. Latency = firing time - window end, as the jobs' latency
 * stage measures it (processing time not included). Why the jobs' default idleness is 1 s.
 *
 *   npx tsx bench/watermark-idleness.ts [seconds]
 */
import { seededRandom } from '../src/core/random.js';
import { quantileSorted } from '../src/core/stats.js';
import { report } from './lib.js';

const PARTITIONS = 4;
const READERS = [[0, 2], [1, 3]];
const OUT_OF_ORDERNESS_MS = 500;
const EMIT_MS = 200;

function run(rateEps: number, idleMs: number, seconds: number) {
  const rnd = seededRandom(1);
  const events: { t: number; p: number }[] = [];
  for (let sec = 0; sec < seconds; sec++) {
    const n = Math.floor(rateEps) + (rnd.next() < rateEps - Math.floor(rateEps) ? 1 : 0);
    for (let slice = 0; slice < 10; slice++) {
      const k = Math.floor((n * (slice + 1)) / 10) - Math.floor((n * slice) / 10);
      for (let i = 0; i < k; i++) events.push({ t: sec * 1000 + slice * 100, p: rnd.int(PARTITIONS) });
    }
  }
  const maxTs = new Array<number>(PARTITIONS).fill(-Infinity);
  const counter = new Array<number>(PARTITIONS).fill(0);
  const last = new Array<number>(PARTITIONS).fill(0);
  const inactiveSince = new Array<number>(PARTITIONS).fill(-1);
  const idle = new Array<boolean>(PARTITIONS).fill(false);
  let wm = -Infinity;
  let next = 0;
  let windowEnd = 1000;
  let idleChecks = 0;
  let idleSeen = 0;
  const latency: number[] = [];
  for (let now = 0; now < seconds * 1000; now += EMIT_MS) {
    while (next < events.length && events[next]!.t <= now) {
      const e = events[next++]!;
      maxTs[e.p] = Math.max(maxTs[e.p]!, e.t);
      counter[e.p]!++;
      idle[e.p] = false;
    }
    for (let p = 0; p < PARTITIONS; p++) {
      if (maxTs[p] === -Infinity) continue;
      if (counter[p] !== last[p]) [last[p], inactiveSince[p]] = [counter[p]!, -1];
      else if (inactiveSince[p] === -1) inactiveSince[p] = now;
      else if (idleMs > 0 && now - inactiveSince[p]! > idleMs) idle[p] = true;
      idleChecks++;
      if (idle[p]) idleSeen++;
    }
    const readers = READERS.map((ps) => ps.filter((p) => maxTs[p] !== -Infinity && !idle[p]).map((p) => maxTs[p]! - OUT_OF_ORDERNESS_MS - 1));
    const active = readers.filter((r) => r.length > 0).map((r) => Math.min(...r));
    if (active.length > 0) wm = Math.max(wm, Math.min(...active));
    for (; wm >= windowEnd - 1; windowEnd += 1000) latency.push(now - windowEnd);
  }
  const s = latency.sort((a, b) => a - b);
  return { rateEps, idleMs: idleMs || 'off', windows: s.length, p50Ms: quantileSorted(s, 0.5), p99Ms: quantileSorted(s, 0.99), maxMs: s[s.length - 1], idleShare: Number((idleSeen / idleChecks).toFixed(3)) };
}

const seconds = Number(process.argv[2] ?? 4000);
const rows = [1.8, 5, 20, 200].flatMap((rate) => [500, 1000, 2000, 5000, 0].map((idle) => run(rate, idle, seconds)));
report('watermark-idleness', { modelled: true, seconds, partitions: PARTITIONS, sourceSubtasks: READERS.length, outOfOrdernessMs: OUT_OF_ORDERNESS_MS, periodicEmitMs: EMIT_MS }, rows);
